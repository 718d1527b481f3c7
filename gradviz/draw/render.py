"""Static pictures of an expression graph in the lecture's style.

``draw_dot`` builds the lecture's ``graphviz.Digraph`` (records ``{ label | data | grad }`` and op
ellipses); building it needs only the graphviz Python package, rendering it needs a system ``dot``.
``to_svg`` draws the same picture as standalone SVG from ``draw.layout``, with no Graphviz at all.
"""
from __future__ import annotations

import os
import re
import tempfile
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..graph.trace import as_graph
from .first_view import oriented_layout
from .grouping import group_view
from .layout import layout, orientation
from .overlay import NONE, make_overlay
from .tensor_text import has_cells, hover_lines, record_cells, title
from .textsize import FONT_SIZE, box_fields, field_widths, fmt4, short_label
from .theme import FONT_SVG, KIND_STROKE, OP_MARKS, PALETTE, SVG_INK

if TYPE_CHECKING:
    from typing import Literal

    import graphviz

    from ..graph.types import Collapsed, PathLike, Rankdir, Root
    from .layout import GroupView

__all__ = ["draw_dot", "to_svg", "STYLE"]

_RANKDIRS = ("LR", "RL", "TB", "BT")

# fill, stroke, stroke-width, dash per kind: leaves stand out from computed values (the fills are
# the widget's light palette, gradviz/draw/theme.py)
_LIGHT = PALETTE["light"]
_FILL = {"input": "input", "parameter": "param", "constant": "constant", "intermediate": "box",
         "output": "output", "group": "group"}
STYLE = {kind: (_LIGHT[_FILL[kind]], *stroke) for kind, stroke in KIND_STROKE.items()}
_OP_STYLE = (_LIGHT["op"], KIND_STROKE["intermediate"][0], 1.0)
_EDGE = SVG_INK["edge"]


def _check_rankdir(rankdir):
    if rankdir not in _RANKDIRS and rankdir != "auto":
        raise ValueError(f"rankdir={rankdir!r}: use one of {', '.join(_RANKDIRS)} or 'auto'")


# ---- Graphviz DOT ---------------------------------------------------------------------------

_BAD_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff"  # not allowed in XML 1.0
_XML_BAD = re.compile(f"[{_BAD_CHARS}]")
_XML_PLAIN = re.compile(f'[^&<>"{_BAD_CHARS}]*')  # text _xml leaves as it is
_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def _record_escape(text):
    """Escape the characters that mean something in a Graphviz record label; characters no SVG
    can hold become U+FFFD."""
    return _RECORD_SPECIAL.sub(r"\\\1", _XML_BAD.sub("\ufffd", text)).replace("\n", " ").replace("\r", " ")


def draw_dot(x: Root, rankdir: Rankdir | Literal["auto"] = "LR", show_grad: bool = True) -> graphviz.Digraph:
    """The lecture's ``draw_dot``: a ``graphviz.Digraph`` of ``x`` (a Value or Graph).

    Every value is a record ``{ label | data %.4f | grad %.4f }`` (``%.4e`` past 1e16; a PyTorch graph's read
    ``{ op | shape | value | grad }``, see ``draw.tensor_text``); every computed value has an
    op ellipse, with edges child -> op -> value. Render it with ``.render()`` or show it in a
    notebook if a system Graphviz is installed; ``to_svg`` needs none. ``rankdir="auto"`` picks
    the orientation as ``to_svg`` does.
    """
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError('draw_dot needs the graphviz Python package: pip install "gradviz-explorer[export]" '
                          '(or use gradviz.to_svg, which needs nothing)') from None
    _check_rankdir(rankdir)
    g = as_graph(x)
    if rankdir == "auto":  # Graphviz lays it out: only the orientation is needed
        rankdir = orientation(layout(g, rankdir="LR", show_grad=show_grad))
    dot = Digraph(format="svg", graph_attr={"rankdir": rankdir})
    tensors = has_cells(g)
    for i in range(len(g)):
        if tensors:  # a PyTorch graph: op | shape | value | grad
            fields = [_record_escape(short_label(title(g, i))),
                      *map(_record_escape, record_cells(g, i, show_grad))]
        else:
            fields = [_record_escape(short_label(g.labels[i])), "data " + fmt4(g.data[i])]
            if show_grad:
                fields.append("grad " + fmt4(g.grad[i]))
        tip = {"tooltip": _record_escape(g.labels[i])} if g.labels[i] != short_label(g.labels[i]) else {}
        dot.node(name=f"n{i}", label="{ " + " | ".join(fields) + " }", shape="record", **tip)
        if g.ops[i]:
            dot.node(name=f"n{i}op", label=_record_escape(short_label(g.ops[i])))
            dot.edge(f"n{i}op", f"n{i}")
    seen = set()
    for c, p in g.edges:
        if (c, p) not in seen:  # a * a: one arrow, as in the lecture (its edges are a set)
            seen.add((c, p))
            dot.edge(f"n{c}", f"n{p}op")
    return dot


