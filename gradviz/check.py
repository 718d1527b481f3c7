"""Sensitivity checks from the lecture: finite differences against backprop.

``numerical_grad`` is the lecture's "lol" check (nudge one leaf by h, re-evaluate, divide);
``grad_check`` runs it for every leaf and reports; ``predict_vs_actual`` compares the first-order
prediction ``grad * h`` with the change a re-run actually shows. All of them replay the graph on
arrays through a Tape, so the Values are never changed.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .engine import Value
from .names import node_name, resolve_leaf
from .replay.tape import Tape

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Literal

    from .graph.types import Leaf, Root

__all__ = ["numerical_grad", "grad_check", "predict_vs_actual", "GradCheckReport", "Prediction"]


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


class GradCheckReport:
    """The result of ``grad_check``: ``ok``, ``rows`` (one per leaf), the worst errors, a table."""

    def __init__(self, rows, h, rtol, atol, grads="replay"):
        self.rows = rows
        self.grads = grads
        self.h, self.rtol, self.atol = h, rtol, atol
        self.ok = all(r.ok for r in rows)
        self.failures = [r for r in rows if not r.ok]
        self.max_abs_err = max((r.abs_err for r in rows), default=0.0)
        self.max_rel_err = max((r.rel_err for r in rows), default=0.0)

    def _summary(self):
        verdict = "OK" if self.ok else f"FAILED for {len(self.failures)} of {len(self.rows)} leaves"
        which = "the Values' own .grad" if self.grads == "values" else "backprop"
        return (f"gradient check {verdict}: {which} vs central differences (h={self.h:g}, "
                f"rtol={self.rtol:g}, atol={self.atol:g}); max abs error {self.max_abs_err:.3g}, "
                f"max rel error {self.max_rel_err:.3g}")

    def _shown(self, limit):
        rows = self.failures + [r for r in self.rows if r.ok]  # failures first
        return rows[:limit]

    def __str__(self, limit=20):
        head = f"{'leaf':<24} {'kind':<9} {'backprop':>14} {'numerical':>14} {'abs err':>9}  ok"
        lines = [self._summary(), head]
        for r in self._shown(limit):
            name = r.label or f"#{r.id}"
            lines.append(f"{name[:24]:<24} {r.kind:<9} {r.analytic:>14.6g} {r.numerical:>14.6g} "
                         f"{r.abs_err:>9.2g}  {'yes' if r.ok else 'NO'}")
        if len(self.rows) > limit:
            lines.append(f"... {len(self.rows) - limit} more leaves")
        return "\n".join(lines)

    def __repr__(self):
        return f"<GradCheckReport ok={self.ok} leaves={len(self.rows)} max_abs_err={self.max_abs_err:.3g}>"

    def __bool__(self):
        return self.ok

    def _repr_html_(self, limit=50):
        cells = "".join(
            f"<tr style='color:{'inherit' if r.ok else '#c00'}'><td>{html.escape(r.label or f'#{r.id}')}</td>"
            f"<td>{html.escape(r.kind)}</td><td>{r.analytic:.6g}</td><td>{r.numerical:.6g}</td><td>{r.abs_err:.2g}</td>"
            f"<td>{'✓' if r.ok else '✗'}</td></tr>" for r in self._shown(limit))
        more = f"<p>… {len(self.rows) - limit} more leaves</p>" if len(self.rows) > limit else ""
        return (f"<div><p><b>{html.escape(self._summary())}</b></p><table aria-label='gradient check'>"
                f"<thead><tr><th>leaf</th><th>kind</th><th>backprop</th><th>numerical</th>"
                f"<th>abs err</th><th>ok</th></tr></thead><tbody>{cells}</tbody></table>{more}</div>")


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
    rows = []
    for i in ids:
        a = float(grad[i])
        num = _numerical(t, i, base, h, True)
        err = abs(a - num)
        scale = max(abs(a), abs(num))
        rel = err / scale if scale > 0 else 0.0 if err == 0 else math.inf
        ok = err <= atol + rtol * scale  # False for NaN
        rows.append(GradCheckRow(i, g.labels[i], g.kinds[i], a, num, err, rel, bool(ok)))
    return GradCheckReport(rows, h, rtol, atol, grads)


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
