"""Backward, step by step: the lecture's manual backward pass, and the chain rule as a sum over paths.

``backprop_steps(root)`` lists what ``backward()`` does, one step per op node in the order it
applies them: the node, its gradient when reached, and what it pushes into each operand
(``child``, the ``local`` derivative, the ``amount`` added). Adding up the amounts from a root
gradient of 1 gives ``backward()``'s gradients: bit for bit for gradviz Values, because each
amount is computed with the engine's own float operations and the additions come in its order.
For a node with a lecture-style ``_backward`` closure (micrograd's Values, a learner's own class,
a custom op) the closure itself is run on scratch gradients (``closures.closure_pushes``), so what
a step shows is what that closure adds, bugs included; every Value is left as it was.

``chain_paths(root, leaf)`` lists every path from the root down to ``leaf`` with the product of
the local derivatives along it: their sum is the leaf's gradient (when the closures are right).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from operator import index as _index
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from . import engine
from .closures import PUSHES as _PUSHES
from .closures import closure_pushes, pushes_of
from .engine import Value
from .ops import CUSTOM, split_op

if TYPE_CHECKING:
    from .graph.types import Root

__all__ = ["Step", "BackpropSteps", "Path", "ChainPaths", "backprop_steps", "chain_paths", "replay_steps", "MAX_PATHS"]

MAX_PATHS = 10_000  # chain_paths refuses graphs with more root-to-leaf paths than this


class Step(tuple):
    """One node of the backward pass: ``node``; its gradient ``grad`` when reached; ``pushes``, a
    tuple of ``(child, local, amount)`` with ``amount == local * grad`` as the engine computes it
    (for ``/`` and ``log`` it divides by the operand rather than multiplying by its reciprocal:
    equal up to rounding), one per operand, so ``a + a`` pushes twice into ``a`` (one per distinct
    child for a ``_backward`` closure); ``note``: where the node's own ``_backward`` disagrees with
    the chain rule of its op. ``rule_texts(step)`` gives each push's local derivative as a formula.

    Immutable. Stored flat, ``(node, grad, note, child, local, amount, child, ...)``; made when a
    ``BackpropSteps`` is indexed (the pass itself stores columns)."""

    __slots__ = ()

    def __new__(cls, node: Any, grad: float, pushes: tuple = (), note: str = "") -> Step:
        return tuple.__new__(cls, (node, grad, note, *[x for p in pushes for x in p]))

    node = property(itemgetter(0), doc="the op node")
    grad = property(itemgetter(1), doc="its gradient when the pass reaches it")
    note = property(itemgetter(2), doc="where its _backward disagrees with its op's chain rule, else ''")

    @property
    def pushes(self) -> tuple:
        """``((child, local, amount), ...)``, in operand order."""
        return tuple(zip(self[3::3], self[4::3], self[5::3]))

    def __reduce__(self):
        return (Step, (self.node, self.grad, self.pushes, self.note))

    def __repr__(self) -> str:
        name = _name(self.node)
        g = self.grad
        parts = [f"{_name(c)} += {_num(loc)} × {_num(g)} = {_num(x)}" if _agrees(x, loc * g)
                 else f"{_name(c)} += {_num(x)} (not {_num(loc)} × {_num(g)})" for c, loc, x in self.pushes]
        body = "; ".join(parts) if parts else "passes no gradient"
        return f"{name}: grad {_num(self.grad)} → {body}" + (f"  ({self.note})" if self.note else "")


class BackpropSteps(Sequence):
    """What ``backprop_steps`` returns: backward's steps, a read-only sequence of ``Step`` (index,
    negative index, slice (a list), iterate, ``len``, ``==`` with any sequence of steps).

    Stored as two flat columns, not as step objects: ``_flat`` holds, step after step, the node,
    its grad, then each push's child, local and amount; step ``s`` is ``_flat[_ptr[s]:_ptr[s + 1]]``;
    ``_notes`` maps a step's index to its note. Floats and ints are no containers, so the cyclic
    garbage collector sees three objects, not one (or four) per step: that keeps the pass on a
    66k-node graph near ``backward()``'s time. A ``Step`` is made when one is asked for."""

    __slots__ = ("_flat", "_ptr", "_notes")

    def __init__(self, steps: Any = ()) -> None:
        self._flat, self._ptr, self._notes = [], [0], {}
        for st in steps:
            self._put(st)

    def _put(self, step: Step) -> None:
        """Append ``step`` (a ``Step``)."""
        if step[2]:
            self._notes[len(self._ptr) - 1] = step[2]
        self._flat += step[:2]
        self._flat += step[3:]
        self._ptr.append(len(self._flat))

    def __len__(self) -> int:
        return len(self._ptr) - 1

    @overload
    def __getitem__(self, i: int) -> Step: ...
    @overload
    def __getitem__(self, i: slice) -> list[Step]: ...

    def __getitem__(self, i):
        m = len(self._ptr) - 1
        if isinstance(i, slice):
            return [self._step(j) for j in range(*i.indices(m))]
        j = _index(i)
        if j < 0:
            j += m
        if not 0 <= j < m:
            raise IndexError(f"step index {i} out of range: backward has {m} steps here")
        return self._step(j)

    def _step(self, j):
        f, a = self._flat, self._ptr[j]
        return tuple.__new__(Step, (f[a], f[a + 1], self._notes.get(j, ""), *f[a + 2:self._ptr[j + 1]]))

    def __iter__(self):
        return map(self._step, range(len(self._ptr) - 1))

    def __reversed__(self):
        return map(self._step, range(len(self._ptr) - 2, -1, -1))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BackpropSteps):
            return (self._ptr == other._ptr and self._notes == other._notes
                    and all(x is y or x == y for x, y in zip(self._flat, other._flat)))
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(self) == len(other) and all(x == y for x, y in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        return (_rebuild_steps, (self._flat, self._ptr, self._notes))

    def __repr__(self) -> str:
        m, shown = len(self), 20
        lines = [f"{m} step(s) of backward:"] + [f"  {s!r}" for s in self[:shown]]
        return "\n".join(lines + ([f"  ... and {m - shown} more"] if m > shown else []))

    def _rows(self, reverse=False):
        """``(node, (child, local, amount, child, ...))`` per step, without making Steps."""
        f, p = self._flat, self._ptr
        idx = range(len(p) - 2, -1, -1) if reverse else range(len(p) - 1)
        return ((f[p[j]], f[p[j] + 2:p[j + 1]]) for j in idx)


def _rebuild_steps(flat, ptr, notes):
    out = BackpropSteps()
    out._flat, out._ptr, out._notes = flat, ptr, notes
    return out


def _rows(steps, reverse=False):
    """``(node, flat pushes)`` per step of a ``BackpropSteps`` or of any sequence of ``Step``."""
    if isinstance(steps, BackpropSteps):
        return steps._rows(reverse)
    return ((s[0], s[3:]) for s in (reversed(steps) if reverse else steps))


class Path(NamedTuple):
    """One path from the root down to the leaf: its ``nodes`` (root first), the ``locals`` (one
    per edge, d parent / d child) and their ``product``."""

    nodes: tuple
    locals: tuple
    product: float

    def __repr__(self) -> str:
        chain = " ← ".join(_name(v) for v in self.nodes)
        factors = " × ".join(_num(x) for x in reversed(self.locals)) or "1"
        return f"{factors} = {_num(self.product)}   ({chain})"


class ChainPaths(list):
    """The paths of ``chain_paths``: a list of ``Path``, with ``total`` (the sum of the products)
    and ``grad`` (the leaf's gradient from the steps), equal for correct closures."""

    def __init__(self, paths, leaf, total, grad):
        super().__init__(paths)
        self.leaf, self.total, self.grad = leaf, total, grad

    def __repr__(self) -> str:
        lines = [f"{_name(self.leaf)}.grad = {_num(self.grad)}, the sum over {len(self)} path(s) "
                 f"= {_num(self.total)}:"]
        lines += [f"  {p!r}" for p in self]
        return "\n".join(lines)


def _agrees(x, y):
    return x == y or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300) or (x != x and y != y)


