"""The widget's Backprop mode, Python side: backward's steps as columns for the page, and
``GraphWidget``'s ``backprop(k)`` and ``paths(leaf)`` (``BackpropView``, a mixin of it).

``GraphWidget`` sends ``backprop_steps`` of its Values as the ``_steps`` trait, so the page (and a
standalone page, with no kernel) walks them by itself. Columns, one entry per step or per push:

- ``node`` (int32): the node id of each step, in ``backward()``'s order; ``grad`` (float64): its
  gradient when reached; ``closure`` (uint8): 1 where the node's own ``_backward`` gave the pushes;
- ``ptr`` (int32, steps + 1): step s pushes ``ptr[s]:ptr[s + 1]``; per push ``child`` (int32),
  ``slot`` (int32: the operand slot, the first one of that child for a closure), ``local`` and
  ``amount`` (float64);
- ``notes``: ``[[step, text], ...]`` where a closure disagrees with its op's chain rule;
- ``templates``: each op's local derivatives as formulas (``{a}``, ``{b}``, ``{out}``, ``{k}``,
  ``{km1}`` stand for the names), which the page fills with its node names;
- ``data`` (float64): every node's data the steps were computed at (the page shows these in the
  mode, so the picture and the steps always agree).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..backprop import _RULE_TEXT, BackpropSteps, backprop_steps
from ..engine import Value
from . import wire

if TYPE_CHECKING:
    from ..graph.types import Leaf

__all__ = ["encode_steps", "steps_of", "eager", "decode_steps", "grads_after", "BackpropView", "EAGER_STEPS"]

EAGER_STEPS = 2000  # nodes: graphs up to this size send their steps with every picture


def eager(g):
    """Whether the steps of Graph ``g`` go with every picture (small graphs of live Values)."""
    return g.values is not None and g.source != "torch" and len(g) <= EAGER_STEPS


def steps_of(g):
    """``_steps`` for Graph ``g`` (its live Values, as they are now), or ``{"error": why}``."""
    if g.values is None or g.source == "torch":
        return {"error": "Backprop needs the graph's Values: this graph comes from PyTorch or JSON; "
                         "build the widget from a root Value"}
    try:
        steps = backprop_steps(g.values[g.root])
    except Exception as e:  # noqa: BLE001  shown in the page (a learner's closure may raise)
        return {"error": f"Backprop: {type(e).__name__}: {e}"}
    return encode_steps(g, steps)


def encode_steps(g, steps):
    """The ``_steps`` columns of ``steps`` (``backprop_steps`` of ``g``'s root, or any sequence of
    its steps) over ``g``'s ids, read straight from ``BackpropSteps``' flat columns (no ``Step`` is
    made): a 66k-node graph in well under 0.1 s of Python."""
    if not isinstance(steps, BackpropSteps):
        steps = BackpropSteps(steps)
    flat, notes = steps._flat, steps._notes
    look = {id(v): i for i, v in enumerate(g.values)}.__getitem__
    at = flat.__getitem__
    m = len(steps)
    ptr = np.asarray(steps._ptr, np.int64)
    heads = ptr[:-1]
    counts = (ptr[1:] - heads - 2) // 3
    is_push = np.ones(len(flat), bool)
    is_push[heads] = False
    is_push[heads + 1] = False
    pos = np.flatnonzero(is_push)  # child, local, amount, child, ...
    n_push = len(pos) // 3
    nodes = list(map(at, heads.tolist()))
    node = np.fromiter(map(look, map(id, nodes)), np.int64, count=m)
    grad = np.fromiter(map(at, (heads + 1).tolist()), np.float64, count=m)
    child = np.fromiter(map(look, map(id, map(at, pos[0::3].tolist()))), np.int64, count=n_push)
    local = np.fromiter(map(at, pos[1::3].tolist()), np.float64, count=n_push)
    amount = np.fromiter(map(at, pos[2::3].tolist()), np.float64, count=n_push)
    push_ptr = np.zeros(m + 1, np.int64)
    np.cumsum(counts, out=push_ptr[1:])
    slot = np.arange(n_push, dtype=np.int64) - np.repeat(push_ptr[:-1], counts)  # a built-in op: operand order
    closure = np.zeros(m, np.uint8)
    cptr, cidx = g.child_ptr, g.child_ids
    for s, v in enumerate(nodes):
        # a closure (``_backward`` is set: the engine keeps it in ``_b`` with a tuple ``_a``): one
        # push per distinct child
        if not isinstance(v, Value) or (type(v._a) is tuple and v._b is not None):
            closure[s] = 1
            lo, hi = push_ptr[s], push_ptr[s + 1]
            kids = cidx[cptr[node[s]]:cptr[node[s] + 1]].tolist()
            slot[lo:hi] = [kids.index(k) for k in child[lo:hi].tolist()]
    return {
        "version": 1, "k": m, "node": wire.i32(node), "grad": wire.floats(grad), "closure": closure.tobytes(),
        "ptr": wire.i32(push_ptr), "child": wire.i32(child), "slot": wire.i32(slot), "local": wire.floats(local),
        "amount": wire.floats(amount), "notes": [[s, notes[s]] for s in sorted(notes)],
        "templates": {op: list(t) for op, t in _RULE_TEXT.items()},
        "data": wire.floats(np.fromiter((float(v.data) for v in g.values), np.float64, count=len(g))),
    }


def decode_steps(d):
    """``encode_steps``' columns as plain lists (tests, ``GraphWidget.backprop``)."""
    f = lambda key, dt: np.frombuffer(d[key], dtype=dt).tolist()  # noqa: E731
    return {"k": d["k"], "node": f("node", "<i4"), "grad": f("grad", "<f8"), "closure": f("closure", "u1"),
            "ptr": f("ptr", "<i4"), "child": f("child", "<i4"), "slot": f("slot", "<i4"),
            "local": f("local", "<f8"), "amount": f("amount", "<f8"), "notes": d["notes"],
            "data": f("data", "<f8")}


