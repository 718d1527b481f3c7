"""Node positions for drawing an expression graph, computed in Python (no system Graphviz).

``layout(x)`` draws like the lecture's ``draw_dot``: a layered left-to-right picture where every
value is a record ``label | data | grad`` and every computed value has its op ellipse just before it.
It is a Sugiyama-style layout: ranks (longest path, leaves pulled next to their first use), dummy
nodes on long edges, barycenter sweeps against crossings, then least-squares vertical coordinates
under spacing constraints. Graphs too big for that (the 66k-node moons loss, deep chains) get a
fully vectorised variant of the same steps without dummy nodes.

``layout(x, collapsed=...)`` lays out a grouped view (``gradviz.grouping.group_view``); box sizes
come from ``gradviz.textsize``. ``group_view``, ``GroupView``, ``box_fields``, ``text_width``,
``short_label`` and the text constants stay importable from here.
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from .grouping import GroupView, group_max, group_view
from .textsize import CHAR_WIDTH, FONT_SIZE, LABEL_MAX, box_fields, op_width, record_widths, short_label, text_width

__all__ = ["layout", "orientation", "group_view", "Layout", "GroupView", "box_fields", "text_width", "short_label",
           "FONT_SIZE", "CHAR_WIDTH", "LABEL_MAX"]

RECORD_H = 22.0      # px, height of a value record (12 px text and 5 px above and below)
OP_H = 20.0          # px, height of an op ellipse
RANK_SEP = 14.0      # px between neighbouring ranks (the first view fits more of the graph readable)
NODE_SEP = 8.0       # px between neighbouring nodes of a rank
DUMMY_SEP = 6.0      # px, room taken by an edge passing through a rank
SPINE_PULL = 100.    # how strongly a consumer's longest computed operand pulls it into line
LEAF_PULL = 0.02     # and a leaf operand (another computed operand: 1)
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
        return _careful(view, net)
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


def _operand_postorder(view):
    """Each box's index in an iterative DFS post-order from the root, operands in order."""
    g, m = view.graph, len(view)
    box_of = view.box_of.tolist()
    kids = [[] for _ in range(m)]
    if view.is_group.any():
        for c, p in view.edges.tolist():
            kids[p].append(c)
    ptr, ids = g.child_ptr, g.child_ids
    for b in np.flatnonzero(~view.is_group).tolist():
        seen = set()
        i = int(view.node[b])
        for c in ids[ptr[i]:ptr[i + 1]].tolist():  # not g.children: it would build every node's tuple
            cb = box_of[c]
            if cb != b and cb not in seen:
                seen.add(cb)
                kids[b].append(cb)
    post = [-1] * m
    k = 0
    for start in range(m - 1, -1, -1):
        if post[start] >= 0:
            continue
        post[start] = -2  # on the stack
        stack = [(start, iter(kids[start]))]
        while stack:
            b, it = stack[-1]
            for c in it:
                if post[c] == -1:
                    post[c] = -2
                    stack.append((c, iter(kids[c])))
                    break
            else:
                stack.pop()
                post[b] = k
                k += 1
    return np.array(post, dtype=np.float64)


def _compress(rank):
    used = np.zeros(int(rank.max()) + 1, dtype=bool)
    used[rank] = True
    new = np.cumsum(used) - 1
    return new[rank].astype(np.int64), int(used.sum())


class _Dummies(NamedTuple):
    """The layout graph with a dummy node wherever an edge crosses a rank, as plain lists (the
    careful pass works on small graphs, where numpy's per-call cost outweighs the work)."""
    rank: list           # per node, real then dummy
    s_rank: list
    s_ord: list
    up: list             # per node: [(neighbour in the rank before, weight)]
    down: list           # per node: [(neighbour in the rank after, weight)]
    chains: list         # per layout edge: its node sequence, ends included


