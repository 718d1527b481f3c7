"""``diff(a, b)``: the change of every node's value and gradient between two graphs of one structure.

Before and after an optimizer step, two seeds or learning rates, a gradviz graph and its PyTorch
mirror (``to_torch``), a learner's Values and gradviz's. The nodes are matched by walking both
graphs from their roots, operands in order (``+`` and ``*`` may list theirs the other way round,
as a ``set`` of children does); graphs that differ are refused, naming the first node that does.
Scalar graphs compare ``data`` and ``grad``; graphs of tensors (captures) compare their summaries:
the mean and the norm of the value and of the gradient.

Relative change is ``|b - a| / |a|``: 0 when they are equal (NaN and NaN, inf and inf too),
inf when ``a`` is 0 and ``b`` is not, NaN when either is unknown.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..graph.snapshot import Graph
from ..names import node_name
from .numbers import Numbers, graph_of, is_scalar_graph
from .tables import html_table, num, text_table

if TYPE_CHECKING:
    from .._types import Root

__all__ = ["diff", "GraphDiff", "Change", "StructureMismatchError", "BINS"]

BINS = (1e-9, 1e-6, 1e-3, 1e-1, 1.0)
"""Edges of the relative-change colours of the overlay: unchanged (< 1e-9, rounding), then
< 1e-6, < 1e-3, < 10 %, < 100 %, >= 100 % (and "not comparable" for NaN)."""

_COMMUTATIVE = ("+", "*")


class StructureMismatchError(ValueError):
    """The two graphs given to ``diff`` do not have one structure."""


class Change(NamedTuple):
    """One quantity of one node: ``a``, ``b``, ``change`` (b - a), ``abs``, ``rel``."""

    a: float
    b: float
    change: float
    abs: float
    rel: float


def _from_mirror(m):
    """A Graph of a ``TorchMirror``'s tensors (``to_torch``), on its gradviz graph's structure."""
    g = m.graph
    data, grad = [], []
    for t in m.tensors:
        data.append(float(t.detach().reshape(()).item()))
        data_grad = t.grad
        grad.append(math.nan if data_grad is None else float(data_grad.reshape(()).item()))
    return Graph._from_csr(g.labels, data, grad, g.ops, g.kinds, g.scopes, g.child_ptr, g.child_ids,
                           meta=None, values=None, source="gradviz")


def _graph(x, which):
    if hasattr(x, "tensors") and isinstance(getattr(x, "graph", None), Graph):
        return _from_mirror(x)
    return graph_of(x, f"diff ({which})")


def _describe(g, i):
    k = int(g.child_ptr[i + 1] - g.child_ptr[i])
    what = f"op {g.ops[i]!r} of {k} operand{'s' if k != 1 else ''}" if k else "a leaf"
    return f"{node_name(g, i)} (node {i}, {what})"


def _signatures(g, with_labels):
    """A hash per node of the graph below it (op, arity, operands' hashes; ``+`` and ``*`` in
    either order; with its label if ``with_labels``): equal for nodes that match. Iterative."""
    ptr, ids, ops, labels = g.child_ptr.tolist(), g.child_ids.tolist(), g.ops, g.labels
    sig = [0] * len(g)
    for i in range(len(g)):  # ids are topological: operands first
        kids = [sig[c] for c in ids[ptr[i]:ptr[i + 1]]]
        if ops[i] in _COMMUTATIVE:
            kids.sort()
        sig[i] = hash((ops[i], labels[i] if with_labels else "", tuple(kids)))
    return sig


class _Matcher:
    """Which operands of a node of ``a`` go with which of ``b``: in order, or swapped for ``+``
    and ``*`` when the swapped pairs match better (labels first, then structure)."""

    def __init__(self, ga, gb):
        self.ga, self.gb = ga, gb
        self.lab = (_signatures(ga, True), _signatures(gb, True))
        self.struct = (_signatures(ga, False), _signatures(gb, False))

    def pairs(self, op, ca, cb):
        if len(ca) == 2 and op in _COMMUTATIVE:
            for sig in (self.lab, self.struct):
                if sig[0][ca[0]] == sig[1][cb[0]] and sig[0][ca[1]] == sig[1][cb[1]]:
                    break
                if sig[0][ca[0]] == sig[1][cb[1]] and sig[0][ca[1]] == sig[1][cb[0]]:
                    cb = cb[::-1]
                    break
        return zip(ca, cb)


def _align(ga, gb):
    """b's node id for each node of a, walking both from the roots. Iterative."""
    na, nb = len(ga), len(gb)
    if na == nb and ga.ops == gb.ops and ga.labels == gb.labels and np.array_equal(ga.child_ptr, gb.child_ptr) \
            and np.array_equal(ga.child_ids, gb.child_ids):
        return np.arange(na)
    if not na or not nb:
        raise StructureMismatchError(f"diff: one graph is empty (a has {na} nodes, b has {nb})")
    to_b, to_a = np.full(na, -1), np.full(nb, -1)
    pa, ia, pb, ib = ga.child_ptr, ga.child_ids, gb.child_ptr, gb.child_ids
    match = _Matcher(ga, gb)

    def refuse(i, j, why):
        raise StructureMismatchError(
            f"diff takes two graphs of one structure; they differ at {_describe(ga, i)} in a and "
            f"{_describe(gb, j)} in b: {why} (a has {na} nodes, b has {nb}). Diff graphs built by the "
            f"same code, e.g. the loss before and after an optimizer step")

    stack = [(na - 1, nb - 1)]
    while stack:
        i, j = stack.pop()
        if to_b[i] == j:
            continue
        if to_b[i] != -1 or to_a[j] != -1:
            refuse(i, j, "a node is shared in one graph and not in the other")
        ka, kb = pa[i + 1] - pa[i], pb[j + 1] - pb[j]
        if ka != kb or ga.ops[i] != gb.ops[j] or (ga.labels[i] and gb.labels[j] and ga.labels[i] != gb.labels[j]):
            refuse(i, j, "different ops, operand counts or labels")
        to_b[i], to_a[j] = j, i
        pairs = list(match.pairs(ga.ops[i], ia[pa[i]:pa[i + 1]].tolist(), ib[pb[j]:pb[j + 1]].tolist()))
        stack.extend(reversed(pairs))
    if na != nb or (to_b < 0).any():
        i = int(np.flatnonzero(to_b < 0)[0]) if (to_b < 0).any() else na - 1
        refuse(i, int(to_b[i]) if to_b[i] >= 0 else nb - 1, "one graph has nodes the other lacks")
    return to_b


