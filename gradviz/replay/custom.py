"""The plan of ``Tape`` for graphs with ops of your own: node by node, on Python floats.

A graph holding an op registered with ``gradviz.register_op`` (any number of operands), or a
lecture-style node with a ``_backward`` closure whose op has a registered forward, runs here:
built-in ops with the op table's float formulas (``gradviz.ops``), registered ops with their
``forward`` and ``derivatives``; a registered op without ``derivatives`` backpropagates with the
node's closure, run as ``backward()`` runs it (see ``closures.closure_pushes``: it adds exactly this
pass's gradient) while the Values hold the replayed values. A closure that kept a number from when
it was built (the lecture's ``t`` in ``tanh``) gives the gradient at that number: register
``derivatives`` for such an op. The order of the nodes and of
the additions is the engine's, so results are the engine's. It has the scalar plan's interface
(``scalar_replay.ScalarProgram``): slots are the leaves, then the op nodes, in id order.

Values of another class (micrograd's, a learner's own) that carry ``_backward`` closures are
replayed with ``own=True``: the forward of each op comes from the op table, and the backward is
one pass of *their* closures, run in place as their own ``backward()`` runs them (every grad 0,
the root's 1, each closure once in reverse topological order), so a closure that sets
(``self.grad = ...``) instead of adding is replayed with its bug. A closure that kept its output's
value as a number (the lecture's ``t`` in ``tanh``) sees the replayed one while it runs.
"""
from __future__ import annotations

from .. import engine, ops
from ..closures import closure_pushes

_TABLE, _DERIVATIVES, _CLOSURE, _NONE = range(4)


class GenericProgram:
    """The program of one graph ``g``; ``slot[id]`` is each node's slot, ``ids`` the op nodes in
    id order, ``reach`` None or per op node whether the root depends on it, ``name_of(id)`` how
    errors name node ``id``."""

    infallible = False  # Values are written only after both passes succeeded

    def __init__(self, g, slot, ids, reach, name_of, own=False, closures=True):
        ptr, kid = g.child_ptr.tolist(), g.child_ids.tolist()
        values = g.values
        self.own = own
        self.n = len(slot)
        self.nleaves = self.n - len(ids)
        self.name_of = name_of
        self.steps = []
        self._by_value = None  # id(Value) -> slot, for the children a closure adds into
        self.values = values
        for j, i in enumerate(ids):
            kids = kid[ptr[i]:ptr[i + 1]]
            op = g.ops[i]
            entry, k = ops.lookup(op)
            closure = _closure(values[i]) if values is not None and closures and not own else None
            custom = ops.CUSTOM.get(op) if isinstance(op, str) else None
            if entry is not None and entry.arity == len(kids) and closure is None:
                how, fn = _TABLE, ops.scalar(entry.name)
            elif entry is not None or custom is not None:
                fn = custom or ops.scalar(entry.name)
                if custom is not None and custom.derivatives is not None:
                    how = _DERIVATIVES  # right at any values, where a closure may have kept old ones
                elif closure is not None:
                    how = _CLOSURE
                else:
                    how = _NONE  # passes no gradient, as in backward()
            else:
                raise ValueError(f"Tape cannot replay node {i} ({name_of(i)}): op {op!r} is not a gradviz "
                                 f"op and has no registered forward; register one with "
                                 f"gradviz.register_op({op!r}, forward, derivatives)")
            self.steps.append((how, fn, k, [int(slot[c]) for c in kids], kids, i, int(slot[i]),
                               True if reach is None else bool(reach[j])))
        self.rows = (None, None, None, [values[i] for i in ids] if values is not None else [None] * len(ids))
        self._kept = _kept_outputs(values, ids, g.ops) if own else {}

    def forward(self, leaves, write=False):
        """Every slot's value (a list), from the leaves' values in leaf-slot order."""
        d = list(leaves) + [0.0] * (self.n - len(leaves))
        for how, fn, k, kids, kid_ids, i, s, _ in self.steps:
            if how == _TABLE or not isinstance(fn, ops.Custom):
                a = d[kids[0]]
                b = d[kids[1]] if len(kids) > 1 else None
                if fn.errors:
                    err = ops.first_error(fn.op.name, a, b, k,
                                          lambda who: self.name_of(kid_ids[0 if who == "a" else 1]))
                    if err is not None:
                        raise err
                d[s] = fn.forward(a, b, k, None, None)
            else:
                d[s] = _call(fn.forward, [d[c] for c in kids], f"the forward of op {fn.name!r} at node "
                             f"{i} ({self.name_of(i)})")
        return d

    def backward(self, d, root, write=False):
        """d root/d slot for every slot (a list), from the values ``d`` of ``forward``. A closure
        reads the Values, so they hold the replayed values while it runs (and get theirs back)."""
        if self.own:
            return self._own_pass(d, root, write)
        G = [0.0] * self.n
        G[root] = 1.0
        closures = any(st[0] == _CLOSURE and st[7] for st in self.steps)
        saved = None
        if closures:
            values = self.values
            saved = [v.data for v in values]
            order = self._slots_of_values()
            for v, s in zip(values, order):
                v.data = d[s]
        try:
            for how, fn, k, kids, _, i, s, reached in reversed(self.steps):
                if not reached:
                    continue
                g = G[s]
                if how == _TABLE:
                    a = d[kids[0]]
                    b = d[kids[1]] if len(kids) > 1 else None
                    out = d[s]
                    for c, p in zip(kids, fn.pushed):
                        G[c] += p(a, b, k, out, g)
                elif how == _DERIVATIVES:
                    local = _call(fn.derivatives, [d[c] for c in kids] + [d[s]], many=True, what=
                                  f"the derivatives of op {fn.name!r} at node {i} ({self.name_of(i)})")
                    for c, x in zip(kids, local):
                        G[c] += x * g
                elif how == _CLOSURE:
                    by_value = self._value_slots()
                    for c, x in zip(*closure_pushes(self.values[i], g)):
                        G[by_value[id(c)]] += x
        finally:
            if saved is not None:
                for v, x in zip(self.values, saved):
                    v.data = x
        return G

    def _own_pass(self, d, root, write):
        """One pass of the Values' own closures, in place (see the module's docstring); returns
        every slot's grad and leaves each Value's data, grad and kept numbers as they were (with
        ``write``, the kept numbers stay the replayed ones, as the Values will hold)."""
        values = self.values
        order = self._slots_of_values()
        saved = [(v.data, getattr(v, "grad", 0.0)) for v in values]
        kept = {i: [c.cell_contents for c in cells] for i, cells in self._kept.items()}
        by_id = {st[5]: st[6] for st in self.steps}
        done = False
        try:
            for v, s in zip(values, order):
                v.data = d[s]
                v.grad = 0.0
            for i, cells in self._kept.items():
                for c in cells:
                    c.cell_contents = d[by_id[i]]
            values[-1].grad = 1.0
            for st in reversed(self.steps):
                if st[7]:
                    i = st[5]
                    try:
                        values[i]._backward()
                    except Exception as e:
                        raise _where(e, f"the _backward of node {i} ({self.name_of(i)})") from e
            G = [0.0] * self.n
            for j, (v, s) in enumerate(zip(values, order)):
                G[s] = _float(v.grad, lambda j=j: f"the .grad the closures left in node {j} ({self.name_of(j)})")
            done = True
        finally:
            for v, (x, gx) in zip(values, saved):
                v.data = x
                v.grad = gx
            if not (write and done):
                for i, cells in self._kept.items():
                    for c, x in zip(cells, kept[i]):
                        c.cell_contents = x
        return G

    def _slots_of_values(self):
        """Each Value's slot, in id order."""
        by_value = self._value_slots()
        return [by_value[id(v)] for v in self.values]

    def _value_slots(self):
        if self._by_value is None:
            computed = {st[5] for st in self.steps}
            leaf_ids = [i for i in range(len(self.values)) if i not in computed]
            self._by_value = {id(self.values[i]): s for s, i in enumerate(leaf_ids)}
            self._by_value.update({id(self.values[st[5]]): st[6] for st in self.steps})
        return self._by_value


