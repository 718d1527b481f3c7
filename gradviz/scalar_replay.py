"""The scalar plan of ``Tape``: a graph replayed node by node on plain Python floats.

A deep or narrow graph (a long recurrence, an RNN unrolled in scalars, a ``sum()`` written as a
loop) has few nodes per level, so per-level numpy steps cost more in call overhead than they save.
Here the graph is a flat program instead: the nodes get slots, leaves first, then the op nodes in
id order (children before parents); each op node is one row ``(op, a, b)`` of operand slots. The
forward fills a list of floats row by row; the backward walks the rows in reverse, pushing each
node's gradient into its operands with the engine's rules, in the engine's order, so the results
are the engine's, bit for bit (same float operations, same order, same ``math`` functions).

The two loops are generated per graph from the table below (each op's forward beside its local
derivative, as in ``engine.py``), testing only the ops the graph uses, the most frequent first:
a chain of ``*`` and ``+`` pays for two branches, not twelve.
"""
from __future__ import annotations

import math
from collections import Counter

from . import engine

# op -> (forward, backward). Names: d values, G gradients, i the node's slot, a and b its operand
# slots (b is the exponent of a ``**k``), g = G[i] in the backward; ``standin(slot, x)`` makes a
# Value that names the node in the engine's error, ``power`` is the engine's ``**``.
RULES = {
    "+": ("d[i] = d[a] + d[b]",
          "G[a] += g\nG[b] += g"),
    "*": ("d[i] = d[a] * d[b]",
          "G[a] += d[b] * g\nG[b] += d[a] * g"),
    "-": ("d[i] = d[a] - d[b]",
          "G[a] += g\nG[b] -= g"),
    "tanh": ("d[i] = tanh(d[a])",
             "y = d[i]\nG[a] += (1.0 - y * y) * g"),
    "relu": ("x = d[a]\nd[i] = x if x > 0.0 else 0.0",
             "if d[a] > 0.0:\n    G[a] += g"),
    "neg": ("d[i] = -d[a]",
            "G[a] -= g"),
    "/": ("y = d[b]\nif y == 0.0:\n    standin(a, d[a]) / standin(b, y)\nd[i] = d[a] / y",
          "y = d[b]\nG[a] += g / y\nG[b] -= g * d[i] / y"),
    "exp": ("try:\n    d[i] = exp(d[a])\nexcept OverflowError:\n    standin(a, d[a]).exp()",
            "G[a] += d[i] * g"),
    "log": ("x = d[a]\nif not x > 0.0:\n    standin(a, x).log()\nd[i] = log(x)",
            "G[a] += g / d[a]"),
    "sigmoid": ("x = d[a]\nif x >= 0.0:\n    d[i] = 1.0 / (1.0 + exp(-x))\n"
                "else:\n    e = exp(x)\n    d[i] = e / (1.0 + e)",
                "y = d[i]\nG[a] += y * (1.0 - y) * g"),
    "**k": ("d[i] = power(d[a], b, a, standin)",
            "G[a] += 0.0 if b == 0.0 else dpow(d[a], b) * g"),
    "**": ("d[i] = power(d[a], d[b], a, standin)",
           "x = d[a]\nk = d[b]\nG[a] += 0.0 if k == 0.0 else dpow(x, k) * g\n"
           "G[b] += pow_log(x, d[i]) * g"),
}
OPS = tuple(RULES)


def power(x, k, a, standin):
    """The engine's ``x ** k``: only a positive base takes the fast path (it can only overflow)."""
    if x > 0.0:
        try:
            return float(x ** k)
        except OverflowError:
            pass
    return engine._power(standin(a, x), k)  # the engine's value, or its error naming the node


_HELPERS = {"tanh": math.tanh, "exp": math.exp, "log": math.log, "power": power,
            "dpow": engine._dpow, "pow_log": engine._pow_log}


FALLIBLE = {"/", "exp", "log", "**k", "**"}  # ops whose rules can raise (the others cannot)


def _kernel(name, header, ops, side, pre=(), post=()):
    """A loop over the rows running the ``side`` (0 forward, 1 backward) rule of each op, with
    the ``pre`` and ``post`` lines around it."""
    lines = [f"def {name}({header}):", "    for i, op, a, b, v in rows:"]
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
        self.rows = (range(nleaves, n), ops, a, b, values if values is not None else [None] * len(ops))
        if reach is None:
            self.back = self.rows
        else:
            keep = [j for j, r in enumerate(reach) if r]
            self.back = tuple([col[j] for j in keep] for col in self.rows)
        self.standin = standin
        by_use = [op for op, _ in Counter(ops).most_common()]
        self.infallible = values is not None and reach is None and not FALLIBLE & {OPS[op] for op in by_use}
        self._kernels = (_kernel("forward", "d, rows, standin", by_use, 0),
                         _kernel("backward", "d, G, rows", by_use, 1, pre=["g = G[i]"]))
        if self.infallible:
            self._kernels += (_kernel("forward", "d, rows, standin", by_use, 0, post=["v.data = d[i]"]),
                              _kernel("backward", "d, G, rows", by_use, 1, pre=["g = G[i]", "v.grad = g"]))

    def forward(self, leaves, write=False):
        """Every slot's value (a list), from the leaves' values (a list, in leaf-slot order);
        with ``write`` (an infallible program only) also into the op nodes' Values."""
        d = leaves + [0.0] * (self.n - self.nleaves)
        self._kernels[2 if write else 0](d, zip(*self.rows), self.standin)
        return d

    def backward(self, d, root, write=False):
        """d root/d slot for every slot (a list), from the values ``d`` of ``forward``; with
        ``write`` (an infallible program only) also into the op nodes' Values."""
        G = [0.0] * self.n
        G[root] = 1.0
        self._kernels[3 if write else 1](d, G, zip(*map(reversed, self.back)))
        return G
