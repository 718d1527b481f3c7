"""``Tape``: a fixed graph compiled once into numpy steps, replayed forward and backward.

The forward runs level by level (a node's level is one more than its deepest operand), one
vectorised step per op within a level. Chains of ``+`` whose links feed nothing else (a neuron's
``b + w0*x0 + w1*x1 + ...``, a ``sum(...)`` of losses) run as one row-wise ``cumsum``, which adds in
the same order as the engine, so whole neurons and sums cost one step.

The backward is a pull: each op writes its operands' contributions ``d out/d child * g`` (the
engine's formulas, in the engine's order) into a buffer laid out so that each level's nodes sum
their contributions with one row-by-row sum per degree, adding in the order the engine's
reverse-topological pass does. ``exp``, ``log``, ``tanh`` and powers are the C library's, as
Python's ``math`` and ``**`` use (numpy's own can differ in the last bit, e.g. its AVX-512 kernels),
so results match the engine bit for bit.
"""
from __future__ import annotations

from array import array
from itertools import islice
from numbers import Real
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from .. import engine, ops
from ..engine import Value
from ..graph.trace import as_graph
from ..names import node_name
from . import custom as custom_replay
from . import scalar as scalar_replay
from .chains import plus_chains
from .levels import levels

if TYPE_CHECKING:
    from typing import Literal

    from numpy.typing import ArrayLike

    from ..graph.types import Root

__all__ = ["Tape"]

_MODES = ("auto", "vector", "scalar")
_FRAMEWORK = {"torch": "PyTorch", "jax": "JAX"}
_DATA = attrgetter("data")


def _opcode(op, arity, g):
    """The op kind (and constant exponent, for ``**k``) of an op with ``arity`` operands."""
    entry, k = ops.lookup(op)
    if entry is not None:
        if arity == entry.arity:
            return entry.name, 0.0 if k is None else k
        raise ValueError(f"{_first(g, op, arity)} has op {op!r} with {arity} operands; "
                         f"{op!r} takes {entry.arity}")
    known = ", ".join(repr(o) for o in ops.OPS if o != "**k")
    raise ValueError(f"Tape cannot replay {_first(g, op, arity)}: op {op!r} with {arity} operands "
                     f"is not an engine op; Tape replays {known}, '**<number>' and the ops registered "
                     f"with gradviz.register_op")


def _refuse_custom(g):
    """Whether the graph has ops of the user's own (registered, or a ``_backward`` closure) that the
    generic plan runs. A closure gives the gradient but nothing recomputes the op's forward after
    a nudge unless one is registered for its op name: such a graph is refused, saying so."""
    custom = any(isinstance(op, str) and op in ops.CUSTOM for op in set(g.ops))
    for i, m in enumerate(g.meta or ()):
        if m and m.get("backward") == "custom":
            if ops.CUSTOM.get(g.ops[i]) is None and ops.lookup(g.ops[i])[0] is None:
                raise ValueError(f"Tape cannot replay {node_name(g, i)}: op {g.ops[i]!r} is a custom "
                                 f"op with its own _backward, and gradviz has no forward to re-run for it "
                                 f"(register one with gradviz.register_op({g.ops[i]!r}, forward)); "
                                 f"backward() runs its closure, and the drawing shows the values as they are")
            custom = True
    return custom


def has_own_closures(g):
    """Whether ``g``'s Values are of another class (micrograd's, a learner's) and some op node has a
    ``_backward`` closure: then those closures, not gradviz's table, are the backward rule."""
    values = g.values
    if values is None or not len(values) or isinstance(values[-1], Value):
        return False
    ptr = g.child_ptr
    return any(callable(getattr(values[i], "_backward", None)) for i in np.flatnonzero(np.diff(ptr) > 0).tolist())


def _first(g, op, arity):
    ptr = g.child_ptr.tolist()
    i = next(i for i, o in enumerate(g.ops) if o == op and ptr[i + 1] - ptr[i] == arity)
    return node_name(g, i)