def _closure(v):
    """A lecture-style ``_backward`` closure of node ``v``, or None (gradviz's Values keep None
    when there is none; micrograd's keep a no-op, which is never used for a known op)."""
    if isinstance(v, engine.Value):
        return v._backward
    return getattr(v, "_backward", None)


def _kept_outputs(values, ids, op_names):
    """Per op node of a one-operand table op (not a power): the closure cells holding a float
    equal to the node's own data, i.e. its output kept as a number (the lecture's ``t``)."""
    kept = {}
    for i in ids:
        entry, k = ops.lookup(op_names[i])
        f = getattr(values[i], "_backward", None)
        if entry is None or entry.arity != 1 or k is not None or not getattr(f, "__closure__", None):
            continue
        x = values[i].data
        cells = []
        for c in f.__closure__:
            try:
                y = c.cell_contents
            except ValueError:  # an empty cell
                continue
            if type(y) is float and y == x:
                cells.append(c)
        if cells:
            kept[i] = cells
    return kept


def _float(x, where):
    try:
        return float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{where()} is {x!r:.60}, which is not a number") from None


def _where(e, what):
    try:
        return type(e)(f"{what} failed: {e}")
    except Exception:
        return e


def _call(f, args, what, many=False):
    """``f(*args)`` as a float (a list of one float per operand if ``many``), or its error, saying
    where; a result that is no real number, or the wrong count of derivatives, is an error too."""
    try:
        out = f(*args)
        return ops.real_derivatives(out, len(args) - 1, "it") if many else ops.real_result(out, "it")
    except Exception as e:
        try:
            err = type(e)(f"{what} failed: {e}")
        except Exception:
            raise e from None
        raise err from e
