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

import numpy as np

from .grouping import GroupView, group_max, group_view
from .textsize import CHAR_WIDTH, FONT_SIZE, LABEL_MAX, box_fields, op_width, record_widths, short_label, text_width

__all__ = ["layout", "group_view", "Layout", "GroupView", "box_fields", "text_width", "short_label",
           "FONT_SIZE", "CHAR_WIDTH", "LABEL_MAX"]

RECORD_H = 26.0      # px, height of a value record (in LR)
OP_H = 26.0          # px, height of an op ellipse
RANK_SEP = 28.0      # px between neighbouring ranks
NODE_SEP = 12.0      # px between neighbouring nodes of a rank
DUMMY_SEP = 6.0      # px, room taken by an edge passing through a rank
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


def _layered(view, has_op, s_rank, s_ord):
    """Core: rank and order coordinates for boxes (ids 0..m-1) and their op nodes (m..)."""
    m = len(view)
    n_ops = int(has_op.sum())
    N = m + n_ops
    op_index = np.full(m, -1, dtype=np.int64)
    op_index[has_op] = m + np.arange(n_ops)
    e = view.edges
    bsrc, bdst = e[:, 0], e[:, 1]
    # layout-graph edges: child box -> parent's op (or the parent box itself), op -> its box
    tgt = np.where(has_op[bdst], op_index[bdst], bdst)
    esrc = np.concatenate([bsrc, op_index[has_op]])
    edst = np.concatenate([tgt, np.flatnonzero(has_op)])
    ewt = np.concatenate([np.ones(len(bsrc)), np.full(n_ops, 8.0)])

    rank_box = _ranks(m, bsrc, bdst, has_op, careful=m <= _SMALL)
    rank = np.empty(N, dtype=np.int64)
    rank[:m] = rank_box
    rank[m:] = rank_box[has_op] - 1

    span = rank[edst] - rank[esrc]
    n_dummy = int((span - 1).sum())
    # compress unused ranks (cheap and keeps the picture tight)
    n_ranks_used = int((np.bincount(rank - rank.min()) > 0).sum())
    careful = N + n_dummy <= _SMALL and n_ranks_used <= _SMALL_RANKS
    if careful:
        return _careful(view, N, rank, esrc, edst, ewt, s_rank, s_ord, bsrc, has_op)
    return _fast(m, N, rank, esrc, edst, ewt, s_rank, s_ord, op_index, bsrc, bdst, has_op)


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
        movable = ((outdeg > indeg) & (outdeg > 0)).tolist()
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


