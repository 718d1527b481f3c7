"""Grouping: a graph seen with some module calls, parameter groups or loss trees folded into boxes.

``group_view(graph, collapsed)`` folds module calls (a sample, a layer, a neuron), parameter
groups and unscoped loss trees into single boxes, so a big graph can be shown a few hundred boxes
at a time; ``draw.layout.layout(x, collapsed=...)`` lays out that view. ``expand`` and
``collapse`` are the rules for opening and folding one group of a view (the widget's buttons and
``GraphWidget.expand`` / ``collapse`` use them); ``offers`` says which of them selecting a box
offers, and ``hiding_group`` which folded group draws a value of a given scope.

The page applies ``offers``, ``hiding_group`` and ``scope_prefixes`` itself (js/src/groups.js, so a
click or a search answers without the kernel); js/test/group_cases.json, written by ``python -m
gradviz.cases groups``, holds this module's answers on a set of cases, which js/test/groups.test.js
checks the page's copy against (and tests/draw/test_grouping.py checks the file is current).
"""
from __future__ import annotations

import itertools
import weakref

import numpy as np

from ..graph.trace import as_graph

__all__ = ["group_view", "GroupView", "module_level", "module_levels", "describe_scope", "subscopes", "expand", "collapse", "scope_prefixes",
           "hiding_group", "offers"]

_EDGE_CACHE = weakref.WeakKeyDictionary()
_SCOPE_CACHE = weakref.WeakKeyDictionary()


def scope_codes(graph):
    """``(table, code)``: the distinct scopes of ``graph`` (sorted, so ``""`` comes first when a
    node has no scope) and each node's index into them (a read-only int64 array), cached per
    Graph. Grouping works on these codes, once per distinct scope rather than once per node
    (51,715 scopes on the 986k-node benchmark graph)."""
    hit = _SCOPE_CACHE.get(graph)
    if hit is None:
        scopes = graph.scopes
        table = sorted(set(scopes))
        index = {s: k for k, s in enumerate(table)}
        code = np.fromiter(map(index.__getitem__, scopes), dtype=np.int64, count=len(scopes))
        code.flags.writeable = False
        hit = _SCOPE_CACHE[graph] = (table, code)
    return hit


def _unscoped(graph):
    """Mask of the nodes with no scope."""
    table, code = scope_codes(graph)
    return code == 0 if table and table[0] == "" else np.zeros(len(code), dtype=bool)


