"""Sensitivity checks from the lecture: finite differences against backprop.

``numerical_grad`` is the lecture's "lol" check (nudge one leaf by h, re-evaluate, divide);
``grad_check`` runs it for every leaf and reports; ``predict_vs_actual`` compares the first-order
prediction ``grad * h`` with the change a re-run actually shows. All of them replay the graph on
arrays through a Tape, so the Values are never changed.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import ops
from .engine import Value
from .names import node_name, resolve_leaf
from .replay.tape import Tape

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Literal

    from numpy.typing import ArrayLike

    from .graph.types import Leaf, Root

__all__ = ["numerical_grad", "grad_check", "predict_vs_actual", "reference_check", "GradCheckReport",
           "Prediction", "ReferenceCheck"]

GRAD_RTOL, GRAD_ATOL = 1e-6, 1e-9   # a grad "differs" from gradviz's reference beyond these
DATA_RTOL, DATA_ATOL = 1e-9, 1e-12  # a stored data "disagrees" with the op table's forward beyond these


def _tape(x):
    return x if isinstance(x, Tape) else Tape(x)


def _positive(h):
    h = float(h)
    if not (h > 0.0 and math.isfinite(h)):
        raise ValueError(f"h must be a positive finite step, got {h!r}")
    return h


def _output(t, d):
    return t.output(d)


def _numerical(t, i, base, h, central):
    up = base.copy()
    up[i] += h
    if not central:
        return (_output(t, up) - _output(t, base)) / h
    down = base.copy()
    down[i] -= h
    return (_output(t, up) - _output(t, down)) / (2.0 * h)


def numerical_grad(x: Root | Tape, leaf: Leaf, h: float = 1e-6, central: bool = True) -> float:
    """d root/d leaf by finite differences at the leaves' current values.

    ``x``: a root Value, a Graph or a Tape; ``leaf``: a Value, a label or a leaf id. With
    ``central=False`` it is exactly the lecture's check, ``(f(a + h) - f(a)) / h`` (the lecture uses
    ``h = 0.001``); the default central difference ``(f(a + h) - f(a - h)) / 2h`` is more accurate.
    """
    t = _tape(x)
    h = _positive(h)
    return _numerical(t, resolve_leaf(t.graph, leaf), t.leaf_data(), h, central)


@dataclass(frozen=True)
class GradCheckRow:
    id: int
    label: str
    kind: str
    analytic: float
    numerical: float
    abs_err: float
    rel_err: float
    ok: bool
    reference: float = math.nan  # gradviz's own backprop (the op table's rules) for this leaf


@dataclass(frozen=True)
class ReferenceCheck:
    """Values of another class (a learner's, micrograd's) against gradviz's op table.

    ``grad``: gradviz's reference d root/d node at the same leaves, by node id. ``forward``: node
    id -> why its stored data disagrees with the op table's forward of its operands' stored data.
    ``differs``: the nodes whose grad differs from the reference (empty before a backward, while
    the root's grad is 0). ``first``: of those, the one nearest the output, or None: the closures
    that write its grad are those of the nodes it feeds."""

    grad: np.ndarray
    forward: dict = field(default_factory=dict)
    differs: list = field(default_factory=list)
    yours: np.ndarray | None = None  # the grads compared, by node id

    @property
    def first(self):
        return self.differs[-1] if self.differs else None


def reference_check(x: Root, data: ArrayLike | None = None, grad: ArrayLike | None = None,
                    reference: Tape | None = None) -> ReferenceCheck:
    """Compare the Values of ``x`` (a root or a Graph; their ``data`` and ``grad``, or the given
    arrays by node id) with gradviz's reference: the op table's forward at each node, and its
    backward from the same leaves (``reference``: a ``Tape(x, rules="reference")`` to reuse)."""
    t = reference if reference is not None else Tape(x, rules="reference")
    g = t.graph
    if data is None:
        data = np.array([float(v.data) for v in g.values]) if g.values is not None else np.asarray(g.data)
    if grad is None:
        grad = (np.array([float(getattr(v, "grad", 0.0)) for v in g.values]) if g.values is not None
                else np.asarray(g.grad))
    data, grad = np.asarray(data, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    try:
        _, ref = t.run(write_back=False, data=data)
    except Exception:  # the leaves cannot be replayed (a domain error): no reference to show
        ref = np.full(len(data), np.nan)
    forward = _forward_disagreements(g, data)
    differs = []
    if grad[-1] != 0.0:  # a backward has run (or grads were set by hand from the output)
        with np.errstate(all="ignore"):
            close = np.abs(grad - ref) <= GRAD_ATOL + GRAD_RTOL * np.maximum(np.abs(grad), np.abs(ref))
        close |= np.isnan(grad) & np.isnan(ref)
        differs = np.flatnonzero(~close).tolist()
    return ReferenceCheck(ref, forward, differs, grad)


def _forward_disagreements(g, data):
    """Node id -> "your forward gives X, `op` gives Y" where the stored data disagrees with the op
    table's forward of the operands' stored data."""
    out, table = {}, {}
    ptr, kid, d = g.child_ptr.tolist(), g.child_ids.tolist(), data.tolist()
    for i, op in enumerate(g.ops):
        kids = kid[ptr[i]:ptr[i + 1]]
        if not kids:
            continue
        if op not in table:
            entry, k = ops.lookup(op)
            table[op] = (ops.scalar(entry.name), k) if entry is not None and entry.arity == len(kids) else None
        fk = table[op]
        if fk is None:
            continue
        fn, k = fk
        try:
            want = float(fn.forward(d[kids[0]], d[kids[1]] if len(kids) > 1 else None, k, None, None))
        except (ArithmeticError, ValueError):
            want = math.nan
        have = d[i]
        if have == want or (math.isnan(have) and math.isnan(want)):
            continue
        if abs(have - want) > DATA_ATOL + DATA_RTOL * max(abs(have), abs(want)) or math.isnan(have - want):
            out[i] = f"your forward gives {have:.10g}, `{op}` gives {want:.10g}"
    return out


class GradCheckReport:
    """The result of ``grad_check``: ``ok``, ``rows`` (one per leaf), the worst errors, a table."""

    def __init__(self, rows, h, rtol, atol, grads="replay", reference=None, graph=None):
        self.rows = rows
        self.grads = grads
        self.h, self.rtol, self.atol = h, rtol, atol
        self.reference = reference  # a ReferenceCheck when the grads checked are not gradviz's own
        self._graph = graph
        self.failures = [r for r in rows if not r.ok]
        self.ok = not self.failures and not (reference is not None and (reference.differs or reference.forward))
        self.max_abs_err = max((r.abs_err for r in rows), default=0.0)
        self.max_rel_err = max((r.rel_err for r in rows), default=0.0)

    def _summary(self):
        verdict = "OK" if self.ok else f"FAILED for {len(self.failures)} of {len(self.rows)} leaves"
        if not self.failures and not self.ok:
            verdict = "FAILED"
        which = "the Values' own .grad" if self.grads == "values" else "backprop"
        text = (f"gradient check {verdict}: {which} vs central differences (h={self.h:g}, "
                f"rtol={self.rtol:g}, atol={self.atol:g}); max abs error {self.max_abs_err:.3g}, "
                f"max rel error {self.max_rel_err:.3g}")
        where = self.where()
        return text + ("\n" + where if where else "")

    @property
    def verdict(self) -> str:
        """``"OK"``, or ``"WRONG: ..."`` naming the node: where the grads first differ from gradviz's
        reference, else the leaves whose backprop disagrees with finite differences."""
        if self.ok:
            return "OK"
        where = self.where()
        if where:
            return "WRONG: " + where
        bad = "; ".join(f"{r.label or '#' + str(r.id)}: grad {r.analytic:.6g}, finite differences "
                        f"{r.numerical:.6g}" for r in self.failures[:3])
        return f"WRONG at {bad}"

    def where(self) -> str:
        """Where the Values' grads first differ from gradviz's reference (op table), walking back
        from the output, and whose ``_backward`` wrote it; empty when they agree."""
        ref, g = self.reference, self._graph
        if ref is None or g is None:
            return ""
        if self.grads == "values" and g.values is not None and float(getattr(g.values[-1], "grad", 0.0)) == 0.0:
            return "the output's grad is 0: run backward() (after zeroing the grads) before checking"
        for i, why in sorted(ref.forward.items())[:1]:
            return f"the forward of node {node_name(g, i)} is off: {why}"
        i = ref.first
        if i is None:
            return ""
        yours = float(ref.yours[i])
        parents = [p for p, kids in enumerate(g.children) if i in kids]
        by = ", ".join(f"{node_name(g, p)} (op {g.ops[p]!r})" for p in parents)
        return (f"first wrong grad from the output back: node {node_name(g, i)} has grad {yours:.6g}, "
                f"gradviz's rule gives {float(ref.grad[i]):.6g}; it is written by the _backward of {by}")

    def _shown(self, limit):
        rows = self.failures + [r for r in self.rows if r.ok]  # failures first
        return rows[:limit]

    def __str__(self, limit=20):
        ref = self.reference is not None
        head = (f"{'leaf':<24} {'kind':<9} {'backprop':>14} {'numerical':>14} {'abs err':>9}  ok"
                + (f" {'gradviz':>14}" if ref else ""))
        lines = [self._summary(), head]
        for r in self._shown(limit):
            name = r.label or f"#{r.id}"
            lines.append(f"{name[:24]:<24} {r.kind:<9} {r.analytic:>14.6g} {r.numerical:>14.6g} "
                         f"{r.abs_err:>9.2g}  {'yes' if r.ok else 'NO '}" + (f" {r.reference:>14.6g}" if ref else ""))
        if len(self.rows) > limit:
            lines.append(f"... {len(self.rows) - limit} more leaves")
        return "\n".join(lines)

    def __repr__(self):
        return f"<GradCheckReport ok={self.ok} leaves={len(self.rows)} max_abs_err={self.max_abs_err:.3g}>"

    def __bool__(self):
        return self.ok

    def _repr_html_(self, limit=50):
        ref = self.reference is not None
        cells = "".join(
            f"<tr style='color:{'inherit' if r.ok else '#c00'}'><td>{html.escape(r.label or f'#{r.id}')}</td>"
            f"<td>{html.escape(r.kind)}</td><td>{r.analytic:.6g}</td><td>{r.numerical:.6g}</td><td>{r.abs_err:.2g}</td>"
            f"<td>{'✓' if r.ok else '✗'}</td>{f'<td>{r.reference:.6g}</td>' if ref else ''}</tr>"
            for r in self._shown(limit))
        more = f"<p>… {len(self.rows) - limit} more leaves</p>" if len(self.rows) > limit else ""
        summary = "<br>".join(map(html.escape, self._summary().split("\n")))
        return (f"<div><p><b>{summary}</b></p><table aria-label='gradient check'>"
                f"<thead><tr><th>leaf</th><th>kind</th><th>backprop</th><th>numerical</th>"
                f"<th>abs err</th><th>ok</th>{'<th>gradviz</th>' if ref else ''}</tr></thead>"
                f"<tbody>{cells}</tbody></table>{more}</div>")


def grad_check(x: Root | Tape, h: float = 1e-6, rtol: float = 1e-4, atol: float = 1e-6,
               leaves: Iterable[Leaf] | None = None,
               grads: Literal["replay", "values"] | None = None) -> GradCheckReport:
    """Backprop against central differences for every leaf (or the given ``leaves``).

    ``grads``: which backprop to check. ``"replay"`` runs gradviz's own backward on the graph as
    it is now; ``"values"`` takes the ``.grad`` the Values hold, i.e. what *your* ``backward()``
    computed (run it first, after zeroing). The default is ``"replay"`` for gradviz Values and
    ``"values"`` for Values of another engine (micrograd, a class written along with the lecture),
    whose own backward is the code worth checking.

    A leaf passes when ``|backprop - numerical| <= atol + rtol * max(|backprop|, |numerical|)``.
    Returns a GradCheckReport (``.ok``, ``.rows``, a readable ``str`` and an HTML table); the
    Values are not changed. Near a kink (relu at 0) the two can honestly disagree.
    """
    t = _tape(x)
    h = _positive(h)
    g = t.graph
    if grads is None:
        grads = "values" if g.values is not None and not isinstance(g.values[-1], Value) else "replay"
    base = t.leaf_data()
    if grads == "replay":
        _, grad = t.run(write_back=False, data=base)
    elif grads == "values":
        if g.values is None:
            raise ValueError('grads="values" needs live Values, but this graph has none (loaded from '
                             'JSON or PyTorch); use grads="replay"')
        if not all(hasattr(v, "grad") for v in g.values):
            raise ValueError("these Values have no .grad to check yet: give your Value class a grad "
                             "(self.grad = 0.0) and run backward first, or use grads=\"replay\"")
        grad = [float(v.grad) for v in g.values]
    else:
        raise ValueError(f'grads must be "replay" or "values", got {grads!r}')
    ids = t.leaves.tolist() if leaves is None else [resolve_leaf(t.graph, leaf) for leaf in leaves]
    reference = None
    if grads == "values" or t.rules == "own" and getattr(t, "own_closures", False):
        try:
            reference = reference_check(g, data=base if grads == "values" else None, grad=grad)
        except ValueError:  # an op the table does not know (a custom op): no reference
            reference = None
    rows = []
    for i in ids:
        a = float(grad[i])
        num = _numerical(t, i, base, h, True)
        err = abs(a - num)
        scale = max(abs(a), abs(num))
        rel = err / scale if scale > 0 else 0.0 if err == 0 else math.inf
        ok = err <= atol + rtol * scale  # False for NaN
        rows.append(GradCheckRow(i, g.labels[i], g.kinds[i], a, num, err, rel, bool(ok),
                                 math.nan if reference is None else float(reference.grad[i])))
    return GradCheckReport(rows, h, rtol, atol, grads, reference, g)


@dataclass(frozen=True)
class Prediction:
    """``predict_vs_actual``: the output before and after nudging ``leaf`` by ``h``."""

    leaf: str
    h: float
    grad: float
    before: float
    after: float
    predicted: float   # grad * h: the first-order (gradient) prediction of the change
    actual: float      # after - before: the change a re-run shows

    @property
    def error(self):
        return self.actual - self.predicted

    def __str__(self):
        return (f"nudge {self.leaf} by h={self.h:g}: predicted change grad*h = {self.grad:.6g}*{self.h:g} "
                f"= {self.predicted:.6g}, actual change {self.actual:.6g} "
                f"(output {self.before:.6g} -> {self.after:.6g}; error {self.error:.3g})")

    def _repr_html_(self):
        return f"<p>{html.escape(str(self))}</p>"


def predict_vs_actual(x: Root | Tape, leaf: Leaf, h: float = 0.01) -> Prediction:
    """Nudge ``leaf`` by ``h``: the gradient's prediction ``grad * h`` against the re-run's change.

    The re-run happens on arrays (a Tape), so the graph's Values are left as they were.
    """
    t = _tape(x)
    h = float(h)
    if not math.isfinite(h):
        raise ValueError(f"h must be a finite number, got {h!r}")
    i = resolve_leaf(t.graph, leaf)
    base = t.leaf_data()
    d0, grad = t.run(write_back=False, data=base)
    up = base.copy()
    up[i] += h
    after = _output(t, up)
    before = float(d0[t.graph.root])
    return Prediction(node_name(t.graph, i), h, float(grad[i]), before, after, float(grad[i]) * h, after - before)
