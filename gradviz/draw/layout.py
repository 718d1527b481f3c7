"""Node positions for drawing an expression graph, computed in Python (no system Graphviz).

``layout(x)`` draws like the lecture's ``draw_dot``: a layered left-to-right picture where every
value is a record ``label | data | grad`` and every computed value has its op ellipse just before it.
It is a Sugiyama-style layout: ranks (longest path, leaves pulled next to their first use), dummy
nodes on long edges, barycenter sweeps against crossings, then least-squares vertical coordinates
under spacing constraints. Graphs too big for that (the 66k-node moons loss, deep chains) get a
fully vectorised variant of the same steps without dummy nodes. The careful pass for small graphs
is ``draw/layered.py``.

``layout(x, collapsed=...)`` lays out a grouped view (``gradviz.grouping.group_view``); box sizes
come from ``gradviz.textsize``. ``group_view``, ``GroupView``, ``box_fields``, ``text_width``,
``short_label`` and the text constants stay importable from here.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .grouping import GroupView, group_max, group_view
from .layered import LEAF_PULL, NODE_SEP, RANK_SEP, careful_layout, compress, rank_coords
from .textsize import CHAR_WIDTH, FONT_SIZE, LABEL_MAX, box_fields, op_width, record_widths, short_label, text_width

__all__ = ["layout", "orientation", "group_view", "Layout", "GroupView", "box_fields", "text_width", "short_label",
           "FONT_SIZE", "CHAR_WIDTH", "LABEL_MAX"]

RECORD_H = 22.0      # px, height of a value record (12 px text and 5 px above and below)
OP_H = 20.0          # px, height of an op ellipse
SPINE_PULL = 100.    # how strongly a consumer's longest computed operand pulls it into line
MARGIN = 8.0         # px around the drawing

_SMALL = 8_000       # layout nodes (with dummies) up to which the careful mode is used
_SMALL_RANKS = 1_500
_RANKDIRS = ("LR", "RL", "TB", "BT")


class Layout:
    """Positions of a view's boxes, in px, indexed by view box id (``view.box_of`` maps graph ids).

    - ``x``, ``y``: centre of each value record; ``w``, ``h``: its size.
    - ``op_x``, ``op_y``, ``op_w``, ``op_h``: the op ellipse drawn just before a computed value
      (NaN for leaves and group boxes); the value's incoming edges end at its ellipse.
    - ``edges``: int array (E, 2) of (child box, parent box) as in ``view.edges``; ``route(k)``:
      the polyline (P, 2) of edge k from the child's record to the parent's ellipse (or record),
      with bends where it passes through other ranks; all of them packed in ``route_xy`` (all
      points) and ``route_ptr`` (edge k is rows ``route_ptr[k]:route_ptr[k+1]``). Every computed
      value also has a short ellipse -> record edge, not listed.
    - ``rank``: the layer of each record (its ellipse is in ``rank - 1``).
    - ``width``, ``height``: the drawing's size; ``rankdir``; ``view``: the GroupView laid out;
      ``mode``: ``"layered"`` (dummy nodes, careful) or ``"fast"`` (big graphs).
    """

    def __init__(self, view, rankdir, x, y, w, h, op_x, op_y, op_w, op_h, rank, route_xy,
                 route_ptr, width, height, mode):
        self.view, self.rankdir, self.mode = view, rankdir, mode
        self.x, self.y, self.w, self.h = x, y, w, h
        self.op_x, self.op_y, self.op_w, self.op_h = op_x, op_y, op_w, op_h
        self.rank = rank
        self.edges = view.edges
        self.route_xy, self.route_ptr = route_xy, route_ptr
        self.width, self.height = float(width), float(height)

    def __len__(self):
        return len(self.x)

    def route(self, k):
        """The polyline (P, 2) of edge ``k``: child record, bends, parent ellipse (or record)."""
        return self.route_xy[self.route_ptr[k]:self.route_ptr[k + 1]]

    def to_dict(self):
        """Plain lists and numbers (NaN as None), ready for JSON."""
        def col(a, nd=2):
            return [None if v != v else round(v, nd) for v in a.tolist()]
        v = self.view
        return {
            "rankdir": self.rankdir, "mode": self.mode,
            "width": round(self.width, 2), "height": round(self.height, 2),
            "x": col(self.x), "y": col(self.y), "w": col(self.w), "h": col(self.h),
            "op_x": col(self.op_x), "op_y": col(self.op_y),
            "op_w": col(self.op_w), "op_h": col(self.op_h),
            "rank": self.rank.tolist(),
            "edges": self.edges.tolist(),
            "route_xy": np.round(self.route_xy, 2).ravel().tolist(),
            "route_ptr": self.route_ptr.tolist(),
            "node": v.node.tolist(), "keys": list(v.keys), "count": v.count.tolist(),
            "labels": list(v.labels), "ops": list(v.ops), "kinds": list(v.kinds),
            "collapsed": list(v.collapsed),
        }

    def __repr__(self):
        return (f"<Layout of {len(self)} boxes, {self.width:.0f} x {self.height:.0f} px, "
                f"{self.rankdir}, {self.mode}>")


def layout(x, rankdir="LR", collapsed=None, show_grad=True, max_boxes=200):
    """Lay out ``x`` (a Value, Graph or GroupView): records, op ellipses and edge routes.

    ``rankdir``: "LR" (the lecture's), "RL", "TB" or "BT". ``collapsed``: see ``group_view``
    (ignored when ``x`` is already a GroupView). Sizes fit ``label | data | grad`` (without the
    grad field if ``show_grad`` is false) in a 12 px monospace font.
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir={rankdir!r}: use one of {', '.join(_RANKDIRS)}")
    view = x if isinstance(x, GroupView) else group_view(x, collapsed, max_boxes=max_boxes)
    m = len(view)
    if m == 0:
        e = np.zeros(0)
        return Layout(view, rankdir, e, e, e, e, e, e, e, e, np.zeros(0, np.int64),
                      np.zeros((0, 2)), np.zeros(1, np.int64), 0, 0, "layered")
    w, h, has_op, op_w = _sizes(view, show_grad)
    horizontal = rankdir in ("LR", "RL")
    s_rank = np.concatenate([w, op_w[has_op]]) if horizontal else np.concatenate([h, np.full(int(has_op.sum()), OP_H)])
    s_ord = np.concatenate([h, np.full(int(has_op.sum()), OP_H)]) if horizontal else np.concatenate([w, op_w[has_op]])
    res = _layered(view, has_op, s_rank, s_ord)
    pr, po, rank, routes, mode = res
    n_ops = int(has_op.sum())
    op_index = np.full(m, -1, dtype=np.int64)
    op_index[has_op] = m + np.arange(n_ops)
    # (rank axis, order axis) -> (x, y)
    lo_r = (pr - s_rank / 2).min()
    lo_o = (po - s_ord / 2).min()
    pr = pr - lo_r + MARGIN
    po = po - lo_o + MARGIN
    pts, ptr = routes
    pts = pts - np.array([lo_r - MARGIN, lo_o - MARGIN])
    ext_r = float((pr + s_rank / 2).max() + MARGIN)
    ext_o = float((po + s_ord / 2).max() + MARGIN)
    if rankdir in ("RL", "BT"):
        pr = ext_r - pr
        pts[:, 0] = ext_r - pts[:, 0]
    if horizontal:
        X, Y, width, height = pr, po, ext_r, ext_o
    else:
        X, Y, width, height = po, pr, ext_o, ext_r
        pts = pts[:, ::-1].copy()
    nan = np.full(m, np.nan)
    op_x, op_y, opw, oph = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    op_x[has_op] = X[m:]
    op_y[has_op] = Y[m:]
    opw[has_op] = op_w[has_op]
    oph[has_op] = OP_H
    return Layout(view, rankdir, X[:m].copy(), Y[:m].copy(), w, h, op_x, op_y, opw, oph, rank,
                  pts, ptr, width, height, mode)


# The output a first view is planned for: a notebook's output area (JupyterLab at a 1400 px window
# gives ~958 px) and the tallest stage a top-to-bottom view takes; the smallest readable zoom
# (10 px text, as the page's MIN_TEXT_PX).
VIEW_BOX = (900.0, 640.0)
READABLE = 10.0 / FONT_SIZE


def orientation(lay, box=VIEW_BOX, readable=READABLE):
    """``"LR"`` or ``"TB"`` for a view laid out left to right as ``lay``: left to right (the
    lecture's way) when it fits ``box`` (width, height px) whole at a ``readable`` zoom, else
    whichever shows the graph bigger; top to bottom is estimated from ``lay``'s ranks (each rank
    as tall as its tallest node, as wide as its nodes side by side) without laying it out."""
    if len(lay) == 0 or lay.rankdir not in ("LR", "RL"):
        return "LR"
    W, H = box
    k_lr = min(W / lay.width, H / lay.height, 1.5)
    if k_lr >= readable:
        return "LR"
    has_op = np.isfinite(lay.op_x)
    rank = np.concatenate([lay.rank, lay.rank[has_op] - 1])
    rank = rank - rank.min()
    along = np.concatenate([lay.h, lay.op_h[has_op]])   # TB: heights go along the ranks
    across = np.concatenate([lay.w, lay.op_w[has_op]])  # and widths side by side
    R = int(rank.max()) + 1
    used = np.bincount(rank, minlength=R) > 0
    tall = float(group_max(rank, along, R)[used].sum() + RANK_SEP * (used.sum() - 1) + 2 * MARGIN)
    wide = float((np.bincount(rank, weights=across + NODE_SEP, minlength=R) - NODE_SEP).max() + 2 * MARGIN)
    k_tb = min(W / wide, H / tall, 1.5)
    return "TB" if k_tb > 1.1 * k_lr else "LR"


def _sizes(view, show_grad):
    """Record width/height, which boxes have an op ellipse, and the ellipses' widths."""
    m = len(view)
    w = record_widths(view, show_grad)
    h = np.full(m, RECORD_H)
    ops = view.ops
    width_of = {o: op_width(o) for o in set(ops)}
    op_w = np.fromiter(map(width_of.__getitem__, ops), dtype=np.float64, count=m)
    has_op = op_w > 0
    return w, h, has_op, op_w


class _Net(NamedTuple):
    """The graph the layout places: boxes ``0..m-1`` and their op nodes ``m..``, with edges
    child box -> parent's op (or the parent box itself) and op -> its box."""
    m: int               # value boxes
    rank: np.ndarray     # layer of every node (boxes, then ops)
    src: np.ndarray      # edges of the layout graph
    dst: np.ndarray
    weight: np.ndarray   # how strongly an edge pulls its ends into line (op -> box: 8)
    s_rank: np.ndarray   # every node's size along the rank axis
    s_ord: np.ndarray    # and along the order axis
    has_op: np.ndarray   # (m,) which boxes have an op node
    op_index: np.ndarray  # (m,) the op node of a box, -1 if none
    bsrc: np.ndarray     # the view's edges (child box, parent box)
    bdst: np.ndarray

    @property
    def size(self):
        return len(self.rank)


def _layered(view, has_op, s_rank, s_ord):
    """Core: rank and order coordinates for boxes (ids 0..m-1) and their op nodes (m..)."""
    m = len(view)
    n_ops = int(has_op.sum())
    op_index = np.full(m, -1, dtype=np.int64)
    op_index[has_op] = m + np.arange(n_ops)
    bsrc, bdst = view.edges[:, 0], view.edges[:, 1]
    tgt = np.where(has_op[bdst], op_index[bdst], bdst)
    rank_box = _ranks(m, bsrc, bdst, has_op, careful=m <= _SMALL)
    rank = np.concatenate([rank_box, rank_box[has_op] - 1])
    # How strongly an operand pulls its consumer into line: the longest computed operand (the
    # spine: a model's activations) most, a leaf (a parameter, an input) least, so the computation
    # runs straight with its parameters beside it rather than as a staircase.
    computed = np.bincount(bdst, minlength=m) > 0
    spine = computed[bsrc] & (rank_box[bsrc] == group_max(bdst, rank_box[bsrc].astype(np.float64), m)[bdst])
    pull = np.where(spine, SPINE_PULL, np.where(computed[bsrc], 1.0, LEAF_PULL))
    net = _Net(m, rank, np.concatenate([bsrc, op_index[has_op]]), np.concatenate([tgt, np.flatnonzero(has_op)]),
               np.concatenate([pull, np.full(n_ops, SPINE_PULL)]), s_rank, s_ord, has_op, op_index,
               bsrc, bdst)
    n_dummy = int((rank[net.dst] - rank[net.src] - 1).sum())
    n_ranks_used = int((np.bincount(rank - rank.min()) > 0).sum())
    if net.size + n_dummy <= _SMALL and n_ranks_used <= _SMALL_RANKS:
        return careful_layout(view, net)
    return _fast(net)


def _ranks(m, bsrc, bdst, has_op, careful):
    """Layer of every box: longest path from the leaves (an op takes a rank of its own), then
    leaves, and in small graphs any node used more often than it uses, pulled right next to
    their first consumer (as Graphviz's network simplex tends to place them)."""
    step = np.where(has_op, 2, 1)
    order = np.argsort(bdst, kind="stable")
    s_sorted = bsrc[order].tolist()
    ptr = np.concatenate([[0], np.cumsum(np.bincount(bdst, minlength=m))]).tolist()
    stepl = step.tolist()
    r = [0] * m
    get = r.__getitem__
    for b in range(m):
        lo, hi = ptr[b], ptr[b + 1]
        if hi > lo:
            r[b] = max(map(get, s_sorted[lo:hi])) + stepl[b]
    rank = np.array(r, dtype=np.int64)
    entry_off = np.where(has_op, 1, 0)
    indeg = np.diff(np.array(ptr))
    outdeg = np.bincount(bsrc, minlength=m)
    if careful:
        order2 = np.argsort(bsrc, kind="stable")
        d_sorted = bdst[order2].tolist()
        ptr2 = np.concatenate([[0], np.cumsum(outdeg)]).tolist()
        offl = entry_off.tolist()
        movable = ((outdeg >= indeg) & (outdeg > 0)).tolist()
        for b in range(m - 1, -1, -1):
            if movable[b]:
                lo, hi = ptr2[b], ptr2[b + 1]
                r[b] = min(r[p] - offl[p] for p in d_sorted[lo:hi]) - 1
        rank = np.array(r, dtype=np.int64)
    else:
        leaves = (indeg == 0) & (outdeg > 0)
        latest = -group_max(bsrc, 1 + entry_off[bdst] - rank[bdst], m)  # min(entry - 1)
        rank[leaves] = latest[leaves]
    return rank - rank.min()


def _fast(net):
    """Big graphs: no dummy nodes; ordering and coordinates updated for all ranks at once."""
    m, N, esrc, edst, ewt, s_rank, s_ord = net.m, net.size, net.src, net.dst, net.weight, net.s_rank, net.s_ord
    rank, R = compress(net.rank)
    key = np.empty(N)
    key[:m] = np.arange(m)
    key[m:] = np.flatnonzero(net.has_op) - 0.5
    layer_size = np.bincount(rank, minlength=R)
    layer_start = np.concatenate([[0], np.cumsum(layer_size)])

    def reorder(key):
        o = np.lexsort((key, rank))
        p = np.empty(N)
        p[o] = np.arange(N) - layer_start[rank[o]]
        return o, p

    o, p = reorder(key)
    # both directions, for the barycentres
    A = np.concatenate([esrc, edst])
    B = np.concatenate([edst, esrc])
    Wt = np.concatenate([ewt, ewt])
    deg = np.bincount(A, weights=Wt, minlength=N)
    for _ in range(4):
        norm = (p + 0.5) / layer_size[rank]
        bary = np.bincount(A, weights=Wt * norm[B], minlength=N)
        bary = np.where(deg > 0, bary / np.maximum(deg, 1e-300), norm)
        o, p = reorder(0.5 * bary + 0.5 * norm)
    del bary, norm, p  # big graphs: free what is done with before the next arrays are made

    # coordinates: packed, then pulled towards neighbours and projected back onto the spacing
    s = s_ord[o]
    same = np.concatenate([[False], rank[o][1:] == rank[o][:-1]])
    gaps = np.where(same, np.concatenate([[0.0], (s[:-1] + s[1:]) / 2 + NODE_SEP]), 0.0)
    cum = np.cumsum(gaps)
    off_sorted = cum - cum[layer_start[rank[o]]]
    off = np.empty(N)
    off[o] = off_sorted
    y = off - (off_sorted[layer_start[1:] - 1])[rank] / 2
    lay_sorted = rank[o].astype(np.float64)
    del s, same, gaps, cum, off_sorted
    for _ in range(6):
        num = np.bincount(A, weights=Wt * y[B], minlength=N)
        d = np.where(deg > 0, num / np.maximum(deg, 1e-300), y)
        z = (d - off)[o]
        big = 2.0 * (z.max() - z.min()) + 1.0
        zz = z + lay_sorted * big
        zf = np.maximum.accumulate(zz)
        zb = np.minimum.accumulate(zz[::-1])[::-1]
        zs = (zf + zb) / 2 - lay_sorted * big
        y_new = np.empty(N)
        y_new[o] = zs
        y = y_new + off
        del num, d, z, zz, zf, zb, zs, y_new
    del A, B, Wt, deg, off, lay_sorted, o

    x = rank_coords(rank, s_rank, R)
    bsrc, bdst = net.bsrc, net.bdst
    tgt = np.where(net.has_op[bdst], net.op_index[bdst], bdst)
    pts = np.empty((len(bsrc), 2, 2))  # per edge: (x, y) where it leaves, (x, y) where it enters
    pts[:, 0, 0] = x[bsrc] + s_rank[bsrc] / 2
    pts[:, 0, 1] = y[bsrc]
    pts[:, 1, 0] = x[tgt] - s_rank[tgt] / 2
    pts[:, 1, 1] = y[tgt]
    pts = pts.reshape(-1, 2)
    ptr = np.arange(0, 2 * len(bsrc) + 1, 2)
    return x, y, rank[:m], (pts, ptr), "fast"
