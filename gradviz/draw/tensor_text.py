"""How a tensor node of a PyTorch graph reads: its record cells and its hover lines.

A gradviz Value is one number, so its record reads ``label | data | grad``. A PyTorch node is a
tensor, so a graph from ``from_torch`` or ``capture_torch`` (``source == "torch"``), or from ``capture_jax`` (``"jax"``) reads
``op | shape | value | grad`` instead, built here from the node's ``meta`` (statistics kept by
the capture) and shared by ``to_svg``, ``draw_dot``, the layout (widths) and the widget (which
receives the texts, so Python and the page never disagree). A value autograd did not keep reads
"—", never "nan".
"""
from __future__ import annotations

import math

__all__ = ["STATS", "MISSING", "record_cells", "hover_lines", "shape_text", "has_cells", "title"]

STATS = ("mean", "std", "min", "max", "norm")  # what a summary holds, in this order
MISSING = "—"
INLINE = 3  # a record shows the whole value of a tensor of at most this many elements


def has_cells(graph):
    """True if ``graph``'s records are drawn as tensor summaries (a graph from PyTorch)."""
    return getattr(graph, "source", "gradviz") in ("torch", "jax")


def _g(x, digits=3):
    return f"{float(x):.{digits}g}"  # "g" writes nan, inf and -inf as words


def shape_text(shape):
    """``[8, 16, 14, 14]`` -> ``8×16×14×14``; ``[]`` -> ``scalar``; None -> ``?``."""
    if shape is None:
        return "?"
    return "×".join(map(str, shape)) if len(shape) else "scalar"


def _few(values):
    if len(values) == 1:
        return _g(values[0], 4)
    return "[" + ", ".join(_g(v, 3) for v in values) + "]"


def _value_cell(m, scalar):
    s = m.get("value")
    if s and "mean" in s:
        if len(s.get("values", ())) <= INLINE and "values" in s:
            return _few(s["values"])
        return f"μ{_g(s['mean'])} σ{_g(s['std'])}" if "std" in s else f"μ{_g(s['mean'])}"
    if math.isfinite(scalar):
        return _g(scalar, 4)
    if "data_mean" in m:  # from_torch's summary of a leaf
        return f"μ{_g(m['data_mean'])}"
    return MISSING


def _grad_cell(m, scalar):
    s = m.get("grad")
    if s and "norm" in s:
        return "∇ " + _few(s["values"]) if len(s.get("values", ())) <= INLINE and "values" in s \
            else f"‖∇‖ {_g(s['norm'])}"
    if math.isfinite(scalar):
        return "∇ " + _g(scalar, 4)
    if "grad_norm" in m:
        return f"‖∇‖ {_g(m['grad_norm'])}"
    return MISSING


def record_cells(graph, i, show_grad=True):
    """The cells after the title of node ``i``'s record: ``[shape, value, grad]``.

    The value is the whole tensor for up to INLINE elements (``[0.1, -0.2]``), else its mean and std
    (``μ0.012 σ1.02``); the grad is the gradient's norm (``‖∇‖ 0.0031``); "—" where unknown.
    """
    m = graph.meta[i]
    cells = [shape_text(m.get("shape")), _value_cell(m, float(graph.data[i]))]
    if show_grad:
        cells.append(_grad_cell(m, float(graph.grad[i])))
    return cells


def title(graph, i):
    """The first cell: the label (a parameter's dotted name, the torch function), else the op."""
    return graph.labels[i] or graph.ops[i]


def _stats_line(what, s):
    if not s:
        return None
    if "values" in s and len(s["values"]) == 1:
        return f"{what} {s['values'][0]!r}"
    parts = [f"{k} {_g(s[k], 6)}" for k in STATS if k in s]
    line = f"{what} " + ", ".join(parts)
    if "values" in s:
        line += f"; all: [{', '.join(repr(v) for v in s['values'])}]"
    return line


def _number_line(what, prefix, m, x, why_missing):
    """The ``value`` or ``grad`` line of a hover, from the best that is known: the recorded
    summary (``m[what]``), else the scalar ``x``, else ``from_torch``'s ``<prefix>_mean``/``_norm``."""
    line = _stats_line(what, m.get(what))
    if line is None and math.isfinite(x):
        line = f"{what} {x!r}"
    if line is None and f"{prefix}_mean" in m:
        line = f"{what} mean {_g(m[prefix + '_mean'], 6)}, norm {_g(m[prefix + '_norm'], 6)}"
    return line or f"{what} {MISSING} ({why_missing})"


def hover_lines(graph, i):
    """Every statistic of node ``i`` as plain text lines (the caller escapes them)."""
    m = graph.meta[i]
    lines = []
    fn = m.get("grad_fn") if graph.ops[i] else None
    if m.get("name"):
        lines.append(f"parameter {m['name']}" if graph.kinds[i] == "parameter" else m["name"])
    if m.get("function"):
        lines.append(f"torch {m['function']}" + (f" -> {fn}" if fn else ""))
    elif fn:
        lines.append(f"autograd {fn}")
    elif m.get("primitive"):
        lines.append(f"jax {m['primitive']}")
    shape = m.get("shape")
    if shape is not None:
        lines.append(f"shape {shape_text(shape)}" + (f" {m['dtype']}" if m.get("dtype") else ""))
    lines.append(_number_line("value", "data", m, float(graph.data[i]), "autograd did not keep it"))
    lines.append(_number_line("grad", "grad", m, float(graph.grad[i]),
                              "no backward reached it while recording"))
    if m.get("module"):
        lines.append(f"module {m['module']}" + (f" ({m['module_type']})" if m.get("module_type") else ""))
    if m.get("source"):  # the user's line that made it (torch.export's stack_trace)
        lines.append(f"at {m['source']}")
    if m.get("saved"):
        lines.append("saved " + ", ".join(f"{k}={v}" for k, v in m["saved"].items()))
    return lines