# ---- SVG without Graphviz -------------------------------------------------------------------

def _xml(text):
    """Text safe inside an XML element or a double-quoted attribute."""
    text = str(text)
    if _XML_PLAIN.fullmatch(text):  # most labels and numbers: nothing to replace
        return text
    text = _XML_BAD.sub("\ufffd", text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _f(v):
    return f"{v:.1f}"


def _curve(pts, horizontal):
    """An SVG path through ``pts``: cubic pieces leaving and entering along the rank axis."""
    p = pts
    d = [f"M{_f(p[0][0])},{_f(p[0][1])}"]
    for (x0, y0), (x1, y1) in zip(p[:-1], p[1:]):
        if horizontal:
            mx = (x0 + x1) / 2
            d.append(f"C{_f(mx)},{_f(y0)} {_f(mx)},{_f(y1)} {_f(x1)},{_f(y1)}")
        else:
            my = (y0 + y1) / 2
            d.append(f"C{_f(x0)},{_f(my)} {_f(x1)},{_f(my)} {_f(x1)},{_f(y1)}")
    return "".join(d)


def to_svg(x: Root | GroupView, path: PathLike | None = None, show_grad: bool = True, rankdir: Rankdir | Literal["auto"] = "LR",
           collapsed: Collapsed = None, *, overlay: Literal["health"] | None = None, compare: Root | None = None) -> str:
    """Standalone SVG text of ``x`` (a Value, Graph or GroupView), drawn without any Graphviz.

    Records ``label | data | grad`` (filled from ``draw.theme.PALETTE["light"]``: inputs green,
    parameters violet, constants grey and dashed, the output yellow, folded groups blue), op
    ellipses, arrows. ``collapsed`` groups nodes as in ``gradviz.draw.grouping.group_view``.
    ``rankdir``: "LR" (the lecture's), "RL", "TB", "BT", or "auto", the widget's first-view choice
    (left to right when that is readable whole, else top to bottom). ``overlay="health"`` and
    ``compare=b`` draw an overlay with its legend below (``gradviz.draw.overlay``). With ``path``, also writes the file (UTF-8), atomically: a
    temporary file beside it, renamed over ``path`` once complete, so a failure leaves an existing
    file as it was.
    """
    _check_rankdir(rankdir)
    if collapsed is not None and not hasattr(x, "box_of"):
        x = group_view(x, collapsed)
    lay = oriented_layout(x, rankdir, show_grad=show_grad)
    view, rankdir = lay.view, lay.rankdir
    horizontal = rankdir in ("LR", "RL")
    sign = -1.0 if rankdir in ("RL", "BT") else 1.0
    has_op = ~np.isnan(lay.op_x)
    at = _Coords(*(getattr(lay, k).tolist() for k in _Coords._fields))
    ov, W, H, legend = _with_overlay(view.graph, overlay, compare, max(lay.width, 1.0), max(lay.height, 1.0))
    out = _svg_head(W, H)
    out.append(f'<g class="edges" fill="none" stroke="{_EDGE}" stroke-width="1">')
    out += _svg_edges(lay, at, has_op, horizontal, sign)
    out.append("</g>")
    out.append(f'<g class="nodes" text-anchor="middle" dominant-baseline="central" fill="{SVG_INK["text"]}">')
    node = view.node.tolist()
    for b, op in enumerate(has_op.tolist()):
        out += _svg_record(view, at, b, show_grad, ov)
        if op:
            out.append(_svg_op(view.graph, at, b, node[b]))
    out.append("</g>")
    out += _legend_svg(ov, legend)
    out.append("</svg>")
    svg = "\n".join(out) + "\n"
    if path is not None:
        write_atomically(path, svg.encode("utf-8"))
    return svg


def _svg_head(W, H):
    """The opening of the SVG: size, font, title, the arrow marker, the background."""
    return [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(W)}" height="{_f(H)}" '
        f'viewBox="0 0 {_f(W)} {_f(H)}" font-family="{FONT_SVG}" '
        f'font-size="{FONT_SIZE:g}">',
        "<title>gradviz expression graph</title>",
        '<defs><marker id="gv-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="{_EDGE}"/></marker></defs>',
        f'<rect width="{_f(W)}" height="{_f(H)}" fill="{_LIGHT["bg"]}"/>',
    ]


