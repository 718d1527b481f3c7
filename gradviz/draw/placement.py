"""Where a laid-out view's boxes and edges finally go on the page: one edge per operand slot
(``a + a`` draws two), a tall rank of many groups laid out as a grid, and which edge routes bend
(the page draws the straight ones itself). ``placed`` runs the three on a ``draw.layout`` result."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Placement", "placed", "slot_edges", "grid_tall_ranks", "bent_routes", "NO_ROUTES"]

NO_ROUTES = (np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0))  # every edge drawn straight


class Placement(NamedTuple):
    """A view ready to encode: ``place`` = the boxes' final (x, y, op_x, op_y, width, height);
    ``edges`` (E, 2) box ids; ``bent`` = (edge ids, route pointer in floats, flat points) of the
    routes that are not straight."""

    place: tuple
    edges: np.ndarray
    bent: tuple


def placed(g, lay) -> Placement:
    """The final placement of layout ``lay`` of Graph ``g`` (see the module's docstring)."""
    v = lay.view
    edges, ptr, pts = slot_edges(g, v, lay)
    bent = bent_routes(lay, edges, ptr, pts)
    place = grid_tall_ranks(lay, np.asarray(v.is_group)) if lay.rankdir == "LR" else None
    if place is None:
        place = (lay.x, lay.y, lay.op_x, lay.op_y, lay.width, lay.height)
    else:  # a tall column of groups laid out as a grid; edges drawn straight
        bent = NO_ROUTES
    return Placement(place, edges, bent)


def slot_edges(g, v, lay):
    """The view's edges with one edge per operand slot between two single values (``a + a`` draws
    two, as in the lecture), the copies' routes spread apart by 6 px; edges into or out of a group
    box stay one. Returns (edges (E, 2), route pointer into the flat point array, flat points)."""
    ptr = np.asarray(lay.route_ptr, dtype=np.int64)
    pts = np.asarray(lay.route_xy, dtype=np.float64).reshape(-1, 2)
    edges = np.asarray(lay.edges, dtype=np.int64).reshape(-1, 2)
    n = len(g)
    cp = np.asarray(g.child_ptr, dtype=np.int64)
    src = np.asarray(g.child_ids, dtype=np.int64)
    dst = np.repeat(np.arange(n, dtype=np.int64), np.diff(cp))
    box_of = np.asarray(v.box_of, dtype=np.int64)
    single = ~np.asarray(v.is_group, dtype=bool)
    both = single[box_of[src]] & single[box_of[dst]]  # only slots between single values can repeat an edge
    key, count = np.unique(src[both] * n + dst[both], return_counts=True)
    mult = np.ones(len(edges), dtype=np.int64)
    if len(edges) and (count > 1).any():
        want = {}
        for k, c in zip(key[count > 1].tolist(), count[count > 1].tolist()):
            want[(int(box_of[k // n]), int(box_of[k % n]))] = c
        if want:
            mult = np.array([want.get((a, b), 1) for a, b in edges.tolist()], dtype=np.int64)
    if (mult == 1).all():
        return edges, ptr * 2, pts.ravel()
    rep = np.repeat(np.arange(len(edges)), mult)          # each edge once per copy
    first = np.repeat(np.cumsum(mult) - mult, mult)
    shift = (np.arange(len(rep)) - first - (mult[rep] - 1) / 2) * 6.0  # copies spread 6 px apart
    length = np.diff(ptr)[rep]                             # points in each copy's route
    out_ptr = np.zeros(len(rep) + 1, dtype=np.int64)
    np.cumsum(length, out=out_ptr[1:])
    at = np.repeat(ptr[:-1][rep] - out_ptr[:-1], length) + np.arange(out_ptr[-1])
    out = pts[at]
    out[:, 1] += np.repeat(shift, length)
    return edges[rep], out_ptr * 2, out.ravel()


def grid_tall_ranks(lay, is_group, min_boxes=16, aspect=2.0):
    """A rank of many group boxes (the samples of a folded loss) laid out as a grid instead of one
    tall column, so a first view shows the graph's structure. Returns new (x, y, op_x, op_y,
    width, height) arrays, or None when no rank needs it. Other ranks move right past the grid and
    are centred in the new height; every edge is then drawn straight."""
    rank = np.asarray(lay.rank)
    x, y = np.array(lay.x, dtype=np.float64), np.array(lay.y, dtype=np.float64)
    w, h = np.asarray(lay.w, dtype=np.float64), np.asarray(lay.h, dtype=np.float64)
    ox, oy = np.array(lay.op_x, dtype=np.float64), np.array(lay.op_y, dtype=np.float64)
    ranks = [r for r in np.unique(rank).tolist()
             if (rank == r).sum() >= min_boxes and is_group[rank == r].all()]
    if not ranks:
        return None
    shift = np.zeros(len(x))
    for r in ranks:
        b = np.flatnonzero(rank == r)
        b = b[np.argsort(y[b], kind="stable")]
        cw, ch = w[b].max() + 24.0, h[b].max() + 12.0
        cols = max(1, int(np.ceil(np.sqrt(aspect * len(b) * ch / cw))))
        left = (x[b] - w[b] / 2).min()
        k = np.arange(len(b))
        nx = left + (k % cols) * cw + w[b] / 2
        ny = (k // cols) * ch + ch / 2
        dx = nx - x[b]
        x[b], ox[b] = nx, ox[b] + dx
        oy[b] += ny - y[b]
        y[b] = ny
        shift[(x - w / 2 > left) & (rank > r)] += (cols - 1) * cw
    x += shift
    ox += shift
    grid = np.isin(rank, ranks)
    height = max(float((y[grid] + h[grid] / 2).max()) + 12.0, 0.0)
    for r in np.unique(rank[~grid]).tolist():  # the other ranks, centred in the new height
        b = np.flatnonzero(rank == r)
        lo, hi = (y[b] - h[b] / 2).min(), (y[b] + h[b] / 2).max()
        height = max(height, hi - lo + 24.0)
    for r in np.unique(rank[~grid]).tolist():
        b = np.flatnonzero(rank == r)
        lo, hi = (y[b] - h[b] / 2).min(), (y[b] + h[b] / 2).max()
        dy = height / 2 - (lo + hi) / 2
        y[b] += dy
        oy[b] += dy
    gy = height / 2 - ((y[grid] - h[grid] / 2).min() + (y[grid] + h[grid] / 2).max()) / 2
    y[grid] += gy
    oy[grid] += gy
    ok = np.isfinite(ox)
    width = float(max((x + w / 2).max(), (ox[ok] + np.asarray(lay.op_w)[ok] / 2).max() if ok.any() else 0) + 12.0)
    return x, y, ox, oy, width, float(height)


def bent_routes(lay, edges, ptr, pts):
    """The routes that are not the straight two-point route the page draws by default (the
    child's record's far side along the ranks, e.g. its right side left to right, to the near side
    of the parent's op ellipse, or its record): (edge ids, pointer into the point array (in
    floats), flat points). ``ptr``/``pts``: every edge's route."""
    E = len(edges)
    if not E:
        return NO_ROUTES
    count = np.diff(ptr) // 2
    a, b = edges[:, 0], edges[:, 1]
    rankdir = getattr(lay, "rankdir", "LR")
    g = -1.0 if rankdir in ("RL", "BT") else 1.0
    has = np.isfinite(lay.op_x[b])
    if rankdir in ("TB", "BT"):
        sx, sy = lay.x[a], lay.y[a] + g * lay.h[a] / 2
        ex = np.where(has, lay.op_x[b], lay.x[b])
        ey = np.where(has, lay.op_y[b] - g * lay.op_h[b] / 2, lay.y[b] - g * lay.h[b] / 2)
    else:
        sx, sy = lay.x[a] + g * lay.w[a] / 2, lay.y[a]
        ex = np.where(has, lay.op_x[b] - g * lay.op_w[b] / 2, lay.x[b] - g * lay.w[b] / 2)
        ey = np.where(has, lay.op_y[b], lay.y[b])
    first = ptr[:-1]
    two = np.flatnonzero(count == 2)
    ok = np.zeros(E, dtype=bool)
    ok[two] = ((np.abs(pts[first[two]] - sx[two]) < 0.01) & (np.abs(pts[first[two] + 1] - sy[two]) < 0.01)
               & (np.abs(pts[first[two] + 2] - ex[two]) < 0.01) & (np.abs(pts[first[two] + 3] - ey[two]) < 0.01))
    keep = np.flatnonzero(~ok)
    if not len(keep):
        return keep, np.zeros(1, np.int64), np.zeros(0)
    lens = ptr[keep + 1] - ptr[keep]
    out_ptr = np.concatenate([[0], np.cumsum(lens)])
    idx = np.repeat(ptr[keep] - out_ptr[:-1], lens) + np.arange(out_ptr[-1])
    return keep, out_ptr, pts[idx]