def _with_dummies(net, rank):
    """Split every edge longer than one rank into a chain through dummy nodes."""
    N = net.size
    rk = rank.tolist()
    sr, so = net.s_rank.tolist(), net.s_ord.tolist()
    up, down = [[] for _ in range(N)], [[] for _ in range(N)]
    chains = []
    for a, b, w in zip(net.src.tolist(), net.dst.tolist(), net.weight.tolist()):
        seq = [a]
        for r in range(rk[a] + 1, rk[b]):
            seq.append(len(rk))
            rk.append(r)
            sr.append(0.0)
            so.append(DUMMY_SEP)
            up.append([])
            down.append([])
        seq.append(b)
        chains.append(seq)
        for u, v in zip(seq, seq[1:]):
            du, dv = u >= N, v >= N
            wt = w * (8.0 if du and dv else 2.0 if du or dv else 1.0)
            down[u].append((v, wt))
            up[v].append((u, wt))
    return _Dummies(rk, sr, so, up, down, chains)


def _careful(view, net):
    """Sugiyama with dummy nodes, barycenter sweeps and least-squares coordinates."""
    rank, R = _compress(net.rank)
    d = _with_dummies(net, rank)
    # initial order: DFS post-order from the root, operands in order (keeps subtrees together and
    # draws a above b for a - b); a long edge's dummies start next to its consumer
    key = [0.0] * len(d.rank)
    key[:net.m] = _operand_postorder(view).tolist()
    key[net.m:net.size] = (np.flatnonzero(net.has_op) - 0.5).tolist()
    for seq in d.chains:
        for u in seq[1:-1]:
            key[u] = key[seq[-1]]
    layers = [[] for _ in range(R)]
    for u in sorted(range(len(d.rank)), key=key.__getitem__):
        layers[d.rank[u]].append(u)
    layers = _order_ranks(layers, d)
    y = _order_coords(layers, d)
    x = _rank_coords(d.rank, d.s_rank, R)
    return x[:net.size], y[:net.size], rank[:net.m], _routes(d, x, y, len(net.bsrc)), "layered"


def _order_ranks(layers, d):
    """Barycenter sweeps down and up the ranks; the order with the fewest crossings wins."""
    pos = [0] * len(d.rank)

    def number(L):
        for i, u in enumerate(L):
            pos[u] = i

    def sweep(L, nbrs):
        bary = []
        for i, u in enumerate(L):
            nb = nbrs[u]
            bary.append(sum(pos[v] for v, _ in nb) / len(nb) if nb else float(i))
        L = [u for _, u in sorted(zip(bary, L), key=lambda t: t[0])]
        number(L)
        return L

    for L in layers:
        number(L)
    best, best_c = [L[:] for L in layers], _crossings(layers, d.down, pos)
    for _ in range(6):
        for r in range(1, len(layers)):
            layers[r] = sweep(layers[r], d.up)
        for r in range(len(layers) - 2, -1, -1):
            layers[r] = sweep(layers[r], d.down)
        c = _crossings(layers, d.down, pos)
        if c < best_c:
            best_c, best = c, [L[:] for L in layers]
        if c == 0:
            break
    return best


def _crossings(layers, down, pos):
    """Edge crossings between neighbouring ranks (inversions of the edges' far ends)."""
    total = 0
    for L in layers[:-1]:
        pairs = sorted((pos[u], pos[v]) for u in L for v, _ in down[u])
        if len(pairs) > 1:
            total += _inversions([b for _, b in pairs])
    return total


def _inversions(seq):
    """Number of pairs i < j with seq[i] > seq[j] (non-negative ints), by a Fenwick tree."""
    tree = [0] * (max(seq, default=0) + 2)
    inv = 0
    for seen, v in enumerate(seq):
        j, le = v + 1, 0
        while j > 0:
            le += tree[j]
            j -= j & -j
        inv += seen - le
        j = v + 1
        while j < len(tree):
            tree[j] += 1
            j += j & -j
    return inv