class _Coords(NamedTuple):
    """A layout's boxes and op ellipses as Python lists: formatting reads each number once, and
    a numpy scalar costs several times a float to index and to format."""
    x: list
    y: list
    w: list
    h: list
    op_x: list
    op_y: list
    op_w: list
    op_h: list


def _svg_edges(lay, at, has_op, horizontal, sign):
    """Every edge's route, then the arrow from each op ellipse to its value."""
    out = [f'<path d="{_curve(lay.route(k).tolist(), horizontal)}" marker-end="url(#gv-arrow)"/>'
           for k in range(len(lay.edges))]
    for b in np.flatnonzero(has_op).tolist():  # op -> its value
        if horizontal:
            a = (at.op_x[b] + sign * at.op_w[b] / 2, at.op_y[b])
            z = (at.x[b] - sign * at.w[b] / 2, at.y[b])
        else:
            a = (at.op_x[b], at.op_y[b] + sign * at.op_h[b] / 2)
            z = (at.x[b], at.y[b] - sign * at.h[b] / 2)
        out.append(f'<path d="{_curve([a, z], horizontal)}" marker-end="url(#gv-arrow)"/>')
    return out


def _svg_tip(view, b):
    """The hover text of box ``b``: label, kind, op, data and grad (or a tensor's lines), scope."""
    g, i, kind = view.graph, int(view.node[b]), view.kinds[b]
    tip = [view.labels[b] or "(no label)", f"kind {kind}"]
    if view.is_group[b]:
        tip.append(f"output node #{i}: {g.labels[i] or g.ops[i]}")
    else:
        tip.append(f"op {g.ops[i]}" if g.ops[i] else "leaf")
    if has_cells(g):
        tip += hover_lines(g, i)
    else:
        tip += ["data %r" % float(g.data[i]), "grad %r" % float(g.grad[i])]
    if g.scopes[i]:
        tip.append(f"scope {g.scopes[i]}")
    return tip


def _svg_record(view, at, b, show_grad, ov=None):
    """Box ``b`` as a record ``label | data | grad``, styled by its kind, outlined when overlay
    ``ov`` marks its node."""
    kind = view.kinds[b]
    fill, stroke, sw, dash = STYLE.get(kind, STYLE["intermediate"])
    fields = box_fields(view, b, show_grad)
    cx, cy, w, h = at.x[b], at.y[b], at.w[b], at.h[b]
    x0, y0 = cx - w / 2, cy - h / 2
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    tip = _svg_tip(view, b)
    mark = _overlay_mark(ov, int(view.node[b]), tip)
    out = [f'<g class="value {_xml(kind)}" id="gv-v{b}"><title>{_xml(chr(10).join(tip))}</title>',
           f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(w)}" height="{_f(h)}" rx="2" '
           f'fill="{fill}" stroke="{stroke}" stroke-width="{sw:g}"{dash_attr}/>']
    widths = field_widths(fields)
    scale = w / sum(widths)  # the layout sized w for these fields; keep them filling it
    fx = x0
    for j, (t, fw) in enumerate(zip(fields, widths)):
        fw *= scale
        if j:
            out.append(f'<line x1="{_f(fx)}" y1="{_f(y0)}" x2="{_f(fx)}" y2="{_f(y0 + h)}" '
                       f'stroke="{stroke}" stroke-width="{sw:g}"/>')
        weight = ' font-weight="bold"' if j == 0 and t else ""
        out.append(f'<text x="{_f(fx + fw / 2)}" y="{_f(cy)}"{weight}>{_xml(t)}</text>')
        fx += fw
    out += _outline(mark, x0, y0, w, h)
    out.append("</g>")
    return out