def _num(x):
    """A number the way the lecture writes it: short (``-2``, ``0.5``, ``-1.5``, ``0.7071``)."""
    if not isinstance(x, float):
        return repr(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x)) if x or math.copysign(1.0, x) > 0 else "-0"
    return f"{x:.4g}" if not math.isfinite(x) or 1e-4 <= abs(x) < 1e6 else f"{x:.4e}"


def _name(v):
    label = getattr(v, "label", "")
    if isinstance(label, str) and label:
        return label
    op = getattr(v, "_op", "")
    return f"({op} node)" if op else "(unlabelled leaf)"


# ---- the steps -------------------------------------------------------------------------------

def backprop_steps(root: Root) -> BackpropSteps:
    """Backward's steps from ``root`` (seeded with 1), one per op node, in ``backward()``'s order.

    ``root``: a Value (gradviz's, micrograd's, a learner's own class), or a Graph holding its
    Values (``trace(root)``). Iterative; raises what a ``_backward`` closure raises, naming the
    node, and leaves every Value's data and grad as they were."""
    from .graph.snapshot import Graph
    if isinstance(root, Graph):
        if root.values is None or not len(root):
            raise TypeError(f"backprop_steps needs the graph's live Values; this {root.source!r} graph "
                            f"has none (loaded from JSON or PyTorch): pass the root Value instead")
        root = root.values[root.root]
    if isinstance(root, Value):
        with engine.PASS_LOCK:  # the pass marks nodes in their _g slot, as backward() does
            return _gradviz_steps(root)
    from .graph.foreign import is_value_like
    from .graph.trace import _not_a_graph
    if is_value_like(root):
        return _foreign_steps(root)
    raise TypeError(_not_a_graph("backprop_steps expected a root Value or a Graph of Values", root))