def _careful(view, N, rank, esrc, edst, ewt, s_rank, s_ord, bsrc, has_op):
    """Sugiyama with dummy nodes, Gauss-Seidel barycenter sweeps and least-squares coordinates."""
    m = len(view)
    rank, R = _compress(rank)
    span = rank[edst] - rank[esrc]
    # dummy chains for edges longer than one rank
    n_d = span - 1
    D = int(n_d.sum())
    T = N + D
    all_rank = np.concatenate([rank, np.zeros(D, dtype=np.int64)])
    sr = np.concatenate([s_rank, np.zeros(D)])
    so = np.concatenate([s_ord, np.full(D, DUMMY_SEP)])
    chains = []  # per layout edge: its node sequence
    src_l, dst_l, wt_l = [], [], []
    nxt = N
    es, ed, ew, sp = esrc.tolist(), edst.tolist(), ewt.tolist(), span.tolist()
    rk = all_rank
    for k in range(len(es)):
        a, b, s = es[k], ed[k], sp[k]
        seq = [a]
        for j in range(1, s):
            rk[nxt] = rank[a] + j
            seq.append(nxt)
            nxt += 1
        seq.append(b)
        chains.append(seq)
        for u, v in zip(seq, seq[1:]):
            src_l.append(u)
            dst_l.append(v)
            du, dv = u >= N, v >= N
            wt_l.append(8.0 if du and dv else 2.0 if du or dv else ew[k])
    S = np.array(src_l, dtype=np.int64)
    Dd = np.array(dst_l, dtype=np.int64)
    W = np.array(wt_l)

    # initial order: DFS post-order from the root, operands in order (keeps subtrees together
    # and draws a above b for a - b)
    key = np.empty(T)
    key[:m] = _operand_postorder(view)
    key[m:N] = np.flatnonzero(has_op) - 0.5
    for seq in chains:
        for u in seq[1:-1]:
            key[u] = key[seq[-1]]  # start a long edge next to its consumer
    layers = [None] * R
    order_all = np.lexsort((key, rk))
    bounds = np.searchsorted(rk[order_all], np.arange(R + 1))
    for r in range(R):
        layers[r] = order_all[bounds[r]:bounds[r + 1]]
    pos = np.empty(T)
    for L in layers:
        pos[L] = np.arange(len(L))

    # edges grouped by the rank of either end (all of them join neighbouring ranks)
    e_by_dst_rank = _edges_by_rank(rk[Dd], R)
    e_by_src_rank = _edges_by_rank(rk[S], R)

    def sweep(r, down):
        L = layers[r]
        idx = e_by_dst_rank[r] if down else e_by_src_rank[r]
        if len(idx) == 0 or len(L) < 2:
            return
        me = Dd[idx] if down else S[idx]
        nb = S[idx] if down else Dd[idx]
        local = np.empty(T, dtype=np.int64)
        local[L] = np.arange(len(L))
        li = local[me]
        sums = np.bincount(li, weights=pos[nb], minlength=len(L))
        cnt = np.bincount(li, minlength=len(L))
        bary = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.arange(len(L), dtype=float))
        newL = L[np.argsort(bary, kind="stable")]
        layers[r] = newL
        pos[newL] = np.arange(len(newL))

    best = [L.copy() for L in layers]
    best_c = _crossings(layers, S, Dd, pos, e_by_src_rank, rk)
    for _ in range(6):
        for r in range(1, R):
            sweep(r, True)
        for r in range(R - 2, -1, -1):
            sweep(r, False)
        c = _crossings(layers, S, Dd, pos, e_by_src_rank, rk)
        if c < best_c:
            best_c, best = c, [L.copy() for L in layers]
        if c == 0:
            break
    layers = best
    for L in layers:
        pos[L] = np.arange(len(L))

    # order-axis coordinates: least squares towards neighbours, under spacing constraints
    y = np.empty(T)
    for L in layers:
        s = so[L]
        c = np.concatenate([[0.0], np.cumsum((s[:-1] + s[1:]) / 2 + NODE_SEP)])
        y[L] = c - c[-1] / 2
    sep_of = []
    for L in layers:
        s = so[L]
        sep_of.append(((s[:-1] + s[1:]) / 2 + NODE_SEP).tolist())

    def place(r, use_in, use_out):
        L = layers[r]
        local = np.empty(T, dtype=np.int64)
        local[L] = np.arange(len(L))
        num = np.zeros(len(L))
        den = np.zeros(len(L))
        if use_in:
            idx = e_by_dst_rank[r]
            li = local[Dd[idx]]
            num += np.bincount(li, weights=W[idx] * y[S[idx]], minlength=len(L))
            den += np.bincount(li, weights=W[idx], minlength=len(L))
        if use_out:
            idx = e_by_src_rank[r]
            li = local[S[idx]]
            num += np.bincount(li, weights=W[idx] * y[Dd[idx]], minlength=len(L))
            den += np.bincount(li, weights=W[idx], minlength=len(L))
        d = np.where(den > 0, num / np.maximum(den, 1e-300), y[L])
        y[L] = _pava(d, np.where(den > 0, den, 0.5), sep_of[r])

    for _ in range(8):
        for r in range(1, R):
            place(r, True, False)
        for r in range(R - 2, -1, -1):
            place(r, False, True)
    for _ in range(2):
        for r in range(R):
            place(r, True, True)

    # rank-axis coordinates: centred in each rank, ranks as wide as their widest node
    ext = np.maximum(group_max(rk, sr, R), 0.0)
    centre = np.cumsum(ext + RANK_SEP) - ext / 2 - RANK_SEP
    x = centre[rk]

    seqs = chains[:len(bsrc)]
    lens = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    flat = np.fromiter(itertools.chain.from_iterable(seqs), dtype=np.int64, count=int(lens.sum()))
    ptr = np.concatenate([[0], np.cumsum(lens)])
    px = x[flat].copy()
    px[ptr[:-1]] += sr[flat[ptr[:-1]]] / 2    # leave the child's right side
    px[ptr[1:] - 1] -= sr[flat[ptr[1:] - 1]] / 2  # enter the parent's left side
    return x[:N], y[:N], rank[:m], (np.column_stack([px, y[flat]]), ptr), "layered"