def _order_coords(layers, d):
    """Order-axis coordinates: each node pulled towards its neighbours (weighted least squares),
    under the spacing constraints of its rank, sweeping down, up and both ways."""
    so = d.s_ord
    y = [0.0] * len(d.rank)
    seps = []
    for L in layers:
        sep = [(so[a] + so[b]) / 2 + NODE_SEP for a, b in zip(L, L[1:])]
        seps.append(sep)
        c = 0.0
        for u, s in zip(L, [0.0, *sep]):
            c += s
            y[u] = c
        for u in L:
            y[u] -= c / 2

    def place(r, sides):
        """Moves rank r's nodes to their neighbours' weighted mean, spaced."""
        L, target, weight = layers[r], [], []
        for u in L:
            num = den = 0.0
            for nbrs in sides:
                for v, w in nbrs[u]:
                    num += w * y[v]
                    den += w
            target.append(num / den if den > 0 else y[u])
            weight.append(den if den > 0 else LEAF_PULL)  # no neighbour this side: yields
        for u, v in zip(L, _pava(target, weight, seps[r]) if len(L) > 1 else target):
            y[u] = v

    R = len(layers)
    for _ in range(8):
        before = y[:]
        for r in range(1, R):
            place(r, (d.up,))
        for r in range(R - 2, -1, -1):
            place(r, (d.down,))
        moved = sorted(map(float.__sub__, y, before))
        shift = moved[len(moved) // 2]  # positions are relative: a sweep may slide the whole drawing
        if max(moved[-1] - shift, shift - moved[0], 0.0) < 0.25:
            break  # a down and up sweep moved nothing visibly, or all of it alike: settled
    for _ in range(2):
        for r in range(R):
            place(r, (d.up, d.down))
    return np.array(y)


def _pava(d, w, sep):
    """Closest (weighted least squares) y to ``d`` with y[i+1] - y[i] >= sep[i]: isotonic
    regression of d - offsets by pool-adjacent-violators. Plain lists in and out."""
    if all(b - a >= s for a, b, s in zip(d, d[1:], sep)):
        return d  # already spaced: most ranks of a settled drawing
    off = [0.0]
    for s in sep:
        off.append(off[-1] + s)
    vals, wts, cnts = [], [], []
    for zi, wi in zip((a - b for a, b in zip(d, off)), w):
        v, ww, c = zi, wi, 1
        while vals and vals[-1] > v:
            pv, pw, pc = vals.pop(), wts.pop(), cnts.pop()
            v = (pv * pw + v * ww) / (pw + ww)
            ww += pw
            c += pc
        vals.append(v)
        wts.append(ww)
        cnts.append(c)
    out = []
    for v, c in zip(vals, cnts):
        out.extend([v] * c)
    return [a + b for a, b in zip(out, off)]


def _rank_coords(rank, s_rank, R):
    """Rank-axis coordinates: centred in each rank, ranks as wide as their widest node."""
    rank = np.asarray(rank, dtype=np.int64)
    ext = np.maximum(group_max(rank, np.asarray(s_rank, dtype=np.float64), R), 0.0)
    centre = np.cumsum(ext + RANK_SEP) - ext / 2 - RANK_SEP
    return centre[rank]


def _routes(d, x, y, n_edges):
    """The polylines of the view's edges (the first ``n_edges`` chains): out of the child's far
    side, through the dummies, into the parent's near side. Returns (points (P, 2), pointers)."""
    seqs = d.chains[:n_edges]
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    flat = np.fromiter(itertools.chain.from_iterable(seqs), dtype=np.int64, count=int(lens.sum()))
    ptr = np.concatenate([[0], np.cumsum(lens)])
    sr = np.asarray(d.s_rank)
    px = x[flat].copy()
    px[ptr[:-1]] += sr[flat[ptr[:-1]]] / 2
    px[ptr[1:] - 1] -= sr[flat[ptr[1:] - 1]] / 2
    return np.column_stack([px, y[flat]]), ptr


def _fast(net):
    """Big graphs: no dummy nodes; ordering and coordinates updated for all ranks at once."""
    m, N, esrc, edst, ewt, s_rank, s_ord = net.m, net.size, net.src, net.dst, net.weight, net.s_rank, net.s_ord
    rank, R = _compress(net.rank)
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

    x = _rank_coords(rank, s_rank, R)
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