def _gradviz_steps(root):
    """The steps of a gradviz graph, accumulating in the nodes' pass-gradient slots ``_g`` exactly
    as ``Value.backward`` does (then clearing them: ``.grad`` is never touched). Written straight
    into ``BackpropSteps``' columns: the pass makes no object the garbage collector tracks."""
    order = root._ordered()
    root._g = 1.0
    steps = BackpropSteps()
    flat, mark = steps._flat, steps._ptr.append
    table = _PUSHES
    node = root
    one = 1.0
    n = 0  # len(flat)
    try:
        for node in reversed(order):
            a = node._a
            if a is None:
                continue
            g = node._g
            op = node._op
            if op == "+":  # the common ops inline: a function call a node is most of the cost
                b = node._b
                a._g += g
                b._g += g
                flat += (node, g, a, one, g, b, one, g)
                n += 8
            elif op == "*":
                b = node._b
                x, y = b.data, a.data
                ax, by = x * g, y * g
                a._g += ax
                b._g += by
                flat += (node, g, a, x, ax, b, y, by)
                n += 8
            elif type(a) is tuple and node._b is not None:
                steps._put(_closure_step(node, g))
                n = len(flat)
                continue
            else:
                fn = table.get(op)
                if fn is None:
                    fn = pushes_of(op)
                p = fn(node, g)
                flat += (node, g)
                flat += p
                n += 2 + len(p)
            mark(n)
    except Exception as e:
        raise _step_error(node, e) from e
    finally:
        for v in order:
            v._g = None
    return steps


def _closure_step(node, g):
    """A gradviz node's closure: what it adds for ``g`` (its amount) and for 1 (its local
    derivative), on scratch gradients; the pass-gradients get the amounts, as ``backward()`` adds
    them (see ``closures.closure_pushes``)."""
    kids, added = closure_pushes(node, g)
    unit = added if g == 1.0 else closure_pushes(node, 1.0)[1]
    for c, x in zip(kids, added):
        c._g += x
    return Step(node, g, tuple(zip(kids, unit, added)), _closure_note(node, kids, unit))


def _closure_note(node, kids, unit):
    """Where a closure's local derivatives differ from the chain rule of its op (a gradviz op, by
    name), e.g. the lecture's ``self.grad = ...`` in ``a + a``: the closure gives 1, the rule 2."""
    from .graph.foreign import FOREIGN_OPS
    op = getattr(node, "_op", "")
    if not isinstance(op, str):
        return ""
    op = FOREIGN_OPS.get(op, op)
    prev = list(node._prev)
    if len(prev) == 1 and op in ("+", "-", "*", "/", "**"):
        prev = prev * 2  # a set-valued _prev lists a + a once
    fn = _PUSHES.get(op) or (pushes_of(op) if split_op(op)[1] is not None else None)
    if fn is None or (_ARITY.get(op, len(prev)) != len(prev)):
        return ""
    try:
        ref = fn(_Scratch(node, prev), 1.0)
    except Exception:  # noqa: BLE001  the reference rule cannot say (e.g. a domain error): no note
        return ""
    want = {}
    for c, loc in zip(ref[0::3], ref[1::3]):
        want[id(c.v)] = want.get(id(c.v), 0.0) + loc
    bad = [(c, u, want.get(id(c), 0.0)) for c, u in zip(kids, unit)
           if not math.isclose(u, want.get(id(c), 0.0), rel_tol=1e-9, abs_tol=1e-12)]
    return "; ".join(f"its _backward gives d/d{_name(c)} = {_num(u)}, the chain rule for {op} gives {_num(w)}"
                     for c, u, w in bad)