def _edges_by_rank(r, R):
    order = np.argsort(r, kind="stable")
    bounds = np.searchsorted(r[order], np.arange(R + 1))
    return [order[bounds[i]:bounds[i + 1]] for i in range(R)]


def _crossings(layers, S, Dd, pos, e_by_src_rank, rk):
    """Edge crossings between neighbouring ranks (inversions, counted by merge sort in numpy)."""
    total = 0
    for r in range(len(layers) - 1):
        idx = e_by_src_rank[r]
        if len(idx) < 2:
            continue
        a, b = pos[S[idx]], pos[Dd[idx]]
        o = np.lexsort((b, a))
        total += _inversions(b[o])
    return total


def _inversions(seq):
    """Number of pairs i < j with seq[i] > seq[j]."""
    n = len(seq)
    if n < 2:
        return 0
    if n <= 512:
        s = np.asarray(seq)
        return int(np.triu(s[:, None] > s[None, :], 1).sum())
    # Fenwick tree over ranks of values
    vals = np.unique(seq)
    idx = np.searchsorted(vals, seq) + 1
    tree = [0] * (len(vals) + 1)
    inv = 0
    seen = 0
    for v in idx.tolist():
        j, le = v, 0
        while j > 0:
            le += tree[j]
            j -= j & -j
        inv += seen - le
        seen += 1
        j = v
        while j < len(tree):
            tree[j] += 1
            j += j & -j
    return inv


def _pava(d, w, sep):
    """Closest (weighted least squares) y to ``d`` with y[i+1] - y[i] >= sep[i]: isotonic
    regression of d - offsets by pool-adjacent-violators."""
    n = len(d)
    if n == 1:
        return d.copy()
    off = np.concatenate([[0.0], np.cumsum(sep)])
    z = (d - off).tolist()
    wl = w.tolist()
    vals, wts, cnts = [], [], []
    for zi, wi in zip(z, wl):
        v, ww, c = zi, wi, 1
        while vals and vals[-1] > v:
            pv, pw, pc = vals.pop(), wts.pop(), cnts.pop()
            v = (pv * pw + v * ww) / (pw + ww)
            ww += pw
            c += pc
        vals.append(v)
        wts.append(ww)
        cnts.append(c)
    out = np.repeat(vals, cnts)
    return out + off


def _fast(m, N, rank, esrc, edst, ewt, s_rank, s_ord, op_index, bsrc, bdst, has_op):
    """Big graphs: no dummy nodes; ordering and coordinates updated for all ranks at once."""
    rank, R = _compress(rank)
    key = np.empty(N)
    key[:m] = np.arange(m)
    key[m:] = np.flatnonzero(has_op) - 0.5
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

    ext = np.maximum(group_max(rank, s_rank, R), 0.0)
    centre = np.cumsum(ext + RANK_SEP) - ext / 2 - RANK_SEP
    x = centre[rank]
    tgt = np.where(has_op[bdst], op_index[bdst], bdst)
    pts = np.empty((len(bsrc), 2, 2))  # per edge: (x, y) where it leaves, (x, y) where it enters
    pts[:, 0, 0] = x[bsrc] + s_rank[bsrc] / 2
    pts[:, 0, 1] = y[bsrc]
    pts[:, 1, 0] = x[tgt] - s_rank[tgt] / 2
    pts[:, 1, 1] = y[tgt]
    pts = pts.reshape(-1, 2)
    ptr = np.arange(0, 2 * len(bsrc) + 1, 2)
    return x, y, rank[:m], (pts, ptr), "fast"
