"""``first_nonfinite(x)``: where a NaN or an inf first appeared in a graph.

Forward first: the first node in forward (topological, id) order whose value is NaN or inf; its
operands were all finite, so its op made it (``Value(1e308) * 10`` is ``inf``: the ``*`` did).
If every value is finite, backward: the first node in backward order (the reverse) whose gradient
is NaN or inf; the gradients of the ops that use it were finite, so one of their local
derivatives was not (``x ** -1`` at ``x = 1e-300``). All by array scans: no recursion, any depth.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..names import node_name
from .numbers import Numbers, graph_of
from .tables import html_table, num

if TYPE_CHECKING:
    from .._types import Root
    from ..graph import Graph

__all__ = ["first_nonfinite", "NonFinite", "Operand"]


class Operand(NamedTuple):
    """A node next to the culprit: id, name (as messages name nodes), op, value, grad."""

    id: int
    name: str
    op: str
    value: float
    grad: float


class NonFinite:
    """The first node where a NaN or inf appeared.

    ``node`` (its id), ``name``, ``op``, ``phase`` ("forward": its value; "backward": its gradient),
    ``value``/``grad``, ``operands`` (forward: its operands, all finite unless it is a leaf) and
    ``users`` (backward: the ops that pushed its gradient), ``message``. ``value_object`` is the
    traced Value (None for a Graph without Values). ``GraphWidget.select(r.node)`` shows it.
    """

    def __init__(self, graph: Graph, node: int, phase: str, operands: list[Operand],
                 users: list[Operand], value: float, grad: float) -> None:
        self.graph = graph
        self.node = node
        self.phase = phase
        self.name = node_name(graph, node)
        self.op = graph.ops[node]
        self.value = value
        self.grad = grad
        self.operands = operands
        self.users = users
        self.message = self._message()

    @property
    def value_object(self) -> Any:
        return self.graph.values[self.node] if self.graph.values is not None else None

    def _message(self):
        if self.phase == "forward":
            if not self.operands:
                return f"{self.name} is a leaf whose value is {num(self.value)} from the start"
            args = ", ".join(f"{o.name} = {num(o.value, 17)}" for o in self.operands)
            return (f"{self.name} ({self.op}) is the first value to become {num(self.value)} in forward "
                    f"order: its operands are {args}")
        users = ", ".join(f"{u.name} ({u.op}, value {num(u.value)}, grad {num(u.grad)})" for u in self.users)
        return (f"every value is finite; {self.name} is the first gradient to become {num(self.grad)} in "
                f"backward order, pushed by {users or 'nothing'}: a local derivative there is not finite")

    def __str__(self):
        return f"first_nonfinite: {self.message}"

    def __repr__(self):
        return f"<NonFinite {self.phase} at node {self.node}: {self.name}>"

    def _rows(self):
        who = self.operands if self.phase == "forward" else self.users
        role = "operand" if self.phase == "forward" else "used by"
        return [[role, str(o.id), o.name, o.op, num(o.value, 17), num(o.grad, 17)] for o in who]

    def _repr_html_(self):
        import html
        head = ["", "id", "node", "op", "value", "grad"]
        rows = [["culprit", str(self.node), self.name, self.op, num(self.value, 17), num(self.grad, 17)]]
        return (f'<div class="gradviz-nonfinite"><p><b>first_nonfinite</b>: {html.escape(self.message)}</p>'
                + html_table(f"{self.phase}: node {self.node}", head, rows + self._rows(),
                             numeric=[False, True, False, False, True, True]) + "</div>")


def _operand(g, nums, i):
    return Operand(i, node_name(g, i), g.ops[i], float(nums.v_mean[i]), float(nums.g_mean[i]))


def first_nonfinite(x: Root) -> NonFinite | None:
    """The first op whose value became NaN or inf (forward order), with its operands' values; if
    every value is finite, the first node whose gradient did (backward order), with the ops that
    pushed it. None when everything is finite. ``x``: what ``health`` takes. Reads only."""
    g = graph_of(x, "first_nonfinite")
    nums = Numbers(g)
    bad = np.flatnonzero(nums.v_bad)
    ptr, ids = g.child_ptr, g.child_ids
    if len(bad):
        i = int(bad[0])
        kids = ids[ptr[i]:ptr[i + 1]].tolist()
        return NonFinite(g, i, "forward", [_operand(g, nums, c) for c in kids], [],
                         float(nums.v_mean[i]), float(nums.g_mean[i]))
    bad = np.flatnonzero(nums.g_bad)
    if not len(bad):
        return None
    i = int(bad[-1])
    parent = np.repeat(np.arange(len(g)), np.diff(ptr))
    users = sorted(set(parent[ids == i].tolist()))
    return NonFinite(g, i, "backward", [], [_operand(g, nums, u) for u in users],
                     float(nums.v_mean[i]), float(nums.g_mean[i]))
