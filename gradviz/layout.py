"""Node positions for drawing an expression graph, computed in Python (no system Graphviz).

``layout(x)`` draws like the lecture's ``draw_dot``: a layered left-to-right picture where every
value is a record ``label | data | grad`` and every computed value has its op ellipse just before it.
It is a Sugiyama-style layout: ranks (longest path, leaves pulled next to their first use), dummy
nodes on long edges, barycenter sweeps against crossings, then least-squares vertical coordinates
under spacing constraints. Graphs too big for that (the 66k-node moons loss, deep chains) get a
fully vectorised variant of the same steps without dummy nodes.

``group_view(graph, collapsed)`` folds module calls (a sample, a layer, a neuron), parameter groups
and unscoped loss trees into single boxes, so a big graph can be shown a few hundred boxes at a time;
``layout(x, collapsed=...)`` lays out that view.
"""
from __future__ import annotations

import itertools
import weakref
from collections import Counter

import numpy as np

from .graph import as_graph
from .summary import has_cells, record_cells

__all__ = ["layout", "group_view", "Layout", "GroupView", "box_fields", "text_width", "short_label",
           "FONT_SIZE", "CHAR_WIDTH"]

FONT_SIZE = 12.0     # px; the widths below assume a monospace font of this size
CHAR_WIDTH = 7.2     # px per character at FONT_SIZE (0.6 em, true of common monospace fonts)
FIELD_PAD = 6.0      # px on each side of a record field's text
RECORD_H = 26.0      # px, height of a value record (in LR)
OP_H = 26.0          # px, height of an op ellipse
OP_MIN_W = 38.0      # px, narrowest op ellipse
RANK_SEP = 28.0      # px between neighbouring ranks
NODE_SEP = 12.0      # px between neighbouring nodes of a rank
DUMMY_SEP = 6.0      # px, room taken by an edge passing through a rank
MARGIN = 8.0         # px around the drawing

_SMALL = 8_000       # layout nodes (with dummies) up to which the careful mode is used
_SMALL_RANKS = 1_500
_RANKDIRS = ("LR", "RL", "TB", "BT")


LABEL_MAX = 40  # characters of a label (or op) a record shows; the full text is in the tooltip