def _quantities(ga, gb):
    if is_scalar_graph(ga) and is_scalar_graph(gb):
        return {"data": (ga.data, gb.data), "grad": (ga.grad, gb.grad)}
    na, nb = Numbers(ga), Numbers(gb)
    return {"value mean": (na.v_mean, nb.v_mean), "value norm": (na.v_norm(), nb.v_norm()),
            "grad mean": (na.g_mean, nb.g_mean), "grad norm": (na.g_norm(), nb.g_norm())}


def _changes(a, b, unknown_nan):
    with np.errstate(all="ignore"):
        change = b - a
        ab = np.abs(change)
        rel = ab / np.abs(a)
        same = (a == b) | (np.isnan(a) & np.isnan(b) & ~unknown_nan)
        ab = np.where(same, 0.0, ab)
        rel = np.where(same, 0.0, rel)
        rel = np.where(~same & (a == 0) & ~np.isnan(b), math.inf, rel)
        change = np.where(same, 0.0, change)
    return change, ab, rel


class GraphDiff:
    """What ``diff`` found, per node of ``a`` (``b``'s matching node is ``to_b[i]``).

    ``quantities``: ("data", "grad"), or for captures ("value mean", "value norm", "grad mean",
    "grad norm"); ``change(node, q)`` a ``Change``; ``rel`` the largest relative change of each node
    (what the overlay colours); ``changed()`` the nodes that changed. A table in notebooks.
    """

    def __init__(self, a: Graph, b: Graph, to_b: np.ndarray, cols: dict[str, tuple]) -> None:
        self.a, self.b, self.to_b = a, b, to_b
        self.quantities = tuple(cols)
        unknown = not (is_scalar_graph(a) and is_scalar_graph(b))
        self._cols = {}
        for q, (ca, cb) in cols.items():
            ca, cb = np.asarray(ca, float), np.asarray(cb, float)[to_b]
            self._cols[q] = (ca, cb, *_changes(ca, cb, unknown))
        rels = np.vstack([c[4] for c in self._cols.values()]) if self._cols else np.zeros((1, len(a)))
        with np.errstate(all="ignore"):
            anyknown = ~np.all(np.isnan(rels), axis=0)
            self.rel = np.where(anyknown, np.nanmax(np.where(np.isnan(rels), -1.0, rels), axis=0), math.nan)

    def change(self, node: int, quantity: str | None = None) -> Change:
        q = quantity or self.quantities[0]
        if q not in self._cols:
            raise ValueError(f"unknown quantity {q!r}; this diff has {', '.join(self.quantities)}")
        return Change(*(float(c[node]) for c in self._cols[q]))

    def column(self, quantity: str) -> dict[str, np.ndarray]:
        """One quantity for every node: arrays ``a``, ``b``, ``change``, ``abs``, ``rel``."""
        return dict(zip(Change._fields, self._cols[quantity]))

    def changed(self, tol: float = BINS[0]) -> list[int]:
        """Ids (in a) of the nodes whose relative change is above ``tol`` (or not comparable)."""
        with np.errstate(invalid="ignore"):
            return np.flatnonzero(~(self.rel <= tol)).tolist()

    @property
    def root(self) -> int:
        return len(self.a) - 1

    def summary(self) -> str:
        changed = self.changed()
        root = self.change(self.root)
        q = self.quantities[0]
        line = (f"{len(changed)} of {len(self.a)} nodes changed; root {node_name(self.a, self.root)} {q} "
                f"{root.a!r} -> {root.b!r} (change {root.change!r})")
        finite = np.where(np.isfinite(self.rel), self.rel, -1.0)
        if len(finite) and finite.max() > 0:
            k = int(np.argmax(finite))
            line += f"; largest relative change {num(finite[k], 3)} at {node_name(self.a, k)}"
        from_zero = int(np.isinf(self.rel).sum())
        if from_zero:
            line += f"; {from_zero} node(s) changed from 0 (relative change infinite)"
        return line

    def _rows(self, limit=40):
        order = [self.root] + [i for i in np.argsort(-np.nan_to_num(self.rel, nan=np.inf), kind="stable").tolist()
                               if i != self.root]
        rows = []
        for i in order[:limit]:
            r = [str(i), node_name(self.a, i), self.a.ops[i]]
            for q in self.quantities:
                c = self.change(i, q)
                r += [num(c.a, 6), num(c.b, 6), num(c.change, 4), num(c.rel, 3)]
            rows.append(r)
        return rows

    def _head(self):
        return ["id", "node", "op"] + [f"{q} {x}" for q in self.quantities for x in ("a", "b", "Δ", "rel")]

    def __str__(self):
        return f"diff: {self.summary()}\n" + text_table(self._head(), self._rows(), limit=40)

    def __repr__(self):
        return f"<GraphDiff: {self.summary()}>"

    def _repr_html_(self):
        import html
        head = self._head()
        return (f'<div class="gradviz-diff"><p><b>diff</b>: {html.escape(self.summary())}</p>'
                + html_table("root first, then by relative change", head, self._rows(200),
                             numeric=[True, False, False] + [True] * (len(head) - 3)) + "</div>")


def diff(a: Root | Any, b: Root | Any) -> GraphDiff:
    """The change of each node's data and grad from ``a`` to ``b`` (absolute and relative), for
    two graphs of one structure: roots (gradviz's, micrograd's, a learner's), Graphs, captures,
    or a ``to_torch`` mirror as ``b``. Trace ``a`` before changing its Values (a Graph is a
    snapshot). Different structures raise ``StructureMismatchError`` naming the first node that
    differs. Reads only."""
    ga, gb = _graph(a, "a"), _graph(b, "b")
    return GraphDiff(ga, gb, _align(ga, gb), _quantities(ga, gb))
