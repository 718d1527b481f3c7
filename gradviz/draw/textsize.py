"""How wide the text of a drawn box is, in px, so boxes fit what they show.

The drawing uses a monospace font of ``FONT_SIZE`` px, so a text's width is its length times
``CHAR_WIDTH``. A record is ``label | data | grad`` (``box_fields``); each field gets ``FIELD_PAD``
on each side. Labels and ops longer than ``LABEL_MAX`` characters are cut (``short_label``), so one
huge label cannot make the drawing huge. The layout (``draw.layout``) sizes boxes with these,
and the SVG renderer (``draw.render``) splits records with the same widths, so text and boxes
agree.
"""
from __future__ import annotations

import math

import numpy as np

from .tensor_text import has_cells, record_cells
from .theme import CHAR_WIDTH, FIELD_PAD, FONT_SIZE  # text size and padding, defined once for Python and the page

__all__ = ["FONT_SIZE", "CHAR_WIDTH", "FIELD_PAD", "LABEL_MAX", "OP_MIN_W", "short_label",
           "text_width", "box_fields", "field_widths", "record_widths", "op_width", "fmt4", "HUGE"]

OP_MIN_W = 26.0      # px, narrowest op ellipse
LABEL_MAX = 40       # characters of a label (or op) a record shows; the full text is in the tooltip


def short_label(text, limit=LABEL_MAX):
    """``text`` cut to ``limit`` characters with an ellipsis: a 100,000-character label must not
    make a record (and so the whole drawing and Fit) 100,000 characters wide."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def text_width(text):
    """Width in px of ``text`` at FONT_SIZE in a monospace font."""
    return len(text) * CHAR_WIDTH


HUGE = 1e16  # from here on a record's number reads 1.0000e+16: "%.4f" would print every digit of 1e308


def fmt4(v):
    """The lecture's "%.4f" (nan, inf and -inf print plainly), in scientific notation past HUGE."""
    return "%.4e" % v if HUGE <= abs(v) < math.inf else "%.4f" % v


def box_fields(view, b, show_grad=True):
    """The record fields of view box ``b``: ``[label, "data 2.0000", "grad -4.0000"]``.

    A group box shows its output node's data and grad; a group with several outputs (a layer)
    shows how many instead. The renderer and the layout share this so sizes match the text.
    """
    g = view.graph
    i = int(view.node[b])
    if view.is_group[b] and view.n_outputs[b] != 1:
        return [short_label(view.labels[b]), f"{int(view.n_outputs[b])} outputs"]
    if has_cells(g):  # a tensor: op | shape | value | grad (see draw.tensor_text)
        return [short_label(view.labels[b] or g.ops[i]), *record_cells(g, i, show_grad)]
    fields = [short_label(view.labels[b]), "data " + fmt4(g.data[i])]
    if show_grad:
        fields.append("grad " + fmt4(g.grad[i]))
    return fields


def field_widths(fields):
    """Width in px of each record field (its text, at least one character, plus padding)."""
    return [max(text_width(t), CHAR_WIDTH) + 2 * FIELD_PAD for t in fields]


def op_width(op):
    """Width in px of the ellipse of op ``op`` (0.0 for ``""``: a leaf or a group has none)."""
    return max(OP_MIN_W, text_width(short_label(op)) + 2 * FIELD_PAD + 6) if op else 0.0


def record_widths(view, show_grad=True):
    """Width in px of every box of ``view`` (a GroupView): the sum of its ``field_widths``.

    The full view of a scalar graph takes a vectorised path (lengths of the label and of the
    "%.4f" numbers), which gives the same widths without formatting a million strings."""
    g = view.graph
    m = len(view)
    if not view.is_group.any() and not has_cells(g):
        lab = np.minimum(np.fromiter(map(len, view.labels), dtype=np.float64, count=m), LABEL_MAX)
        nodes = view.node
        w = (np.maximum(lab, 1) + _num_len(g.data[nodes]) + 5) * CHAR_WIDTH + 4 * FIELD_PAD
        if show_grad:
            w += (_num_len(g.grad[nodes]) + 5) * CHAR_WIDTH + 2 * FIELD_PAD
        return w
    w = np.empty(m)
    for b in range(m):
        w[b] = sum(field_widths(box_fields(view, b, show_grad)))
    return w


def _num_len(a):
    """len(fmt4(v)) for every v of ``a``, vectorised."""
    a = np.asarray(a, dtype=np.float64)
    out = np.empty(len(a))
    finite = np.isfinite(a)
    huge = finite & (np.abs(a) >= HUGE)
    if huge.any():  # d.dddde+XX: the exponent of the rounded mantissa, two digits at least
        v = np.abs(a[huge])
        e = np.floor(np.log10(v))
        e += np.round(v / 10.0 ** e, 4) >= 10  # 9.99996e20 prints as 1.0000e+21
        out[huge] = 8 + np.where(e >= 100, 3, 2) + np.signbit(a[huge])
    fin = finite & ~huge
    v = np.abs(a[fin])
    # "%.4f" rounds, so 9.99996 prints as 10.0000; from 1e15 on a float has no fraction to round
    # (and rounding would overflow: round() scales by 1e4, so 1e305 would become inf)
    r = np.where(v < 1e15, np.round(np.minimum(v, 1e15), 4), v)
    digits = np.where(r >= 1, np.floor(np.log10(np.maximum(r, 1))) + 1, 1)
    # correct float edge cases of log10 (e.g. 1000 -> 2.9999...); 10 ** 309 is inf, which is right
    with np.errstate(over="ignore"):
        digits += (r >= 10 ** digits)
        digits -= (digits > 1) & (r < 10 ** (digits - 1))
    out[fin] = digits + 5 + np.signbit(a[fin])
    nf = ~finite
    out[nf] = np.where(np.isnan(a[nf]), 3, np.where(a[nf] < 0, 4, 3))
    return out
