"""The scalar plan of ``Tape``: a graph replayed node by node on plain Python floats.

A deep or narrow graph (a long recurrence, an RNN unrolled in scalars, a ``sum()`` written as a
loop) has few nodes per level, so per-level numpy steps cost more in call overhead than they save.
Here the graph is a flat program instead: the nodes get slots, leaves first, then the op nodes in
id order (children before parents); each op node is one row ``(op, a, b)`` of operand slots. The
forward fills a list of floats row by row; the backward walks the rows in reverse, pushing each
node's gradient into its operands with the engine's rules, in the engine's order, so the results
are the engine's, bit for bit (same float operations, same order, same ``math`` functions).

The two loops are generated per graph from the op table (``gradviz.ops``: each op's forward
beside the gradient it pushes), testing only the ops the graph uses, the most frequent first:
a chain of ``*`` and ``+`` pays for two branches, not twelve.
"""
from __future__ import annotations

from collections import Counter

from .. import engine, ops


def _rule(op):
    """The (forward, backward) code of a table op (``gradviz.ops``) for the loops below. Names: d
    values and G gradients (lists by slot), a and b the operand slots (b is the exponent of a
    ``**k``); the forward sets ``r``, the node's value, after the op's domain checks; the backward
    has the node's value ``out`` and gradient ``g``."""
    subs = {"a": "d[a]", "b": "b" if op.exponent == "k" else "d[b]", "k": "b"}
    k = ops.code(op.exponent, **subs) if op.exponent else "None"
    fwd = [f"if {ops.code(e.when, **subs)}:\n    fail(standin, {e.key!r}, {e.who}, {subs[e.who]}, {k})"
           for e in op.errors]
    fwd.append(f"r = {ops.code(op.forward, **subs)}")
    bwd = [f"G[{slot}] += {ops.code(p, **subs)}" for slot, p in zip("ab", op.pushed)]
    return "\n".join(fwd), "\n".join(bwd)


def fail(standin, key, slot, x, k):
    """Raise the engine's domain error, naming the node of ``slot`` (``standin`` makes its Value)."""
    raise ops.domain_error(key, engine._name(standin(slot, x)), x, k)


RULES = {name: _rule(op) for name, op in ops.OPS.items()}  # op -> (forward, backward) code
OPS = tuple(RULES)
_HELPERS = {**ops.FLOAT_NAMES, "fail": fail}
# ops whose rules can raise; "**k" too, unless k is a whole k >= 0 (see ScalarProgram)
FALLIBLE = {name for name, op in ops.OPS.items() if op.errors} - {"**k"}


def _kernel(name, header, loop, ops, side, pre=(), post=()):
    """A function ``name(header)`` looping ``for loop in rows`` and running the ``side`` (0
    forward, 1 backward) rule of each op in ``ops``, with the ``pre`` and ``post`` lines."""
    lines = [f"def {name}({header}):", f"    for {loop} in rows:"]
    lines += ["        " + line for line in pre]
    for j, op in enumerate(ops):
        body = RULES[OPS[op]][side]
        if len(ops) == 1:
            lines.append("        " + body.replace("\n", "\n" + " " * 8))
            break
        test = "else:" if j == len(ops) - 1 else f"{'if' if j == 0 else 'elif'} op == {op}:"
        lines += ["        " + test, " " * 12 + body.replace("\n", "\n" + " " * 12)]
    if not ops:
        lines.append("        pass")
    lines += ["        " + line for line in post]
    space = dict(_HELPERS)
    exec("\n".join(lines), space)
    return space[name]


class ScalarProgram:
    """The program of one graph. ``nleaves`` leaf slots come first; ``ops``, ``a``, ``b`` give,
    for op slot ``nleaves + j``, the index of its op in ``OPS`` and its operand slots (``b``: the
    exponent of a ``**k``, -1 for other unary ops); ``values`` the op nodes' Values, or None.
    ``reach``: None, or per op row whether the root depends on it (the others send nothing
    back). ``standin(slot, x)`` names a node in errors.

    When no op of the graph can fail, ``run`` writes each Value's ``.data`` as the forward
    computes it and its ``.grad`` as soon as the backward has summed it (as ``backward()``
    does), saving a pass; otherwise it writes only after both passes succeeded."""

    __slots__ = ("n", "nleaves", "rows", "back", "standin", "infallible", "_kernels")

    def __init__(self, nleaves, ops, a, b, values, reach, standin):
        self.n = n = nleaves + len(ops)
        self.nleaves = nleaves
        self.rows = (ops, a, b, values if values is not None else [None] * len(ops))
        self.back = None  # rows of the nodes the root depends on, with their slots, if not all
        if reach is not None:
            keep = [j for j, r in enumerate(reach) if r]
            self.back = tuple([col[j] for j in keep] for col in (range(nleaves, n),) + self.rows)
        self.standin = standin
        by_use = [op for op, _ in Counter(ops).most_common()]
        powk = OPS.index("**k")
        self.infallible = (values is not None and reach is None and not FALLIBLE & {OPS[op] for op in by_use}
                           and all(k >= 0.0 and k.is_integer() for op, k in zip(ops, b) if op == powk))
        # forward: each row appends its node's value; backward: walks the values and gradients
        # from the end, where the op slots are (a node's gradient is complete when reached)
        fwd, bwd = "op, a, b, v", "g, out, op, a, b, v"
        self._kernels = [_kernel("forward", "push, d, rows, standin", fwd, by_use, 0, post=["push(r)"]),
                         _kernel("backward", "d, G, rows", bwd, by_use, 1)]
        if self.infallible:  # and the same, writing each Value's .data and .grad as they are known
            self._kernels += [_kernel("forward", "push, d, rows, standin", fwd, by_use, 0,
                                      post=["push(r)", "v.data = r"]),
                              _kernel("backward", "d, G, rows", bwd, by_use, 1, pre=["v.grad = g"])]
        if self.back is not None:
            self._kernels[1] = _kernel("backward", "d, G, rows", "i, op, a, b, v", by_use, 1,
                                       pre=["g = G[i]", "out = d[i]"])

    def forward(self, leaves, write=False):
        """Every slot's value (a list), from the leaves' values (a list, in leaf-slot order);
        with ``write`` (an infallible program only) also into the op nodes' Values."""
        d = list(leaves)
        self._kernels[2 if write else 0](d.append, d, zip(*self.rows), self.standin)
        return d

    def backward(self, d, root, write=False):
        """d root/d slot for every slot (a list), from the values ``d`` of ``forward``; with
        ``write`` (an infallible program only) also into the op nodes' Values."""
        G = [0.0] * self.n
        G[root] = 1.0
        if self.back is not None:
            rows = zip(*map(reversed, self.back))
        else:
            rows = zip(reversed(G), reversed(d), *map(reversed, self.rows))
        self._kernels[3 if write else 1](d, G, rows)
        return G