def short_label(text, limit=LABEL_MAX):
    """``text`` cut to ``limit`` characters with an ellipsis: a 100,000-character label must not
    make a record (and so the whole drawing and Fit) 100,000 characters wide."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def text_width(text):
    """Width in px of ``text`` at FONT_SIZE in a monospace font."""
    return len(text) * CHAR_WIDTH


def _fmt(v):
    return "%.4f" % v  # nan, inf and -inf print plainly


def box_fields(view, b, show_grad=True):
    """The record fields of view box ``b``: ``[label, "data 2.0000", "grad -4.0000"]``.

    A group box shows its output node's data and grad; a group with several outputs (a layer)
    shows how many instead. The renderer and the layout share this so sizes match the text.
    """
    g = view.graph
    i = int(view.node[b])
    if view.is_group[b] and view.n_outputs[b] != 1:
        return [short_label(view.labels[b]), f"{int(view.n_outputs[b])} outputs"]
    if has_cells(g):  # a tensor: op | shape | value | grad (see gradviz.summary)
        return [short_label(view.labels[b] or g.ops[i]), *record_cells(g, i, show_grad)]
    fields = [short_label(view.labels[b]), "data " + _fmt(g.data[i])]
    if show_grad:
        fields.append("grad " + _fmt(g.grad[i]))
    return fields


def _field_widths(fields):
    return [max(text_width(t), CHAR_WIDTH) + 2 * FIELD_PAD for t in fields]


# ---- grouping ------------------------------------------------------------------------------

_EDGE_CACHE = weakref.WeakKeyDictionary()


def _edge_arrays(graph):
    """Unique (child, parent) id arrays of ``graph``, cached per Graph (Graphs are immutable)."""
    hit = _EDGE_CACHE.get(graph)
    if hit is None:
        n = len(graph)
        ptr = getattr(graph, "child_ptr", None)
        if ptr is not None:  # the Graph's own CSR columns
            lens = np.diff(ptr)
            src = np.asarray(graph.child_ids, dtype=np.int64)
        else:
            ch = graph.children
            lens = np.fromiter(map(len, ch), dtype=np.int64, count=n)
            src = np.fromiter(itertools.chain.from_iterable(ch), dtype=np.int64, count=int(lens.sum()))
        dst = np.repeat(np.arange(n, dtype=np.int64), lens)
        key = _unique(src * n + dst)
        hit = (key // n, key % n) if n else (src, dst)
        _EDGE_CACHE[graph] = hit
    return hit


def _group_max(groups, values, size, empty=-1):
    """Per-group maximum of ``values`` (``empty`` where a group has none): a sort and
    ``maximum.reduceat``, much faster than ``maximum.at``."""
    values = np.asarray(values)
    out = np.full(size, empty, dtype=values.dtype)
    if len(values):
        o = np.argsort(groups, kind="stable")
        gs = groups[o]
        starts = np.flatnonzero(np.concatenate([[True], gs[1:] != gs[:-1]]))
        out[gs[starts]] = np.maximum.reduceat(values[o], starts)
    return out


def _unique(a):
    """Sorted unique values (sorting beats numpy's hash-based unique on these arrays)."""
    a = np.sort(a)
    if len(a) < 2:
        return a
    return a[np.concatenate([[True], a[1:] != a[:-1]])]


def _depth(scope):
    return scope.count("/") + 1 if scope else 0


class GroupView:
    """A graph as drawn with some scopes collapsed: boxes, what each stands for, and their edges.

    Boxes are numbered 0..n-1 in topological order (an edge always goes from a lower box id to a
    higher one). Fields, each indexed by box id unless said otherwise:

    - ``graph``: the Graph viewed; ``collapsed``: the group keys actually collapsed (``"auto"``
      resolved), in a form you can edit and pass back to ``group_view``.
    - ``box_of``: for every node id of ``graph``, the box that shows it.
    - ``node``: the graph node whose label/op/data/grad the box shows: the node itself for a
      single-node box, the group's output for a group (the last-computed member whose value
      leaves the group, or the graph's root if the group holds it).
    - ``is_group``; ``keys``: the group key (``""`` for a single node); ``count``: member count;
      ``n_outputs``: members whose value leaves the box (1 for a single node).
    - ``labels``, ``ops`` (``""`` for leaves and groups), ``kinds`` (the node's kind or ``"group"``).
    - ``edges``: int array (E, 2) of unique (child box, parent box) pairs.
    - ``members(b)``: the graph node ids in box ``b``, ascending.

    Group keys: a scope prefix such as ``MLP#7`` (one call: a sample), ``MLP#7/layers.1`` (a layer
    call), ``MLP#7/layers.1/neurons.3`` (a neuron call) or ``layers.1`` / ``layers.1/neurons.3``
    (parameters); a node is in the outermost collapsed prefix of its scope. ``fold:ID`` collapses
    the tree of unscoped nodes (typically the loss) that feeds node ``ID`` and is used nowhere else.
    """

    def __init__(self, graph, collapsed, box_of, node, keys, edges, member_ids, member_ptr,
                 n_outputs):
        self.graph = graph
        self.collapsed = tuple(collapsed)
        self.box_of = box_of
        self.node = node
        self.keys = tuple(keys)
        self.is_group = np.array([bool(k) for k in self.keys], dtype=bool)
        self.count = np.diff(member_ptr)
        self.n_outputs = n_outputs
        self.edges = edges
        self._member_ids, self._member_ptr = member_ids, member_ptr
        g = graph
        self.labels = tuple(_group_label(g, k, c, i) if k else g.labels[i]
                            for k, c, i in zip(self.keys, self.count.tolist(), node.tolist()))
        self.ops = tuple("" if k else g.ops[i] for k, i in zip(self.keys, node.tolist()))
        self.kinds = tuple("group" if k else g.kinds[i] for k, i in zip(self.keys, node.tolist()))

    def __len__(self):
        return len(self.keys)

    def members(self, b):
        """Graph node ids shown by box ``b`` (ascending)."""
        return self._member_ids[self._member_ptr[b]:self._member_ptr[b + 1]]

    def groups(self):
        """``{key: box id}`` of the group boxes."""
        return {k: b for b, k in enumerate(self.keys) if k}

    def __repr__(self):
        return (f"<GroupView of {len(self.graph)} nodes as {len(self)} boxes, "
                f"{int(self.is_group.sum())} groups>")


def _group_label(g, key, count, out):
    if key.startswith("fold:"):
        return f"{g.labels[out]} ({count} nodes)" if g.labels[out] else f"{g.ops[out]} tree ({count} nodes)"
    if "#" not in key.split("/", 1)[0]:  # a module path: the parameters of that module
        return f"parameters of {describe_scope(key)} ({count})"
    return f"{describe_scope(key)} ({count} nodes)"


def describe_scope(key):
    """A scope key in words: ``"MLP#7/layers.1/neurons.3"`` -> ``"sample 7, layer 1, neuron 3"``
    (each call of the top-level module is one sample), ``"layers.0"`` -> ``"layer 0"``."""
    parts = key.replace("/", ".").split(".")
    words = []
    for k, part in enumerate(parts):
        name, _, num = part.partition("#")
        if k == 0 and num.isdigit():
            words.append(f"sample {num}")
        elif part.isdigit() and words and not words[-1][-1].isdigit():
            words[-1] = f"{words[-1][:-1] if words[-1].endswith('s') else words[-1]} {part}"
        else:
            words.append(part)
    return ", ".join(words)


def _fold_heads(graph, plain):
    """For each node, the head of the unscoped single-consumer tree it belongs to (itself if none).

    A node joins its consumer's tree when it is unscoped and not yet grouped (``plain``), has
    exactly one consumer, and that consumer is plain and not the root (the root and its operands
    stay separate boxes, e.g. ``data_loss + reg_loss``).
    """
    n = len(graph)
    src, dst = _edge_arrays(graph)
    ncons = np.bincount(src, minlength=n)
    cons = np.full(n, -1, dtype=np.int64)
    cons[src] = dst
    unscoped = np.array([not s for s in graph.scopes], dtype=bool)
    ok = plain & unscoped & (ncons == 1)
    ok[ok] &= plain[cons[ok]] & unscoped[cons[ok]] & (cons[ok] != n - 1)
    head = np.where(ok, cons, np.arange(n))
    while True:  # pointer jumping: log2(depth) vectorised steps, no recursion
        nxt = head[head]
        if np.array_equal(nxt, head):
            return head
        head = nxt


def _auto_collapse(graph, max_boxes):
    """Keys to collapse so the view has at most ``max_boxes`` boxes where scopes allow it."""
    n = len(graph)
    if n <= max_boxes:
        return []
    scopes = graph.scopes
    depth_of = {s: _depth(s) for s in set(scopes)}
    counts = Counter(scopes)
    max_depth = max(depth_of.values())
    best = None
    for d in range(max_depth, 0, -1):
        keys = {"/".join(s.split("/")[:d]) for s, k in depth_of.items() if k >= d}
        loose = sum(c for s, c in counts.items() if depth_of[s] < d)
        if len(keys) + loose <= max_boxes:
            best = sorted(keys)
            break
    if best is not None:
        return best
    keys = sorted({s.split("/")[0] for s, k in depth_of.items() if k >= 1})
    plain = np.array([not s for s in scopes], dtype=bool)
    head = _fold_heads(graph, plain)
    sizes = np.bincount(head[plain], minlength=n)
    return keys + [f"fold:{h}" for h in np.flatnonzero(sizes >= 2).tolist()]


def group_view(x, collapsed=None, max_boxes=200):
    """The view of ``x`` (a Value, Graph or GroupView) with the groups in ``collapsed`` folded.

    ``collapsed``: None (every node its own box), an iterable of group keys (see GroupView), or
    ``"auto"``: collapse module calls at the deepest scope level (sample, layer, neuron) that gives
    at most ``max_boxes`` boxes; if even one box per sample is too many, unscoped trees (the loss
    terms) are folded too.
    """
    if isinstance(x, GroupView):
        graph = x.graph
    else:
        graph = as_graph(x)
    n = len(graph)
    if isinstance(collapsed, str):
        if collapsed != "auto":
            raise ValueError(f"collapsed={collapsed!r}: pass 'auto', None, or a list of group "
                             f"keys such as ['MLP#1', 'layers.0']")
        collapsed = _auto_collapse(graph, max_boxes)
    collapsed = list(dict.fromkeys(collapsed or ()))
    if not collapsed:
        return _identity_view(graph)
    for k in collapsed:
        if not isinstance(k, str) or not k:
            raise TypeError(f"group keys are non-empty strings like 'MLP#1/layers.0', got {k!r}")
    folds = [k for k in collapsed if k.startswith("fold:")]
    scope_keys = set(k for k in collapsed if not k.startswith("fold:"))

    # scope groups: the outermost collapsed prefix of each node's scope
    key_of_scope = {}
    for s in set(graph.scopes):
        key = ""
        if s and scope_keys:
            parts = s.split("/")
            for d in range(1, len(parts) + 1):
                p = "/".join(parts[:d])
                if p in scope_keys:
                    key = p
                    break
        key_of_scope[s] = key
    unknown = scope_keys - {"/".join(parts[:d]) for parts in map(str.split, key_of_scope, "/" * len(key_of_scope))
                            for d in range(1, len(parts) + 1)} if scope_keys else ()
    if unknown:
        raise ValueError(f"no node of this graph is in scope {sorted(unknown)[0]!r}: group keys are "
                         f"scope prefixes such as {_example_scope(graph)!r} (see GroupView)")
    node_key = [key_of_scope[s] for s in graph.scopes]

    if folds:
        plain = np.array([not k for k in node_key], dtype=bool)
        head = _fold_heads(graph, plain)
        for k in folds:
            try:
                h = int(k[5:])
            except ValueError:
                raise ValueError(f"bad fold key {k!r}: use 'fold:<node id>'") from None
            if not 0 <= h < n:
                raise ValueError(f"fold key {k!r} names node {h}, but the graph has ids 0..{n - 1}")
            for i in np.flatnonzero(head == h).tolist():
                if plain[i]:
                    node_key[i] = k

    return _build_view(graph, collapsed, node_key)


def _identity_view(graph):
    """Every node its own box (box id = node id)."""
    n = len(graph)
    src, dst = _edge_arrays(graph)
    ids = np.arange(n, dtype=np.int64)
    v = GroupView.__new__(GroupView)
    v.graph, v.collapsed, v.box_of, v.node = graph, (), ids, ids
    v.keys = ("",) * n
    v.is_group = np.zeros(n, dtype=bool)
    v.count = np.ones(n, dtype=np.int64)
    v.n_outputs = np.ones(n, dtype=np.int64)
    v.edges = np.stack([src, dst], axis=1)
    v._member_ids, v._member_ptr = ids, np.arange(n + 1, dtype=np.int64)
    v.labels, v.ops, v.kinds = graph.labels, graph.ops, graph.kinds
    return v


def _example_scope(graph):
    deep = [s for s in graph.scopes if s]
    return deep[0].split("/")[0] if deep else "MLP#1"


def _build_view(graph, collapsed, node_key):
    n = len(graph)
    src, dst = _edge_arrays(graph)
    # raw box numbering: groups in order of first key appearance, single nodes by id
    gid = {k: j for j, k in enumerate(k for k in dict.fromkeys(node_key) if k)}
    gid[""] = -1
    code = np.fromiter(map(gid.__getitem__, node_key), dtype=np.int64, count=n)
    del gid[""]
    K = len(gid)
    single = code < 0
    raw = np.where(single, K + np.cumsum(single) - 1, code)
    m = K + int(single.sum())
    raw_key = list(gid) + [""] * (m - K)
    cross = raw[src] != raw[dst]
    leaving = np.zeros(n, dtype=bool)
    leaving[src[cross]] = True
    if n:
        leaving[n - 1] = True
    n_out = np.bincount(raw[leaving], minlength=m)
    out = _group_max(raw[leaving], np.flatnonzero(leaving), m)
    last = _group_max(raw, np.arange(n), m)
    out = np.where(out >= 0, out, last)

    # topological numbering of boxes; groups of a well-nested graph sort by their output node
    bsrc, bdst = raw[src[cross]], raw[dst[cross]]
    order = np.argsort(out, kind="stable")
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    if np.any(rank[bsrc] >= rank[bdst]):
        order = _kahn(m, bsrc, bdst, out, raw_key)
        if order is None:  # a collapse that would make a cycle: undo groups on it and retry
            return _build_view(graph, collapsed, _break_cycles(m, bsrc, bdst, raw, raw_key,
                                                               node_key))
        rank[order] = np.arange(m)
    box_of = rank[raw]
    node = out[order]
    keys = [raw_key[b] for b in order.tolist()]
    n_outputs = np.maximum(n_out[order], 1)
    e = _unique(box_of[src[cross]] * max(m, 1) + box_of[dst[cross]])
    edges = np.stack([e // max(m, 1), e % max(m, 1)], axis=1) if len(e) else np.zeros((0, 2), np.int64)
    member_ids = np.argsort(box_of, kind="stable")
    member_ptr = np.concatenate([[0], np.cumsum(np.bincount(box_of, minlength=m))])
    return GroupView(graph, collapsed, box_of, node, keys, edges, member_ids, member_ptr, n_outputs)


def _kahn(m, bsrc, bdst, out, raw_key):
    """Topological order of m boxes (ties by output node id), or None if there is a cycle."""
    import heapq
    succ = [[] for _ in range(m)]
    indeg = [0] * m
    for a, b in set(zip(bsrc.tolist(), bdst.tolist())):
        succ[a].append(b)
        indeg[b] += 1
    outl = out.tolist()
    heap = [(outl[b], b) for b in range(m) if indeg[b] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, b = heapq.heappop(heap)
        order.append(b)
        for c in succ[b]:
            indeg[c] -= 1
            if indeg[c] == 0:
                heapq.heappush(heap, (outl[c], c))
    if len(order) < m:
        return None
    return np.array(order, dtype=np.int64)


def _break_cycles(m, bsrc, bdst, raw, raw_key, node_key):
    """Ungroup the groups that Kahn's algorithm could not order (they lie on or after a cycle)."""
    succ = [[] for _ in range(m)]
    indeg = [0] * m
    for a, b in set(zip(bsrc.tolist(), bdst.tolist())):
        succ[a].append(b)
        indeg[b] += 1
    stack = [b for b in range(m) if indeg[b] == 0]
    done = set(stack)
    while stack:
        b = stack.pop()
        for c in succ[b]:
            indeg[c] -= 1
            if indeg[c] == 0:
                done.add(c)
                stack.append(c)
    stuck = {raw_key[b] for b in range(m) if b not in done and raw_key[b]}
    return [("" if k in stuck else k) for k in node_key]


# ---- layout --------------------------------------------------------------------------------

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
    g = view.graph
    m = len(view)
    w = np.empty(m)
    labels = view.labels
    if not view.is_group.any() and not has_cells(g):
        # fast path for the full graph: width from the lengths of the three texts
        lab = np.minimum(np.fromiter(map(len, labels), dtype=np.float64, count=m), LABEL_MAX)
        nodes = view.node
        dl = _num_len(g.data[nodes])
        gl = _num_len(g.grad[nodes]) if show_grad else None
        w = (np.maximum(lab, 1) + dl + 5) * CHAR_WIDTH + 4 * FIELD_PAD
        if show_grad:
            w += (gl + 5) * CHAR_WIDTH + 2 * FIELD_PAD
    else:
        for b in range(m):
            w[b] = sum(_field_widths(box_fields(view, b, show_grad)))
    h = np.full(m, RECORD_H)
    ops = view.ops
    width_of = {o: max(OP_MIN_W, text_width(short_label(o)) + 2 * FIELD_PAD + 8) if o else 0.0 for o in set(ops)}
    op_w = np.fromiter(map(width_of.__getitem__, ops), dtype=np.float64, count=m)
    has_op = op_w > 0
    return w, h, has_op, op_w


def _num_len(a):
    """len("%.4f" % v) for every v of ``a``, vectorised."""
    a = np.asarray(a, dtype=np.float64)
    out = np.empty(len(a))
    fin = np.isfinite(a)
    v = np.abs(a[fin])
    r = np.round(v, 4)  # "%.4f" rounds, so 9.99996 prints as 10.0000
    digits = np.where(r >= 1, np.floor(np.log10(np.maximum(r, 1))) + 1, 1)
    # correct float edge cases of log10 (e.g. 1000 -> 2.9999...)
    digits += (r >= 10 ** digits)
    digits -= (digits > 1) & (r < 10 ** (digits - 1))
    out[fin] = digits + 5 + np.signbit(a[fin])
    nf = ~fin
    out[nf] = np.where(np.isnan(a[nf]), 3, np.where(a[nf] < 0, 4, 3))
    return out


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
        latest = -_group_max(bsrc, 1 + entry_off[bdst] - rank[bdst], m)  # min(entry - 1)
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
    ext = np.maximum(_group_max(rk, sr, R), 0.0)
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

    ext = np.maximum(_group_max(rank, s_rank, R), 0.0)
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
