"""What a view opens on: its orientation and, for a captured model, how far it is folded.

A first view should show the whole graph with readable text. The lecture's graphs do in full. A
captured model drawn in full is a long column of tensors, of which a notebook output shows a
dozen; folded by module call (``conv1``, ``layer1.0``, ``self_attn``) it is a short chain that fits,
and a double click opens any module. ``first_layout`` picks the finest such folding that fits.
"""
from __future__ import annotations

from .grouping import module_levels
from .layout import READABLE, VIEW_BOX, layout, orientation

__all__ = ["first_layout", "oriented_layout", "fits_whole", "STAGE_HEIGHTS", "FOLDED_SOURCES"]

# The most pixels the widget's stage takes by default: a column needs more than a row.
STAGE_HEIGHTS = {"LR": 420, "RL": 420, "TB": 640, "BT": 640}
FOLDED_SOURCES = ("torch", "jax")  # graphs whose modules a first view may fold to fit


def fits_whole(lay, width=VIEW_BOX[0], readable=READABLE):
    """Whether layout ``lay`` fits a stage ``width`` px wide (and as tall as its orientation's
    STAGE_HEIGHTS) whole, at a zoom of at least ``readable``."""
    if len(lay) == 0:
        return True
    return min(width / lay.width, STAGE_HEIGHTS[lay.rankdir] / lay.height) >= readable


def oriented_layout(x, rankdir="auto", collapsed=None, show_grad=True):
    """``layout(x, ...)`` in ``rankdir``; "auto" picks the first view's orientation
    (``draw.layout.orientation``: left to right when that is readable whole, else top to bottom)."""
    lay = layout(x, collapsed=collapsed, rankdir="LR" if rankdir == "auto" else rankdir, show_grad=show_grad)
    if rankdir == "auto":
        rd = orientation(lay)
        if rd != lay.rankdir:
            lay = layout(lay.view, rankdir=rd, show_grad=show_grad)
    return lay


def first_layout(graph, collapsed="auto", rankdir="auto"):
    """The layout a view of ``graph`` opens with.

    ``rankdir="auto"``: left to right when that fits, else whichever shows the graph bigger (see
    ``draw.layout.orientation``). ``collapsed="auto"``: ``group_view``'s folding (big graphs only);
    then, for a graph from PyTorch or JAX that does not fit whole and readable (``fits_whole``), the
    finest folding by module call (``grouping.module_levels``) that does, if one of two boxes or
    more does.
    """
    lay = oriented_layout(graph, rankdir, collapsed)
    if not (isinstance(collapsed, str) and collapsed == "auto") or graph.source not in FOLDED_SOURCES \
            or fits_whole(lay):
        return lay
    for keys in module_levels(graph):
        if len(keys) < 2:  # the whole model as one box shows nothing of it
            break
        folded = oriented_layout(graph, rankdir, keys)
        if len(folded) < len(lay) and fits_whole(folded):
            return folded
    return lay
