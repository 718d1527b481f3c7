"""The scalar half of ``Tape``: a graph replayed node by node on plain Python floats.

A deep or narrow graph (a long recurrence, an RNN unrolled in scalars, a ``sum()`` written as a
loop) has few nodes per level, so per-level numpy steps cost more in call overhead than they save.
Here the graph is a flat program instead: one ``(op, node, a, b)`` row per op node in id order
(children first), run forward into a list of floats and backward in reverse, pushing each node's
gradient into its operands with the engine's own rules, in the engine's order. There is no object
creation and no dispatch through a dict per node, so a pass costs a fraction of ``backward()``;
the results are the engine's, bit for bit (same float operations, same order, same ``math``
functions).
"""
from __future__ import annotations

import math

from . import engine

# opcodes, the common ones first: the run loops test them in this order
ADD, MUL, SUB, TANH, RELU, NEG, DIV, EXP, LOG, SIGMOID, POWK, POW = range(12)
OPCODE = {"+": ADD, "*": MUL, "-": SUB, "tanh": TANH, "relu": RELU, "neg": NEG, "/": DIV,
          "exp": EXP, "log": LOG, "sigmoid": SIGMOID, "**k": POWK, "**": POW}

_exp, _log, _tanh = math.exp, math.log, math.tanh
_dpow, _pow_log = engine._dpow, engine._pow_log


class ScalarProgram:
    """Four parallel lists with one entry per op node, in id order: ``ops`` (opcodes), ``nodes``,
    ``a`` and ``b`` (operand ids; ``b`` is the exponent of a ``**k``, -1 for other unary ops).
    ``reach``: None, or whether the root depends on each node (the others send nothing back).
    ``standin(i, x)`` makes a Value that names node ``i`` in the engine's errors."""

    __slots__ = ("n", "rows", "back", "standin")

    def __init__(self, n, ops, nodes, a, b, reach, standin):
        self.n = n
        self.rows = (ops, nodes, a, b)
        if reach is None:
            self.back = None
        else:
            keep = [j for j, i in enumerate(nodes) if reach[i]]
            self.back = tuple([col[j] for j in keep] for col in self.rows)
        self.standin = standin

    def forward(self, d):
        """Fill ``d`` (a list of n floats, the leaves set) with every op node's value."""
        for op, i, a, b in zip(*self.rows):
            if op == MUL:
                d[i] = d[a] * d[b]
            elif op == ADD:
                d[i] = d[a] + d[b]
            elif op == SUB:
                d[i] = d[a] - d[b]
            elif op == TANH:
                d[i] = _tanh(d[a])
            elif op == RELU:
                x = d[a]
                d[i] = x if x > 0.0 else 0.0
            elif op == NEG:
                d[i] = -d[a]
            elif op == DIV:
                y = d[b]
                if y == 0.0:
                    self.standin(a, d[a]) / self.standin(b, y)  # raises the engine's error
                d[i] = d[a] / y
            elif op == EXP:
                try:
                    d[i] = _exp(d[a])
                except OverflowError:
                    self.standin(a, d[a]).exp()
            elif op == LOG:
                x = d[a]
                if not x > 0.0:
                    self.standin(a, x).log()
                d[i] = _log(x)
            elif op == SIGMOID:
                x = d[a]
                if x >= 0.0:
                    d[i] = 1.0 / (1.0 + _exp(-x))
                else:
                    e = _exp(x)
                    d[i] = e / (1.0 + e)
            else:  # POWK (b is the exponent) or POW (b is a node)
                x, k = d[a], (b if op == POWK else d[b])
                if x > 0.0:  # only an overflow can go wrong: the engine raises it, naming the node
                    try:
                        d[i] = float(x ** k)
                        continue
                    except OverflowError:
                        pass
                d[i] = engine._power(self.standin(a, x), k)
        return d

    def backward(self, d, root):
        """d root/d node for every node (a list), from the values ``d`` of ``forward``."""
        G = [0.0] * self.n
        G[root] = 1.0
        for op, i, a, b in zip(*map(reversed, self.back or self.rows)):
            g = G[i]
            if op == MUL:
                G[a] += d[b] * g
                G[b] += d[a] * g
            elif op == ADD:
                G[a] += g
                G[b] += g
            elif op == SUB:
                G[a] += g
                G[b] -= g
            elif op == TANH:
                y = d[i]
                G[a] += (1.0 - y * y) * g
            elif op == RELU:
                if d[a] > 0.0:
                    G[a] += g
            elif op == NEG:
                G[a] -= g
            elif op == DIV:
                y = d[b]
                G[a] += g / y
                G[b] -= g * d[i] / y
            elif op == EXP:
                G[a] += d[i] * g
            elif op == LOG:
                G[a] += g / d[a]
            elif op == SIGMOID:
                y = d[i]
                G[a] += y * (1.0 - y) * g
            elif op == POWK:
                G[a] += 0.0 if b == 0.0 else _dpow(d[a], b) * g
            else:
                x, k = d[a], d[b]
                G[a] += 0.0 if k == 0.0 else _dpow(x, k) * g
                G[b] += _pow_log(x, d[i]) * g
        return G