def _decode_ops(g, arity):
    """Op kinds in use (``names``), each node's index into them (-1 for leaves), ``**k`` exponents."""
    n = len(arity)
    distinct = list(dict.fromkeys(g.ops))
    index = {op: j for j, op in enumerate(distinct)}
    key = np.fromiter(map(index.__getitem__, g.ops), np.intp, n) * 3 + arity  # (op, arity), arity <= 2
    used = np.flatnonzero(np.bincount(key, minlength=3 * len(distinct)))
    table = {}  # (op, arity) -> (op kind, exponent): one check per distinct pair
    for k in used.tolist():
        if k % 3:
            table[k] = _opcode(distinct[k // 3], k % 3, g)
    names = sorted({c for c, _ in table.values()})
    code_lut = np.full(3 * len(distinct), -1, dtype=np.intp)
    k_lut = np.zeros(3 * len(distinct))
    for k, (c, e) in table.items():
        code_lut[k], k_lut[k] = names.index(c), e
    return names, code_lut[key], k_lut[key]


def _reachable(ptr, kids, npar):
    """Nodes the root (the last node) depends on. Others get grad 0 and send nothing back, as in
    the engine; a traced graph has no others."""
    n = len(npar)
    reach = np.ones(n, dtype=bool)
    if np.count_nonzero(npar == 0) > 1:
        reach[:] = False
        reach[n - 1] = True
        pl, kl = ptr.tolist(), kids.tolist()
        for i in range(n - 1, -1, -1):
            if reach[i]:
                for c in kl[pl[i]:pl[i + 1]]:
                    reach[c] = True
    return reach


class _Group:
    """Nodes of one op within one level: ``out`` ids, operand ids ``a``/``b``, contribution slots."""

    __slots__ = ("op", "f", "out", "a", "b", "k", "pa", "pb", "at", "a_at", "b_at")


class _Chain:
    """Equal-length ``+`` chains of one level: ``operands`` (rows x0, t1..tm), ``nodes`` (c1..cm)."""

    __slots__ = ("operands", "nodes", "tops", "inner", "pos", "operands_at", "inner_at", "tops_at",
                 "shape")


class Tape:
    """Compile the graph of ``x`` (a root Value or a Graph) once; ``run()`` replays it.

    ``graph`` is the Graph whose ids index every array; ``leaves`` the leaf ids. ``run()`` reads
    the leaves, recomputes every value and d root/d node (fresh, seeded with 1 at the root) and by
    default writes ``.data`` and ``.grad`` into every Value. ``mode``: ``"vector"`` replays level
    by level in numpy (wide graphs), ``"scalar"`` node by node on Python floats (deep, narrow
    graphs), ``"auto"`` picks the one that should be faster on this graph (see ``Tape.mode``).
    A graph with ops of your own (``gradviz.register_op``) always replays node by node
    (``custom_replay``), whatever the mode.

    ``rules``: ``"own"`` backpropagates with the Values' own ``_backward`` closures where they have
    them: for Values of another class (micrograd's, a learner's) one pass of their closures, as
    their ``backward()`` runs them, bugs included (``own_closures`` is then True). ``"reference"``
    uses gradviz's op table for every op it knows: the reference a learner's closures are checked
    against.
    """

    def __init__(self, x: Root, mode: Literal["auto", "vector", "scalar"] = "auto",
                 rules: Literal["own", "reference"] = "own") -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
        if rules not in ("own", "reference"):
            raise ValueError(f"rules must be 'own' or 'reference', got {rules!r}")
        self.rules = rules
        with engine.gc_paused():
            self._compile(as_graph(x), mode)

    def _compile(self, g, mode):
        self.graph = g
        n = len(g)
        if n == 0:
            raise ValueError("Tape needs a graph with at least one node")
        if g.source != "gradviz":
            raise ValueError(f"Tape replays gradviz graphs; this one came from {_FRAMEWORK.get(g.source, g.source)} "
                             f"(its nodes stand for tensors): re-run the model there, or build it from gradviz Values")
        self.own_closures = self.rules == "own" and has_own_closures(g)
        custom = _refuse_custom(g) or self.own_closures
        ptr, kids = g.child_ptr, g.child_ids
        arity = np.diff(ptr)
        self.leaves = np.flatnonzero(arity == 0)
        self._values = g.values
        self._leaf_ids = self.leaves.tolist()
        self._leaf_values = None if g.values is None else [g.values[i] for i in self._leaf_ids]
        self._root = n - 1
        self._scalar = None
        self._nlevels = None  # levels of the vector plan (None for a Tape compiled as scalar)

        if custom:  # ops of the user's own: node by node (custom_replay)
            self._compile_generic(g, arity > 0, _reachable(ptr, kids, np.bincount(kids, minlength=n)))
            return
        names, codes, ks = _decode_ops(g, arity)
        has = arity > 0
        a = np.full(n, -1, dtype=np.intp)
        b = np.full(n, -1, dtype=np.intp)
        a[has] = kids[ptr[:-1][has]]
        two = arity == 2
        b[two] = kids[ptr[:-1][two] + 1]
        npar = np.bincount(kids, minlength=n)
        reach = _reachable(ptr, kids, npar)
        if mode == "scalar":
            self._compile_scalar(names, codes, ks, has, a, b, reach)
            return
        link, chains, inner = plus_chains(codes == names.index("+") if "+" in names else
                                             np.zeros(n, dtype=bool), a, b, npar)
        level = levels(has, inner, chains, a, b)
        self._nlevels = int(level.max()) + 1
        if mode == "auto" and _scalar_is_faster(n, has, inner, level, codes, len(names)):
            self._compile_scalar(names, codes, ks, has, a, b, reach)
            return
        self._unreached = np.flatnonzero(~reach)
        target = self._gradient_targets(ptr, kids, arity, reach, link, level)
        self._steps(names, codes, ks, has, inner, chains, level, a, b, link, ptr[:-1], target)
        self._place(n)

    def _compile_generic(self, g, has, reach):
        """The plan for graphs with ops of the user's own (see ``custom_replay``); it has the
        scalar plan's slots and interface."""
        ids = np.flatnonzero(has)
        order = np.concatenate([self.leaves, ids])
        slot = np.empty(len(has), dtype=np.intp)
        slot[order] = np.arange(len(has))
        self._scalar = custom_replay.GenericProgram(g, slot, ids.tolist(),
                                                    None if reach.all() else reach[ids].tolist(), self._name,
                                                    own=self.own_closures, closures=self.rules == "own")
        self._scalar_slot = slot
        self._scalar_root = int(slot[self._root])

    def _compile_scalar(self, names, codes, ks, has, a, b, reach):
        """The scalar program (see ``scalar_replay``): slots are the leaves, then the op nodes,
        each in id order."""
        ids = np.flatnonzero(has)
        order = np.concatenate([self.leaves, ids])
        slot = np.empty(len(has), dtype=np.intp)
        slot[order] = np.arange(len(has))
        op_of = np.array([scalar_replay.OPS.index(c) for c in names], dtype=np.intp)
        opc = op_of[codes[ids]] if len(ids) else ids
        bs = np.where(b[ids] >= 0, slot[b[ids]], -1).tolist()
        powk = np.flatnonzero(opc == scalar_replay.OPS.index("**k"))
        for j, k in zip(powk.tolist(), ks[ids[powk]].tolist()):
            bs[j] = k
        self._scalar = scalar_replay.ScalarProgram(
            len(self.leaves), opc.tolist(), slot[a[ids]].tolist(), bs,
            None if self._values is None else [self._values[i] for i in ids.tolist()],
            None if reach.all() else reach[ids].tolist(),
            lambda s, x: self._standin(int(order[s]), x))
        self._scalar_slot = slot
        self._scalar_root = int(slot[self._root])

    @property
    def mode(self) -> str:
        """How ``run()`` replays: ``"vector"`` (numpy, level by level) or ``"scalar"`` (node by node)."""
        return "scalar" if self._scalar is not None else "vector"

    def _gradient_targets(self, ptr, kids, arity, reach, link, level):
        """Where each parent edge sends its contribution d out/d child * g, in one buffer: the
        grads (one per node) then a contribution area. A node with one parent edge gets it
        straight into its grad; a node with several gets a column of a (deg, count) block of its
        level and degree, its contributions in the engine's order (parent id descending), summed
        row by row into its grad (``_pulls``). Chain links pass the gradient through and have no
        slot; unreachable parents write to a dump slot at the end. Returns a target per edge."""
        n, E = len(arity), len(kids)
        P = np.repeat(np.arange(n), arity)
        C = kids
        keep = reach[P] & (C != link[P])
        deg = np.bincount(C[keep], minlength=n)
        target = np.full(E, -1, dtype=np.intp)
        single = keep & (deg[C] == 1)
        target[single] = C[single]
        ek = np.flatnonzero(keep & ~single)
        Pk, Ck = P[ek], C[ek]
        Sk = ek - ptr[:-1][Pk]  # the operand slot
        order = np.lexsort((Sk, -Pk, Ck, deg[Ck], level[Ck]))
        Cs = Ck[order]
        m = len(Cs)
        self._nbuf = n + m + 1
        target[target < 0] = n + m  # the dump
        self._pulls = [[] for _ in range(self._nlevels)]
        if m:
            new_child = np.r_[True, Cs[1:] != Cs[:-1]]
            child_first = np.flatnonzero(new_child)
            u = Cs[child_first]  # receiving nodes, sorted by (level, degree, id)
            ul, ud = level[u], deg[u]
            new_bucket = np.r_[True, (ul[1:] != ul[:-1]) | (ud[1:] != ud[:-1])]
            bucket_of_child = np.cumsum(new_bucket) - 1
            bucket_first_child = np.flatnonzero(new_bucket)
            cnt = np.diff(np.r_[bucket_first_child, len(u)])
            j = np.arange(len(u)) - bucket_first_child[bucket_of_child]
            child_idx = np.cumsum(new_child) - 1  # per sorted edge: which receiving node
            k = np.arange(m) - child_first[child_idx]
            bstart = n + child_first[bucket_first_child]  # a bucket's edges are contiguous
            bc = bucket_of_child[child_idx]
            target[ek[order]] = bstart[bc] + k * cnt[bc] + j[child_idx]
            for q in range(len(bucket_first_child)):
                f, c_ = int(bucket_first_child[q]), int(cnt[q])
                self._pulls[int(ul[f])].append((u[f:f + c_].copy(), int(bstart[q]), int(ud[f]), c_))
        return target

    def _steps(self, names, codes, ks, has, inner, chains, level, a, b, link, first, target):
        """The steps of each level: op groups (by op) and chain batches (by length)."""
        n = len(codes)
        tops = chains.tops
        is_top = np.zeros(n, dtype=bool)
        is_top[tops] = True
        ops_ids = np.flatnonzero(has & ~inner & ~is_top)
        ops_ids = ops_ids[np.lexsort((ops_ids, codes[ops_ids], level[ops_ids]))]
        self._groups = [[] for _ in range(self._nlevels)]
        if len(ops_ids):
            cut = np.flatnonzero(np.r_[True, (level[ops_ids][1:] != level[ops_ids][:-1])
                                       | (codes[ops_ids][1:] != codes[ops_ids][:-1]), True])
            for s0, s1 in zip(cut[:-1].tolist(), cut[1:].tolist()):
                ids = ops_ids[s0:s1]
                gr = _Group()
                gr.op, gr.out = names[codes[ids[0]]], ids
                gr.f = ops.vector(gr.op)  # the op's formulas on arrays
                binary = gr.f.op.arity == 2
                gr.a, gr.pa = a[ids], target[first[ids]]
                gr.b = b[ids] if binary else None
                gr.pb = target[first[ids] + 1] if binary else None
                gr.k = ks[ids] if gr.op == "**k" else None
                self._groups[int(level[ids[0]])].append(gr)
        self._chains = [[] for _ in range(self._nlevels)]
        # batches of chains of one level and one length, by level then length; chains by top id
        lens, lv_of = chains.lengths(), level[tops]
        order = np.lexsort((tops, lens, lv_of))
        cut = np.flatnonzero(np.r_[True, (lv_of[order][1:] != lv_of[order][:-1])
                                   | (lens[order][1:] != lens[order][:-1]), True]) if len(order) else []
        start, ostart = chains.cut[:-1], chains.operand_ptr()[:-1]
        for s0, s1 in zip(cut[:-1], cut[1:]):
            sel = order[s0:s1]
            lv, m = int(lv_of[sel[0]]), int(lens[sel[0]])
            ch = _Chain()
            ch.operands = chains.operands[ostart[sel][:, None] + np.arange(m + 1)]
            ch.nodes = chains.nodes[start[sel][:, None] + np.arange(m)]
            ch.tops = ch.nodes[:, -1].copy()
            ch.inner = ch.nodes[:, :-1].copy()
            # the operands' targets: c1's two edges, then each c_k's non-link edge
            c1, rest = ch.nodes[:, 0], ch.nodes[:, 1:]
            ch.pos = np.concatenate([target[first[c1]][:, None], target[first[c1] + 1][:, None],
                                     target[first[rest] + (link[rest] == a[rest])]], axis=1)
            self._chains[lv].append(ch)

    def _place(self, n):
        """Give every node an internal slot so that each step reads and writes contiguous ranges:
        the leaves first, then level by level each chain batch (inner nodes row by row, then the
        tops) and each op group. Index arrays are rewritten to slots; ``slot[id]`` maps back."""
        order = [self.leaves]
        pos = len(self.leaves)
        for lv in range(1, self._nlevels):
            for ch in self._chains[lv]:
                nch, m = ch.nodes.shape
                order += [ch.inner.ravel(), ch.tops]
                ch.inner_at = slice(pos, pos + nch * (m - 1))
                ch.tops_at = slice(pos + nch * (m - 1), pos + nch * m)
                ch.shape = (nch, m - 1)
                pos += nch * m
            for gr in self._groups[lv]:
                order.append(gr.out)
                gr.at = slice(pos, pos + len(gr.out))
                pos += len(gr.out)
        order = np.concatenate(order) if order else np.zeros(0, dtype=np.intp)
        assert pos == n and len(order) == n
        slot = np.empty(n, dtype=np.intp)
        slot[order] = np.arange(n)
        self._slot = slot

        def to_slots(t):  # single-parent children take their grad in their node's slot
            t = t.copy()
            direct = t < n
            t[direct] = slot[t[direct]]
            return t

        for lv in range(self._nlevels):
            self._pulls[lv] = [(slot[nodes], start, deg, cnt) for nodes, start, deg, cnt in self._pulls[lv]]
            for ch in self._chains[lv]:
                ch.operands_at = slot[ch.operands]
                ch.pos = to_slots(ch.pos)
            for gr in self._groups[lv]:
                gr.a_at = slot[gr.a]
                gr.b_at = None if gr.b is None else slot[gr.b]
                gr.pa = to_slots(gr.pa)
                gr.pb = None if gr.pb is None else to_slots(gr.pb)
        self._leaf_at = slice(0, len(self.leaves))
        self._root_at = int(slot[self._root])
        self._unreached_at = slot[self._unreached]

    def __repr__(self):
        if self._scalar is not None:
            return f"<Tape of {len(self.graph)} values, scalar>"
        return f"<Tape of {len(self.graph)} values, {self._nlevels} levels>"

    # ---- inputs ---------------------------------------------------------------------------

    def leaf_data(self) -> np.ndarray:
        """A full-length array: ``graph.data`` with every leaf's current ``.data`` from its Value."""
        d = np.array(self.graph.data, dtype=np.float64)
        if self._leaf_values is not None:
            d[self.leaves] = self._read_leaves()[0]
        return d

    def _read_leaves(self):
        """The leaves' current ``.data`` as a list of floats, and whether those are the very floats
        the Values hold (none converted); a clear error for a non-number."""
        vals = list(map(_DATA, self._leaf_values))
        if set(map(type, vals)) <= {float}:  # the usual case: the Values hold exactly these
            return vals, True
        for j, (v, x) in enumerate(zip(self._leaf_values, vals)):
            if type(x) is not float:
                if not isinstance(x, Real):
                    raise TypeError(f"leaf {node_name(v)} has data {x!r}, which is not a number; "
                                    f"set it to a float")
                vals[j] = float(x)
        return vals, False

    def _leaf_input(self, data):
        """The leaves' values for a run (a list or an array): from ``data``, the Values, or the
        graph; and whether they are the very floats the leaves' Values hold."""
        if data is not None:
            n = len(self.graph)
            src = np.asarray(data, dtype=np.float64)
            if src.shape != (n,):
                raise ValueError(f"data must be a float array of length {n} (one entry per node, "
                                 f"leaves used), got shape {src.shape}")
            return src[self.leaves], False
        if self._leaf_values is not None:
            return self._read_leaves()
        return self.graph.data[self.leaves], False

    def _start(self, data):
        """The work array in slot order, its leaf slots filled."""
        d = np.empty(len(self.graph))
        d[self._leaf_at] = self._leaf_input(data)[0]
        return d

    def _scalar_forward(self, data):
        """Every slot's value, as a list (scalar plan)."""
        leaf = self._leaf_input(data)[0]
        return self._scalar.forward(leaf if type(leaf) is list else leaf.tolist())

    def _by_id(self, xs):
        """A list in scalar slot order as an array by id."""
        return np.fromiter(xs, np.float64, len(xs))[self._scalar_slot]

    # ---- replay ---------------------------------------------------------------------------

    def forward(self, data: ArrayLike | None = None) -> np.ndarray:
        """Values of every node from the leaves (``data`` or the Values); nothing is written."""
        if self._scalar is not None:
            return self._by_id(self._scalar_forward(data))
        return self._forward(data, None)[self._slot]

    def output(self, data: ArrayLike | None = None) -> float:
        """The root's value from the leaves (``data`` or the Values); nothing is written."""
        if self._scalar is not None:
            return self._scalar_forward(data)[self._scalar_root]
        return float(self._forward(data, None)[self._root_at])

    def _forward(self, data, cache):
        d = self._start(data)
        with np.errstate(all="ignore"):
            for lv in range(1, self._nlevels):
                for ch in self._chains[lv]:
                    m = d[ch.operands_at]
                    np.cumsum(m, axis=1, out=m)
                    d[ch.inner_at].reshape(ch.shape)[...] = m[:, 1:-1]
                    d[ch.tops_at] = m[:, -1]
                for gr in self._groups[lv]:
                    A = d[gr.a_at]
                    B = None if gr.b_at is None else d[gr.b_at]
                    out = self._fwd(gr, A, B)
                    d[gr.at] = out
                    if cache is not None:
                        cache.append((A, B, out))
        return d

    def run(self, write_back: bool = True, data: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Forward and backward of the whole graph; returns ``(data, grad)`` arrays by id.

        Leaves come from ``data`` (a full-length array; its leaf entries are used) or else from
        the leaves' Values. With ``write_back`` every Value gets its ``.data`` and ``.grad``
        (grads are d root/d node, not accumulated). A failing op raises the engine's error and
        changes nothing.
        """
        if write_back and self._values is None:
            raise ValueError("this Tape's graph has no Values to write into (it was loaded from JSON "
                             "or PyTorch); call run(write_back=False) and use the returned arrays")
        if self._scalar is not None:
            leaf, exact = self._leaf_input(data)  # exact: the leaves' Values hold these floats
            prog, fused = self._scalar, write_back and self._scalar.infallible
            d = prog.forward(leaf if type(leaf) is list else leaf.tolist(), fused)
            # the Values' own closures keep their outputs' new values when the Values get them
            grad = prog.backward(d, self._scalar_root, write_back if self.own_closures else fused)
            if write_back:
                if exact:
                    for v, gx in zip(self._leaf_values, grad):
                        v.grad = gx
                else:
                    for v, x, gx in zip(self._leaf_values, d, grad):
                        v.data = x
                        v.grad = gx
                if not fused:
                    nl = prog.nleaves
                    for v, x, gx in zip(prog.rows[3], islice(d, nl, None), islice(grad, nl, None)):
                        v.data = x
                        v.grad = gx
            return self._by_id(d), self._by_id(grad)
        cache = []
        d = self._forward(data, cache)
        grad = self._backward(cache)[self._slot]
        grad += 0.0  # the engine's sums start at +0.0, so it never reports -0.0
        d = d[self._slot]
        if write_back:
            _write_back(self._values, d, grad)
        return d, grad

    def _backward(self, cache):
        """Gradients in slot order (the first n entries of the returned buffer)."""
        buf = np.empty(self._nbuf)  # grad of every slot, then the contribution blocks
        buf[self._unreached_at] = 0.0
        buf[self._root_at] = 1.0
        groups = iter(cache[::-1])
        with np.errstate(all="ignore"):
            for lv in range(self._nlevels - 1, -1, -1):
                for nodes, start, deg, cnt in self._pulls[lv]:
                    block = buf[start:start + deg * cnt].reshape(deg, cnt)
                    if cnt > 1:  # adds row after row, in the engine's order
                        buf[nodes] = np.add.reduce(block, axis=0)
                    else:  # one column would be summed pairwise; accumulate is sequential
                        np.cumsum(block, axis=0, out=block)
                        buf[nodes] = block[-1]
                for ch in self._chains[lv]:
                    gt = buf[ch.tops_at][:, None]
                    buf[ch.inner_at].reshape(ch.shape)[...] = gt
                    buf[ch.pos] = gt
                for gr in reversed(self._groups[lv]):
                    A, B, out = next(groups)
                    self._bwd(gr, A, B, out, buf[gr.at], buf)
        return buf

    # ---- ops: the table's formulas (gradviz.ops) on arrays ----------------------------------

    def _fwd(self, gr, A, B):
        f = gr.f
        if f.errors:  # where the engine raises, raise its error, naming the first failing node
            bad = None
            for when, _, _ in f.errors:
                m = when(A, B, gr.k, None, None)
                bad = m if bad is None else bad | m
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ops.first_error(gr.op, float(A[i]), None if B is None else float(B[i]),
                                      None if gr.k is None else float(gr.k[i]),
                                      lambda who: self._name(gr.a[i] if who == "a" else gr.b[i]))
        return f.forward(A, B, gr.k, None, None)

    def _name(self, i):
        """Node ``i`` as the engine's errors name it."""
        g = self.graph
        return engine._name(self._standin(i, g.data[i]))

    def _standin(self, i, x):
        """A leaf Value with node ``i``'s label and op, so engine errors name the node as usual."""
        v = Value(float(x), label=self.graph.labels[i])
        v._op = self.graph.ops[i] if self.graph.child_ptr[i + 1] > self.graph.child_ptr[i] else ""
        return v

    def _bwd(self, gr, A, B, out, g, buf):
        """Write each operand's contribution: the gradient the table's op pushes into it."""
        pushed = gr.f.pushed
        buf[gr.pa] = pushed[0](A, B, gr.k, out, g)
        if gr.pb is not None:
            buf[gr.pb] = pushed[1](A, B, gr.k, out, g)


def _scalar_is_faster(n, has, inner, level, codes, ncodes):
    """Whether the scalar plan should beat the vector plan on this graph. Measured on this
    project's machines (benchmarks/bench_shapes.py): a vector step (one op of one level) costs
    about as much as 30 op nodes of the scalar plan, counting its longer compile, and the vector
    plan's per-node work a fifth of a scalar node's."""
    ops = np.flatnonzero(has & ~inner)
    key = np.sort(level[ops] * ncodes + codes[ops])
    steps = int(np.count_nonzero(key[1:] != key[:-1])) + 1 if len(key) else 0
    return steps * 30 + n * 0.2 > np.count_nonzero(has)


def _write_back(values, data, grad):
    """Set ``.data`` and ``.grad`` of every Value. Iterating array.array makes each float just
    before its store, so it reuses the float just freed; ``tolist()`` would allocate them all
    first and free the old ones after, about twice the time for 66k Values."""
    d = array("d")
    d.frombytes(memoryview(np.ascontiguousarray(data)).cast("B"))
    g = array("d")
    g.frombytes(memoryview(np.ascontiguousarray(grad)).cast("B"))
    for v, x, gx in zip(values, d, g):
        v.data = x
        v.grad = gx