def grads_after(d, n, k):
    """Each node's gradient after the first ``k`` steps of decoded steps ``d`` (None where the
    pass has not reached it yet): what the page shows at step ``k``."""
    out = [None] * n
    out[n - 1] = 1.0  # the root (a widget's last node), seeded with 1
    for s in range(k):
        for p in range(d["ptr"][s], d["ptr"][s + 1]):
            c = d["child"][p]
            out[c] = (out[c] or 0.0) + d["amount"][p]
    return out


class BackpropView:
    """``GraphWidget``'s Backprop mode and path view (a mixin: it sets the widget's ``_steps``,
    ``backprop_step`` and ``paths_leaf`` traits; the page's ``backprop.js`` shows them)."""

    def _want_steps(self):
        """Send backward's steps from now on (with every picture); raise if there are none."""
        if not self._steps_on or not self._steps:
            self._steps_on = True
            self._steps = steps_of(self.graph)
        if "error" in self._steps:
            raise RuntimeError(self._steps["error"])
        return self._steps

    def backprop(self, k: int | None) -> None:
        """Show backward after its first ``k`` steps (0: only the output's grad, 1, is known), as
        the page's Backprop mode does; ``None`` leaves the mode and shows the full picture again.
        Changes no Value (see ``gradviz.backprop_steps``)."""
        self._check_open()
        if k is None:
            self.backprop_step = -1
            return
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int (a number of steps) or None, got {type(k).__name__!r}")
        m = self._want_steps()["k"]
        if not 0 <= k <= m:
            raise ValueError(f"k must be between 0 and {m} (backward has {m} steps here), got {k}")
        self.backprop_step = int(k)

    def paths(self, leaf: Leaf | None) -> Any:
        """Highlight every path from the output down to ``leaf`` (a Value, its label or its id), each
        with the product of its local derivatives, and their sum, the leaf's grad (the chain rule as
        a sum over paths). Returns ``gradviz.chain_paths`` of them; ``None`` clears the view."""
        self._check_open()
        if leaf is None:
            self.paths_leaf = -1
            return None
        from ..backprop import chain_paths
        from ..names import resolve_node
        i = resolve_node(self.graph, leaf)
        self._want_steps()
        found = chain_paths(self.graph, self.graph.values[i])
        self.paths_leaf = int(i)
        return found