def _svg_op(g, at, b, i):
    """The op ellipse of box ``b`` (node ``i``), dashed when its gradient is not a built-in rule."""
    of, os_, osw = _OP_STYLE
    how = g.meta[i].get("backward") if g.meta[i] else None
    op_tip = g.ops[i] + (f"\n{OP_MARKS[how]}" if how in OP_MARKS else "")
    op_dash = ' stroke-dasharray="3,2"' if how else ""
    return (f'<g class="op" id="gv-op{b}"><title>{_xml(op_tip)}</title>'
            f'<ellipse cx="{_f(at.op_x[b])}" cy="{_f(at.op_y[b])}" '
            f'rx="{_f(at.op_w[b] / 2)}" ry="{_f(at.op_h[b] / 2)}" fill="{of}" '
            f'stroke="{_LIGHT["nograd"] if how == "none" else os_}" stroke-width="{osw:g}"{op_dash}/>'
            f'<text x="{_f(at.op_x[b])}" y="{_f(at.op_y[b])}">{_xml(short_label(g.ops[i]))}</text></g>')


_LEGEND_ROW = 18


def _with_overlay(g, overlay, compare, W, H):
    """The overlay asked for (or None), the picture's size with room for its legend below, and
    the legend's rows (with the drawing's height, where they start)."""
    ov = make_overlay(g, overlay, compare)
    if ov is None:
        return None, W, H, []
    rows = _legend_rows(ov, W)
    return ov, max(W, 16 + 7 * len(rows[0][0][1])), H + 8 + _LEGEND_ROW * len(rows), [H, *rows]


def _overlay_mark(ov, i, tip):
    """Node ``i``'s overlay style (None when unmarked); its hover line goes into ``tip``."""
    mark = ov.style(i) if ov is not None else None
    if mark is not None:
        tip.append(ov.tip(i))
    return mark


def _outline(mark, x0, y0, w, h):
    if mark is None:
        return []
    dash = f' stroke-dasharray="{mark["dash"]}"' if mark["dash"] else ""
    return [f'<rect class="overlay" x="{_f(x0 - 2)}" y="{_f(y0 - 2)}" width="{_f(w + 4)}" height="{_f(h + 4)}" '
            f'rx="3" fill="none" stroke="{mark["colour"]}" stroke-width="3"{dash}/>']


def _legend_rows(ov, width):
    """The legend's lines: the overlay's summary, then its entries (those some node uses), as many
    to a line as fit in ``width``."""
    used = sorted(set(ov.mark.tolist()) - {NONE})
    rows, row, x = [[("summary", ov.kind + ": " + ov.summary)]], [], 0.0
    for k in used:
        e = ov.legend[k]
        need = 30 + 7 * len(e["text"])
        if row and x + need > width:
            rows.append(row)
            row, x = [], 0.0
        row.append((k, e["text"]))
        x += need
    if row:
        rows.append(row)
    return rows


def _legend_svg(ov, legend):
    if not legend:
        return []
    top, rows = legend[0], legend[1:]
    out = [f'<g class="legend" font-size="11" text-anchor="start" dominant-baseline="central" '
           f'fill="{SVG_INK["text"]}">']
    y = top + 8 + _LEGEND_ROW / 2
    for row in rows:
        x = 8.0
        for k, text in row:
            if k != "summary":
                e = ov.legend[k]
                dash = f' stroke-dasharray="{e["dash"]}"' if e["dash"] else ""
                out.append(f'<rect x="{_f(x)}" y="{_f(y - 6)}" width="18" height="12" rx="2" fill="none" '
                           f'stroke="{e["colour"]}" stroke-width="3"{dash}/>')
                x += 24
            out.append(f'<text x="{_f(x)}" y="{_f(y)}">{_xml(text)}</text>')
            x += 7 * len(text) + 6
        y += _LEGEND_ROW
    out.append("</g>")
    return out


def write_atomically(path, payload):
    """Write ``payload`` (bytes) to ``path`` whole or not at all: into a temporary file in the same
    folder, then a rename over the old file, so a failed write (a full disk, the file-size limit,
    an interrupt) leaves the old file as it was. A symlink is written through, as editors do (its
    target is replaced, the link stays); an existing file keeps its mode, a new one gets the mode
    ``open()`` would give it (0666 less the umask)."""
    path = os.path.realpath(os.fspath(path))
    folder = os.path.dirname(path)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=".gradviz-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask():
    """The process's umask, read without changing it where the system says it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old