def _edge_arrays(graph):
    """Unique (child, parent) id arrays of ``graph`` (in no set order), cached per Graph (Graphs
    are immutable). No sort when no op has more than two operands: then a pair repeats only as
    both operands of one op (``a + a``)."""
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
        if len(lens) and lens.max() <= 2:  # a pair repeats only as both operands of one op (a + a)
            second = np.flatnonzero(np.repeat(lens == 2, lens) & (np.arange(len(src)) == np.repeat(
                np.cumsum(lens) - 1, lens)))
            keep = np.ones(len(src), dtype=bool)
            keep[second[src[second] == src[second - 1]]] = False
            hit = (src[keep], dst[keep])
        else:
            key = _unique(src * n + dst)
            hit = (key // n, key % n) if n else (src, dst)
        _EDGE_CACHE[graph] = hit
    return hit


def group_max(groups, values, size, empty=-1):
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
        table, _ = scope_codes(g)
        one_call = len({t.split("/", 1)[0] for t in table if "#" in t.split("/", 1)[0]}) == 1
        types = _module_types(g) if self.is_group.any() else {}
        self.labels = tuple(_group_label(g, k, c, i, one_call, types) if k else g.labels[i]
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


def _module_types(graph):
    """Module path -> class name, from a capture's meta (``"features.0"`` -> ``"Conv2d"``)."""
    if graph.source != "torch":
        return {}
    return {m["module"]: m["module_type"] for m in graph.meta if "module_type" in m}


def _group_label(g, key, count, out, one_call=False, types=None):
    nodes = f"{count} node{'' if count == 1 else 's'}"
    if key.startswith("fold:"):
        return f"{g.labels[out]} ({nodes})" if g.labels[out] else f"{g.ops[out]} tree ({nodes})"
    if "#" not in key.split("/", 1)[0]:  # a module path: the parameters of that module
        return f"parameters of {describe_scope(key)} ({count})"
    kind = (types or {}).get(key.split("/", 1)[1].replace("/", ".")) if "/" in key else None
    per_sample = g.source == "gradviz"  # the lecture calls a model once per sample; torch and JAX once per batch
    return f"{describe_scope(key, per_sample=per_sample, one_call=one_call)} ({kind + ', ' if kind else ''}{nodes})"


def describe_scope(key, per_sample=True, one_call=False):
    """A scope key in words: ``"MLP#7/layers.1/neurons.3"`` -> ``"sample 7, layer 1, neuron 3"``
    (each call of the top-level module is one sample, as the lecture calls a model), ``"layers.0"``
    -> ``"layer 0"``. With ``per_sample`` false (a PyTorch or JAX run, where a call takes a batch), the
    top-level call is named as one: ``"Net#1/conv"`` -> ``"Net call 1, conv"``, or just ``"conv"``
    when the graph has ``one_call`` of a top-level module (the usual capture of one step), and
    ``"Sequential#1/0"`` -> ``"Sequential 0"``."""
    parts = key.replace("/", ".").split(".")
    words = []
    for k, part in enumerate(parts):
        name, _, num = part.partition("#")
        if k == 0 and num.isdigit():
            if per_sample or not one_call or len(parts) == 1:
                words.append(f"sample {num}" if per_sample else f"{name} call {num}")
            elif parts[1].isdigit():  # a Sequential's children are numbers: "Sequential 0"
                words.append(name)
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
    unscoped = _unscoped(graph)
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
    table, code = scope_codes(graph)
    depth_of = {s: _depth(s) for s in table}
    counts = dict(zip(table, np.bincount(code, minlength=len(table)).tolist()))
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
    plain = _unscoped(graph)
    head = _fold_heads(graph, plain)
    sizes = np.bincount(head[plain], minlength=n)
    return keys + [f"fold:{h}" for h in np.flatnonzero(sizes >= 2).tolist()]


def module_level(graph, d):
    """The group keys that fold ``graph``'s module calls ``d`` scopes deep, each into one box, and
    a call with no sub-module calls that deep at its own depth (at ``d`` = 3, ``Net#1/features/0``
    and ``Net#1/classifier``); ``d`` = 1 gives one box per top-level call. Sorted."""
    calls = [s for s in scope_codes(graph)[0] if s and "#" in s.split("/", 1)[0]]
    keys = {"/".join(s.split("/")[:d]) for s in calls}
    inside = {p for k in keys for p in scope_prefixes(k) if p != k}  # would hide a finer key
    return sorted(keys - inside)


def module_levels(graph):
    """Every distinct ``module_level`` of ``graph``, finest first (empty when no node is in a
    module call): the foldings a first view tries (``draw.first_view``)."""
    table, _ = scope_codes(graph)
    levels = []
    for d in range(max((_depth(s) for s in table if "#" in s.split("/", 1)[0]), default=0), 0, -1):
        level = module_level(graph, d)
        if not levels or level != levels[-1]:
            levels.append(level)
    return levels


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

    # scope groups: the outermost collapsed prefix of each node's scope, found once per distinct
    # scope; node i's key is keys[kc[i]]
    table, kc = scope_codes(graph)
    key_of_scope = {s: hiding_group(s, scope_keys) for s in table}
    unknown = scope_keys - set(key_of_scope.values())  # a key some scope is grouped by is known;
    if unknown:  # one inside another collapsed key is too, if any scope starts with it
        unknown -= {p for s in table for p in scope_prefixes(s)}
    if unknown:
        raise ValueError(f"no node of this graph is in scope {sorted(unknown)[0]!r}: group keys are "
                         f"scope prefixes such as {_example_scope(graph)!r} (see GroupView)")
    keys = [key_of_scope[s] for s in table]

    if folds:
        heads = []
        for k in folds:
            try:
                h = int(k[5:])
            except ValueError:
                raise ValueError(f"bad fold key {k!r}: use 'fold:<node id>'") from None
            if not 0 <= h < n:
                raise ValueError(f"fold key {k!r} names node {h}, but the graph has ids 0..{n - 1}")
            heads.append(h)
        plain = ~np.array([bool(k) for k in keys], dtype=bool)[kc]
        head = _fold_heads(graph, plain)
        fold_of = np.full(n, -1, dtype=np.int64)
        for j, h in enumerate(heads):  # a later key naming the same head wins
            fold_of[h] = len(keys) + j
        keys = keys + folds
        at = fold_of[head]
        sel = plain & (at >= 0)
        kc = kc.copy()
        kc[sel] = at[sel]

    return _build_view(graph, collapsed, keys, kc)


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
    o = np.argsort(src * max(n, 1) + dst)  # edges by (child, parent)
    v.edges = np.stack([src[o], dst[o]], axis=1)
    v._member_ids, v._member_ptr = ids, np.arange(n + 1, dtype=np.int64)
    v.labels, v.ops, v.kinds = graph.labels, graph.ops, graph.kinds
    return v


def _example_scope(graph):
    deep = [s for s in graph.scopes if s]
    return deep[0].split("/")[0] if deep else "MLP#1"


def _build_view(graph, collapsed, keys, kc):
    """The view where node i is in group ``keys[kc[i]]`` (``""``: its own box)."""
    n = len(graph)
    src, dst = _edge_arrays(graph)
    # raw box numbering: groups in order of first key appearance, single nodes by id
    names = {}  # distinct non-empty key -> group number, in order of first appearance
    gid = np.full(len(keys), -1, dtype=np.int64)
    used, first = np.unique(kc, return_index=True)
    for j in used[np.argsort(first, kind="stable")].tolist():
        if keys[j]:
            gid[j] = names.setdefault(keys[j], len(names))
    code = gid[kc]
    K = len(names)
    single = code < 0
    raw = np.where(single, K + np.cumsum(single) - 1, code)
    m = K + int(single.sum())
    raw_key = list(names) + [""] * (m - K)
    cross = raw[src] != raw[dst]
    leaving = np.zeros(n, dtype=bool)
    leaving[src[cross]] = True
    if n:
        leaving[n - 1] = True
    n_out = np.bincount(raw[leaving], minlength=m)
    out = group_max(raw[leaving], np.flatnonzero(leaving), m)
    last = group_max(raw, np.arange(n), m)
    out = np.where(out >= 0, out, last)

    # topological numbering of boxes; groups of a well-nested graph sort by their output node
    bsrc, bdst = raw[src[cross]], raw[dst[cross]]
    order = np.argsort(out, kind="stable")
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    if np.any(rank[bsrc] >= rank[bdst]):
        order = _kahn(m, bsrc, bdst, out, raw_key)
        if order is None:  # a collapse that would make a cycle: undo groups on it and retry
            return _build_view(graph, collapsed, _break_cycles(m, bsrc, bdst, raw, raw_key, keys), kc)
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


def _break_cycles(m, bsrc, bdst, raw, raw_key, keys):
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
    return [("" if k in stuck else k) for k in keys]


# ---- opening and folding one group ---------------------------------------------------------

def _under(k, key):
    """Whether group key ``k`` is ``key`` or lies inside it."""
    return k == key or k.startswith(key + "/")


def scope_prefixes(scope):
    """The groups a value of ``scope`` is in, outermost first: ``"MLP#7/layers.1"`` ->
    ``["MLP#7", "MLP#7/layers.1"]``; none for ``""``."""
    parts = scope.split("/") if scope else []
    return ["/".join(parts[:d]) for d in range(1, len(parts) + 1)]


def hiding_group(scope, collapsed):
    """The folded group that draws a value of ``scope``: the outermost of its scope prefixes that
    is in ``collapsed``, or ``""`` when none is (a ``fold:ID`` tree holds only unscoped values,
    and which ones depends on the graph: not said here)."""
    keys = collapsed if isinstance(collapsed, (set, frozenset)) else set(collapsed)
    return next((p for p in scope_prefixes(scope) if p in keys), "")


def offers(collapsed, group="", scope="", shown=True):
    """What selecting a box offers (the page's selection panel): ``{"expand": [keys], "collapse":
    [keys]}``, each key for ``expand`` / ``collapse``.

    A group box (``group`` its key) offers to open itself, and to fold each scope around it
    (``MLP#7`` around ``MLP#7/layers.1``), innermost first. A value of ``scope`` that is not drawn
    (``shown`` False: a search hit folded away) offers to open the group hiding it
    (``hiding_group``). A drawn value offers to fold each scope around it that is not folded
    yet, innermost first."""
    folded = set(collapsed)
    if group:
        around = [p for p in reversed(scope_prefixes(group)) if p != group and p not in folded]
        return {"expand": [group], "collapse": around}
    if not shown:
        key = hiding_group(scope, collapsed)
        return {"expand": [key] if key else [], "collapse": []}
    return {"expand": [], "collapse": [p for p in reversed(scope_prefixes(scope)) if p not in folded]}


def subscopes(x, key):
    """Scope prefixes one level below ``key`` in ``x`` (a Value, Graph or GroupView): the groups
    that opening ``key`` shows (``"MLP#7"`` -> ``["MLP#7/layers.0", "MLP#7/layers.1"]``)."""
    graph = x.graph if isinstance(x, GroupView) else as_graph(x)
    depth = key.count("/") + 1
    return sorted({"/".join(s.split("/")[:depth + 1]) for s in set(graph.scopes) if s.startswith(key + "/")})


def expand(x, collapsed, key, expanded=()):
    """Open the folded group ``key``: returns ``(collapsed, expanded)``, the group keys to fold
    next and the keys opened so far (``expanded`` plus ``key``).

    A scope group shows its sub-scopes as groups (a sample its layers, a layer its neurons; a
    neuron, having none, its values); a ``fold:ID`` tree shows its values. ``KeyError`` if ``key``
    is not folded now."""
    collapsed = list(collapsed)
    if key not in collapsed:
        raise KeyError(f"{key!r} is not a collapsed group; collapsed: {', '.join(collapsed[:6])}"
                       f"{', ...' if len(collapsed) > 6 else ''}")
    keep = [k for k in collapsed if k != key]
    if not key.startswith("fold:"):
        keep += [s for s in subscopes(x, key) if s not in keep]
    return keep, set(expanded) | {key}


def collapse(x, collapsed, key, expanded=()):
    """Fold every value whose scope starts with ``key`` (and the groups inside it) into one box:
    returns ``(collapsed, expanded)`` as ``expand`` does, with the groups inside ``key`` no longer
    listed in either. ``KeyError`` if no value of the graph is in scope ``key``."""
    graph = x.graph if isinstance(x, GroupView) else as_graph(x)
    if not isinstance(key, str) or not key or not (key.startswith("fold:") or any(
            _under(s, key) for s in set(graph.scopes))):
        raise KeyError(f"no value of this graph is in scope {key!r}")
    keep = [k for k in collapsed if not _under(k, key)] + [key]
    return keep, {k for k in expanded if not _under(k, key)}


# ---- the page's copy of the rules, checked against this module's answers ------------------------

_SCOPES = ("", "MLP#7", "MLP#7/layers.1", "MLP#7/layers.1/neurons.3", "MLP#70/layers.1", "layers.0",
           "layers.0/neurons.0", "layers.0/neurons.01", "a.b/c")
_COLLAPSED = ((), ("MLP#7",), ("MLP#1", "MLP#7/layers.0"), ("MLP#7/layers.1",), ("layers.0",),
              ("fold:5", "MLP#7/layers.1/neurons.3"), ("MLP#7/layers.1", "MLP#7"), ("MLP#70", "layers.0/neurons.0"))


def cases():
    """The case file's content: ``{"cases": [{"scope", "collapsed", "group", "shown", "prefixes",
    "hiding", "offers"}, ...], "under": [[key, group key, under?], ...]}``, every answer this
    module's."""
    out = []
    for collapsed in _COLLAPSED:
        for scope in _SCOPES:
            for shown in (True, False):
                out.append({"scope": scope, "collapsed": list(collapsed), "group": "", "shown": shown,
                            "prefixes": scope_prefixes(scope), "hiding": hiding_group(scope, collapsed),
                            "offers": offers(collapsed, "", scope, shown)})
        for group in collapsed:
            out.append({"scope": "", "collapsed": list(collapsed), "group": group, "shown": True,
                        "prefixes": [], "hiding": "", "offers": offers(collapsed, group)})
    under = [[k, key, _under(k, key)] for k in _SCOPES if k for key in ("MLP#7", "MLP#7/layers.1", "layers.0")]
    return {"cases": out, "under": under}


def case_file_text():
    """The case file, one case a line (readable diffs)."""
    import json
    c = cases()
    lines = ['{"under": ' + json.dumps(c["under"]) + ",", '"cases": [']
    lines += [json.dumps(x) + ("," if i < len(c["cases"]) - 1 else "") for i, x in enumerate(c["cases"])]
    return "\n".join(lines) + "\n]}\n"
