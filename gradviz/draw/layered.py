"""The careful layered pass of ``layout`` (a Sugiyama layout, as Graphviz's ``dot`` draws): dummy
nodes on edges longer than a rank, barycenter sweeps against crossings, then least-squares
coordinates along each rank under spacing constraints (pool-adjacent-violators), on plain Python
lists: the graphs it takes are small, where numpy's cost per call outweighs the work.

``careful_layout(view, net)`` places the nodes of ``layout``'s layout graph; ``rank_coords`` and
``compress`` serve the vectorised pass for big graphs too.
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from .grouping import group_max

__all__ = ["RANK_SEP", "NODE_SEP", "DUMMY_SEP", "LEAF_PULL", "careful_layout", "compress", "rank_coords"]

RANK_SEP = 14.0      # px between neighbouring ranks (the first view fits more of the graph readable)
NODE_SEP = 8.0       # px between neighbouring nodes of a rank
DUMMY_SEP = 6.0      # px, room taken by an edge passing through a rank
LEAF_PULL = 0.02     # how strongly a leaf operand pulls its consumer into line (a computed one: 1)


def compress(rank):
    used = np.zeros(int(rank.max()) + 1, dtype=bool)
    used[rank] = True
    new = np.cumsum(used) - 1
    return new[rank].astype(np.int64), int(used.sum())


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


def careful_layout(view, net):
    """Sugiyama with dummy nodes, barycenter sweeps and least-squares coordinates."""
    rank, R = compress(net.rank)
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
    x = rank_coords(d.rank, d.s_rank, R)
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


def rank_coords(rank, s_rank, R):
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