_ARITY = {"+": 2, "-": 2, "*": 2, "/": 2, "**": 2}


class _Scratch:
    """A stand-in node for a reference rule: operands with ``data`` and a scratch ``_g``."""

    __slots__ = ("data", "_op", "_a", "_b", "v", "_g")

    def __init__(self, node, prev=None):
        self.data, self._op, self.v, self._g = float(node.data), getattr(node, "_op", ""), node, 0.0
        if prev is not None:
            kids = [_Scratch(c) for c in prev]
            self._a, self._b = (kids + [None])[:2] if len(kids) <= 2 else (tuple(kids), None)


def _foreign_steps(root):
    """The steps of Values of another class, as their own ``backward()`` takes them: the order of
    micrograd's recursive ``build_topo`` (children in ``_prev`` order, post-order), each node's
    closure run on scratch gradients that accumulate as the ``.grad`` of their pass would (from 0),
    so a closure that sets a gradient instead of adding to it shows, and is noted, where it does."""
    order, seen, stack = [], {id(root)}, [(root, iter(root._prev))]
    while stack:
        v, it = stack[-1]
        for c in it:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append((c, iter(c._prev)))
                break
        else:
            stack.pop()
            order.append(v)
    grads = {id(v): 0.0 for v in order}
    grads[id(root)] = 1.0
    steps = BackpropSteps()
    node = root
    try:
        for node in reversed(order):
            if node._prev and getattr(node, "_backward", None) is not None:
                steps._put(_foreign_step(node, grads))
    except Exception as e:
        raise _step_error(node, e) from e
    return steps


def _foreign_step(node, grads):
    """One node of another class: what its closure adds for its gradient from zero, for 1 (its
    local derivative), and on the gradients accumulated so far (what its ``backward()`` does)."""
    g = grads[id(node)]
    kids, added = closure_pushes(node, g)
    unit = added if g == 1.0 else closure_pushes(node, 1.0)[1]
    now = _run_on(node, g, kids, [grads[id(c)] for c in kids])
    pushes, overwrote = [], []
    for c, loc, x, new in zip(kids, unit, added, now):
        old = grads[id(c)]
        if not (old + x == new or (new != new and old + x != old + x)):  # it set, not added
            overwrote.append(f"its _backward set {_name(c)}.grad to {_num(new)} instead of adding "
                             f"{_num(x)} to {_num(old)}")
            x = new - old
        grads[id(c)] = new
        pushes.append((c, loc, x))
    note = "; ".join(filter(None, [_closure_note(node, kids, unit), *overwrote]))
    return Step(node, g, tuple(pushes), note)


def _run_on(out, g, kids, start):
    """The children's ``.grad`` after ``out``'s closure runs with ``out.grad = g`` and theirs at
    ``start``; every ``.grad`` is left as it was, even if the closure raises."""
    saved = [c.grad for c in kids]
    total = out.grad
    try:
        for c, x in zip(kids, start):
            c.grad = x
        out.grad = g
        out._backward()
        return [c.grad for c in kids]
    finally:
        for c, x in zip(kids, saved):
            c.grad = x
        out.grad = total


def _step_error(node, e):
    what = f"node {_name(node)} (op {getattr(node, '_op', '')!r})"
    try:
        return type(e)(f"backprop_steps failed at {what}: {e}; no Value was changed")
    except Exception:  # noqa: BLE001  an exception type that does not take one message
        return e


def replay_steps(steps: Sequence[Step], root: Any = None) -> dict[int, float]:
    """``{id(node): gradient}`` from adding up the steps' amounts (the root, or the first step's
    node, seeded with 1): what ``backward()`` adds to each ``.grad``. ``steps``: what
    ``backprop_steps`` returns, or any sequence of its steps."""
    if root is None and not len(steps):
        return {}
    top = root if root is not None else steps[0].node
    grads = {id(top): 1.0}
    get = grads.get
    for _node, p in _rows(steps):
        for c, x in zip(p[0::3], p[2::3]):  # each push's child and amount
            k = id(c)
            grads[k] = get(k, 0.0) + x
    return grads


# ---- rules as the lecture writes them ------------------------------------------------------------

