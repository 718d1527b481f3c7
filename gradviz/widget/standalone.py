"""``to_html``: one self-contained HTML page of the explorer, nudgeable without Python.

The page inlines the widget's bundle (``static/standalone.js``: the widget plus a stand-in model
whose engine re-runs forward and backward in the browser with the engine's formulas), its CSS and
the widget's state. It loads nothing (a Content-Security-Policy forbids it), so it works from a
file, an e-mail attachment or a course page, with no kernel and no network.
"""
from __future__ import annotations

import base64
import html
import json
import math
from typing import TYPE_CHECKING, Any

from ..draw.render import write_atomically
from ..draw.theme import FONT_UI, PALETTE
from .bundle import STATIC
from .state import Page, PageSource, page
from .steps import steps_of

if TYPE_CHECKING:
    from ..graph.types import PathLike, Root

__all__ = ["to_html", "MAX_PAGE_NODES"]

MAX_PAGE_NODES = 200_000  # above this a page shows the picture only (the state alone is tens of MB)

_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src data: blob:")
_NOTE = ("A standalone gradviz page: every value is computed in your browser by the page's own "
         "replay of forward and backward (the engine's formulas), with no Python, no kernel and no "
         "network.")
_L, _D = PALETTE["light"], PALETTE["dark"]
_PAGE_CSS = f"""
body {{ margin: 0; font: 14px {FONT_UI}; color: {_L["fg"]}; background: {_L["bg"]}; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 12px; }}
.gv-page-note {{ margin: 0 0 8px; color: {_L["muted"]}; }}
@media (prefers-color-scheme: dark) {{
  body {{ color: {_D["fg"]}; background: {_D["bg"]}; }}
  .gv-page-note {{ color: {_D["muted"]}; }}
}}
"""


def to_html(x: Root | PageSource, path: PathLike | None = None, *, title: str | None = None,
            max_nodes: int = MAX_PAGE_NODES, **widget_kwargs: Any) -> str:
    """The explorer of ``x`` as one self-contained HTML page; returns its text, and writes it to
    ``path`` when given.

    ``x``: a root Value, a Graph, or a ``GraphWidget`` (saved as it is now: its values, view and
    settings). Readers of the page nudge leaves, step along the gradient and reset, computed in
    their browser. ``x`` may also be a ``Playground``: its page starts from it as it is now and
    trains on in the reader's browser (only ``path`` and ``title`` apply). A graph from PyTorch, or one of more than ``max_nodes`` values, is shown as a
    picture only, with a note. ``widget_kwargs`` go to ``GraphWidget`` (``height``, ``collapsed``,
    ``show_grads``, ``overlay``, ``compare``) when ``x`` is not a widget already. Groups of a
    folded big graph stay as saved (opening one needs Python's layout): pass ``collapsed=None`` to
    draw every value.
    """
    _check_title(title)
    own = getattr(x, "_standalone_page", None)
    if callable(own):  # a Playground: its own page, trained in the browser
        if widget_kwargs:
            raise TypeError(f"{', '.join(widget_kwargs)}: options of a new GraphWidget; a Playground's page "
                            f"takes only path and title")
        p = own()
        return _write(path, _page(title if title is not None else p["name"], _script_json(p["payload"]),
                                  bundle=p["bundle"], css=p["css"], note=p["note"]))
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if callable(getattr(x, "page", None)):  # a GraphWidget: as it is now
        if widget_kwargs:
            raise TypeError(f"{', '.join(widget_kwargs)}: options of a new widget, but x is a GraphWidget "
                            f"already; set them on the widget, or pass a Value or a Graph")
        p: Page = x.page()
    else:
        p = page(x, **widget_kwargs)
    state = dict(p.traits)
    structure = dict(state["_structure"])
    if not structure.get("readonly") and structure.get("rules") == "own":
        structure["readonly"] = ("a picture only: these gradients come from your Value class's own _backward "
                                 "code, which only Python can run; nudge it in Python with GraphWidget")
    if not structure.get("readonly") and structure["n"] > max_nodes:
        structure["readonly"] = (f"a picture only: this graph has {structure['n']:,} values, more than a "
                                 f"page replays (max_nodes={max_nodes:,}); nudge it in Python with GraphWidget")
    state["_structure"] = structure
    if not state.get("_steps"):  # the Backprop mode needs no kernel (nor a replayable graph)
        state["_steps"] = steps_of(p.graph)
    state["local_replay"] = False  # the page's engine answers at once; no second replay needed
    state["_view_other"] = p.turned  # the orientation switch has no Python to lay the view out again
    if p.opened:  # nor a group's expand: the page opens every group at once
        state["_view_open"] = p.opened
    # no kernel computes an overlay there: the page offers the ones it was saved with
    state["_overlay"] = {k: v for k, v in state.get("_overlay", {}).items() if k != "compute"}
    payload = {"state": state, "init": p.init.astype("<f8").tobytes()}
    name = title if title is not None else _root_name(p.graph)
    return _write(path, _page(name, _script_json(payload)))


def _write(path, text):
    """``text``, written to ``path`` first when one is given."""
    if path is not None:
        write_atomically(path, text.encode("utf-8"))  # whole or not at all; through a symlink
    return text


def _check_title(title):
    """A page title is a str that UTF-8 can encode (no lone surrogate, half of a UTF-16 pair)."""
    if title is None:
        return
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__!r} ({title!r:.40})")
    try:
        title.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"title {title!r:.60} holds a lone surrogate {title[e.start]!r} (half of a UTF-16 "
                         f"pair) that no page can encode; remove it, or repair the text with "
                         f"s.encode('utf-16', 'surrogatepass').decode('utf-16')") from None


def _root_name(g):
    return g.labels[len(g) - 1] if len(g) and g.labels[len(g) - 1] else "graph"


def _page(name, state_json, bundle="standalone.js", css="widget.css", note=_NOTE):
    """The page: the built ``bundle`` and ``css`` (files of ``static/``) inlined with the state."""
    bundle = (STATIC / bundle).read_text(encoding="utf-8")
    css = (STATIC / css).read_text(encoding="utf-8")
    # Inline code must not end its element early: the build never emits these (a test checks).
    for text, bad in ((bundle, "</script"), (bundle, "<!--"), (css, "</style")):
        if bad in text.lower():
            raise RuntimeError(f"the gradviz bundle contains {bad!r} and cannot be inlined; rebuild it")
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"gradviz.to_html\">\n"
        f"<title>gradviz: {html.escape(name)}</title>\n"
        f"<style>{_PAGE_CSS}</style>\n<style>\n{css}</style>\n</head><body><main>\n"
        f"<p class=\"gv-page-note\" role=\"note\">{html.escape(note)}</p>\n"
        "<div id=\"gradviz\"></div>\n</main>\n"
        f"<script type=\"application/json\" id=\"gradviz-state\">{state_json}</script>\n"
        f"<script>\n{bundle}</script>\n</body></html>\n"
    )


def _script_json(obj):
    """JSON that is safe inside <script>: bytes as {"$bytes": base64}, non-finite floats as
    {"$float": "NaN"}, and <, >, & and the line separators as \\u escapes (so no string, say a
    label "</script>", can end the element)."""
    def enc(v):
        if isinstance(v, (bytes, bytearray, memoryview)):
            return {"$bytes": base64.b64encode(bytes(v)).decode("ascii")}
        if isinstance(v, float) and not math.isfinite(v):
            return {"$float": "NaN" if v != v else ("Infinity" if v > 0 else "-Infinity")}
        if isinstance(v, dict):
            return {str(k): enc(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [enc(x) for x in v]
        return v
    text = json.dumps(enc(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text
