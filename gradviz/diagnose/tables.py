"""How the diagnoses' reports print: aligned text tables for scripts, HTML tables for notebooks
(every cell escaped: labels, ops and scopes are the user's strings)."""
from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["num", "text_table", "html_table", "html_list"]


def num(x: float, digits: int = 4) -> str:
    """A number for a table: ``digits`` significant digits, "—" for unknown (NaN from a missing
    summary is shown by the caller as "nan" when it is a real NaN)."""
    return "—" if x is None else f"{float(x):.{digits}g}"  # "g" writes nan, inf and -inf as words


def text_table(head: Sequence[str], rows: Sequence[Sequence[str]], limit: int = 40) -> str:
    """Columns padded to their widest cell; at most ``limit`` rows, then how many were left out."""
    shown = list(rows[:limit])
    widths = [max([len(h)] + [len(r[k]) for r in shown]) for k, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in shown]
    if len(rows) > limit:
        lines.append(f"... and {len(rows) - limit} more rows")
    return "\n".join(lines)


_TD = '<td style="padding:2px 8px;text-align:{};font-family:monospace">{}</td>'
_TH = '<th style="padding:2px 8px;text-align:left">{}</th>'


def html_table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]], limit: int = 200,
               numeric: Sequence[bool] | None = None, row_styles: Sequence[str] | None = None) -> str:
    """An HTML table; every caption, header and cell is escaped here."""
    esc = html.escape
    numeric = numeric or [False] * len(head)
    out = [f'<table style="border-collapse:collapse;margin:4px 0"><caption style="text-align:left;'
           f'font-weight:bold">{esc(caption)}</caption><thead><tr>'
           + "".join(_TH.format(esc(h)) for h in head) + "</tr></thead><tbody>"]
    for k, r in enumerate(rows[:limit]):
        style = f' style="{esc(row_styles[k])}"' if row_styles and row_styles[k] else ""
        out.append(f"<tr{style}>" + "".join(_TD.format("right" if numeric[j] else "left", esc(c))
                                            for j, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table>")
    if len(rows) > limit:
        out.append(f"<p>... and {len(rows) - limit} more rows</p>")
    return "".join(out)


def html_list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in items) + "</ul>" if items else ""