_RULE_TEXT = {"+": ("1", "1"), "-": ("1", "-1"), "*": ("{b}", "{a}"), "/": ("1/{b}", "-{out}/{b}"),
              "neg": ("-1",), "exp": ("{out}",), "log": ("1/{a}",), "tanh": ("1 - {out}²",),
              "relu": ("1 if {a} > 0 else 0",), "sigmoid": ("{out}·(1 - {out})",),
              "**k": ("{k}·{a}^{km1}",), "**": ("{b}·{a}^({b} - 1)", "{out}·ln {a}")}


def rule_texts(step: Step, name=_name) -> tuple[str, ...]:
    """The local derivative of each push of ``step`` as a formula over the node names, as the
    lecture says it: ``L = d * f`` gives ``("f", "d")``; ``o = tanh(n)`` gives ``("1 - o²",)``;
    a closure's is ``"its _backward"``. ``name(v)`` names a node."""
    v = step.node
    if not isinstance(v, Value) or v._backward is not None:
        return ("its _backward",) * len(step.pushes)
    op, k = split_op(v._op)
    if k is not None:
        op = "**k"
    texts = _RULE_TEXT.get(op)
    if texts is None:
        custom = CUSTOM.get(v._op) if isinstance(v._op, str) else None
        return (f"{v._op}'s derivative" if custom is not None else "none",) * len(step.pushes)
    kids = v._prev
    subs = {"out": name(v), "a": name(kids[0]), "b": name(kids[1]) if len(kids) > 1 else "",
            "k": _num(k) if k is not None else "", "km1": _num(k - 1.0) if k is not None else ""}
    return tuple(t.format(**subs) for t in texts)


# ---- paths ---------------------------------------------------------------------------------------

def chain_paths(root: Root, leaf: Any, steps: Sequence[Step] | None = None, limit: int = MAX_PATHS) -> ChainPaths:
    """Every path from ``root`` down to ``leaf`` (a Value of its graph), each with the local
    derivatives along it and their product; the products add up to the leaf's gradient. ``a + a``
    gives two paths through the ``+``. Raises ValueError past ``limit`` paths (their number grows
    exponentially with the depth of a diamond-shaped graph), before listing any."""
    if steps is None:
        steps = backprop_steps(root)
    with engine.gc_paused():  # many small lists and tuples, no cycles
        return _chain_paths(root, leaf, steps, limit)


def _chain_paths(root, leaf, steps, limit):
    from .graph.snapshot import Graph
    top = root.values[root.root] if isinstance(root, Graph) else root
    target = id(leaf)
    counts = _path_counts(steps, target)
    n = counts.get(id(top), 0)
    if n == 0:
        raise ValueError(f"{_name(leaf)} is not reached by the backward pass from {_name(top)}: "
                         f"pass a node of the root's graph that its gradient flows to")
    if n > limit:
        raise ValueError(f"{n} paths lead from {_name(top)} to {_name(leaf)}, more than the limit of "
                         f"{limit}: the count doubles with each diamond in the graph. Pick a node nearer "
                         f"the output, or pass limit=... to list them anyway")
    down = {id(v): [(c, loc) for c, loc in zip(p[0::3], p[1::3]) if id(c) in counts]
            for v, p in _rows(steps) if id(v) in counts}
    paths = []
    nodes, locs = [top], []  # the path being walked; one iterator over each node's children
    its = [iter(down.get(id(top), ()))] if id(top) != target else []
    if not its:
        paths.append(Path((top,), (), 1.0))
    while its:
        for c, loc in its[-1]:
            if not counts.get(id(c), 0):
                continue
            nodes.append(c)
            locs.append(loc)
            if id(c) == target:
                p = 1.0
                for x in locs:
                    p *= x
                paths.append(Path(tuple(nodes), tuple(locs), p))
                nodes.pop()
                locs.pop()
                continue
            its.append(iter(down.get(id(c), ())))
            break
        else:
            its.pop()
            nodes.pop()
            if locs:
                locs.pop()
    total = math.fsum(p.product for p in paths) if all(math.isfinite(p.product) for p in paths) \
        else sum(p.product for p in paths)
    grad = replay_steps(steps, top).get(target, 0.0)
    return ChainPaths(paths, leaf, total, grad)


def _path_counts(steps, target):
    """``{id(node): number of paths from it down to the target}`` for the nodes with any, in one
    pass over the steps from the last (children come before their parents that way)."""
    counts = {target: 1}
    get = counts.get
    for v, p in _rows(steps, reverse=True):
        k = id(v)
        if k == target:
            continue
        n = 0
        for c in p[0::3]:  # each push's child
            n += get(id(c), 0)
        if n:
            counts[k] = n
    return counts
