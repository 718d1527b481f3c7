"""The report of a cross-check against another framework (``compare_with_torch``,
``compare_with_jax``): the gradviz graph to compare, the errors column by column, and
``Comparison``, which prints, shows as a table in a notebook and raises on a mismatch.
Framework-free: each bridge computes the other side's numbers and hands them here.
"""
from __future__ import annotations

import html
from typing import NamedTuple

import numpy as np

from .engine import Value
from .graph.foreign import is_value_like
from .graph.snapshot import Graph
from .graph.trace import trace

__all__ = ["Comparison", "ComparisonRow", "TorchMismatchError", "columns", "gradviz_graph",
           "prepared_graph", "grad_hints"]


def gradviz_graph(x, what):
    if isinstance(x, Graph):
        if x.source != "gradviz":
            raise ValueError(f"{what} mirrors gradviz graphs, but this Graph came from "
                             f"{x.source!r} ({'capture_jax' if x.source == 'jax' else 'from_torch'}); pass the gradviz "
                             f"Value or its trace()")
        return x
    if isinstance(x, Value) or is_value_like(x):
        return trace(x)
    raise TypeError(f"{what} takes a root Value (gradviz's or micrograd's) or a Graph (from trace), "
                    f"got {type(x).__name__!r}")


def prepared_graph(x, backward, what):
    """The gradviz graph to compare; with ``backward``, the grads zeroed and backward() run first."""
    g = gradviz_graph(x, what)
    if backward:
        root = g.values[-1] if g.values is not None else None
        if root is None:
            raise ValueError("backward=True needs the live Values, but this Graph has none (it "
                             "was loaded from JSON); compare it as it is, with backward=False")
        for v in g.values:  # zero_grad, also for Values of engines that have none (micrograd)
            v.grad = 0.0
        root.backward()  # the Values' own backward: for a learner's class, their _backward code
        g = trace(root)
    return g


def grad_hints(g):
    """Why a whole graph's grads may disagree: backward not run, or run more than once."""
    hints = []
    root_grad = float(g.grad[-1])
    if root_grad == 0.0:
        hints.append("the gradviz graph holds no gradients (the root's grad is 0): call "
                     "backward() on the root first, or pass backward=True")
    elif root_grad != 1.0 and root_grad == int(root_grad) and root_grad > 1:
        hints.append(f"the root's grad is {root_grad:g}, not 1: backward() ran {int(root_grad)} "
                     f"times without zero_grad() in between, so the grads accumulated")
    return hints


# ---- the comparison report --------------------------------------------------------------------

class ComparisonRow(NamedTuple):
    """One compared value: gradviz's data/grad beside PyTorch's, with the absolute errors."""

    id: int
    label: str
    op: str
    data: float
    torch_data: float
    grad: float
    torch_grad: float
    data_err: float
    grad_err: float
    rel_err: float     # largest relative error of data and grad (against the torch value)
    data_ok: bool
    grad_ok: bool
    torch_name: str = ""  # where the value lives on the torch side, for module comparisons

    @property
    def ok(self):
        return self.data_ok and self.grad_ok

    @property
    def name(self):
        """How reports refer to the row: its label, else its id and op."""
        return repr(self.label) if self.label else f"#{self.id}"


class TorchMismatchError(AssertionError):
    """Raised by ``Comparison.raise_if_mismatch()``; the message is the report."""


def _errors(a, b, rtol, atol):
    """Absolute error, relative error and agreement of gradviz values ``a`` against torch's ``b``.

    NaN against NaN and equal infinities agree; anything else non-finite disagrees (error inf).
    The relative error is NaN (left out of the maximum) where torch's value is exactly 0.
    """
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        finite = np.isfinite(a) & np.isfinite(b)
        diff = np.where(same, 0.0, np.where(finite, np.abs(a - b), np.inf))
        ok = same | (finite & (diff <= atol + rtol * np.abs(b)))
        rel = np.where(same, 0.0, np.where(~finite, np.inf, np.where(b != 0, diff / np.abs(b), np.nan)))
    return diff, rel, ok


_HTML_STYLE = ("<style>.gradviz-compare td,.gradviz-compare th{padding:2px 10px;text-align:right;"
               "border-bottom:1px solid #ddd}.gradviz-compare td:nth-child(2),.gradviz-compare "
               "td:nth-child(3),.gradviz-compare th:nth-child(2),.gradviz-compare th:nth-child(3)"
               "{text-align:left}</style>")


def _fmt(x, digits=6):
    return f"{float(x):.{digits}g}"  # "g" writes nan, inf and -inf as words


class Comparison:
    """What ``compare_with_torch`` found: ``ok``, ``max_abs_err``, ``max_rel_err``, ``rows``.

    ``str(report)`` lists the mismatches by label and op; in a notebook the report shows as a table
    with mismatches highlighted; ``raise_if_mismatch()`` turns a mismatch into an exception.
    ``max_rel_err`` is taken over values whose torch side is not exactly 0.
    """

    HTML_ALL_ROWS = 200   # graphs up to this size show every row; bigger ones show mismatches
    LISTED = 20           # mismatches listed by str()

    def __init__(self, cols, rtol, atol, what, hints=(), framework="PyTorch"):
        self.framework = framework  # the reference: "PyTorch" (compare_with_torch) or "JAX"
        self._short = "torch" if framework == "PyTorch" else framework.lower()
        self._cols = cols  # the ComparisonRow fields as columns; rows are built on first use
        self._rows = None
        self.rtol, self.atol = rtol, atol
        self.what = what
        self.hints = list(hints)
        bad = ~(cols["data_ok"] & cols["grad_ok"])
        self._bad = np.flatnonzero(bad).tolist()
        self.ok = not self._bad
        n = len(cols["ids"])
        self.max_abs_err = float(max(cols["data_err"].max(), cols["grad_err"].max())) if n else 0.0
        rel = cols["rel_err"][~np.isnan(cols["rel_err"])]
        self.max_rel_err = float(rel.max()) if len(rel) else 0.0

    def _row(self, i):
        c = self._cols
        return ComparisonRow(int(c["ids"][i]), c["labels"][i], c["ops"][i], *(
            float(c[k][i]) for k in ("data", "torch_data", "grad", "torch_grad", "data_err",
                                     "grad_err", "rel_err")),
            bool(c["data_ok"][i]), bool(c["grad_ok"][i]), c["torch_names"][i])

    @property
    def rows(self):
        """A ComparisonRow per compared value, in node-id order."""
        if self._rows is None:
            self._rows = [self._row(i) for i in range(len(self))]
        return self._rows

    @property
    def mismatches(self):
        """The rows that disagree."""
        return [self._row(i) for i in self._bad]

    def __len__(self):
        return len(self._cols["ids"])

    def __bool__(self):
        return self.ok

    def summary(self):
        tol = f"rtol={self.rtol:g}, atol={self.atol:g}"
        errs = f"max abs err {_fmt(self.max_abs_err, 3)}, max rel err {_fmt(self.max_rel_err, 3)}"
        if self.ok:
            return f"{self.what}: all {len(self)} values agree with {self.framework} ({errs}; {tol})"
        return (f"{self.what}: {len(self._bad)} of {len(self)} values disagree with "
                f"{self.framework} ({errs}; {tol})")

    def _describe(self, r):
        other = self._short
        where = f" [{other} {r.torch_name}]" if r.torch_name else ""
        parts = []
        if not r.data_ok:
            parts.append(f"data: gradviz {_fmt(r.data, 12)}, {other} {_fmt(r.torch_data, 12)} "
                         f"(abs err {_fmt(r.data_err, 3)})")
        if not r.grad_ok:
            parts.append(f"grad: gradviz {_fmt(r.grad, 12)}, {other} {_fmt(r.torch_grad, 12)} "
                         f"(abs err {_fmt(r.grad_err, 3)})")
        return f"  {r.name} ({r.op or 'leaf'}){where}: " + "; ".join(parts)

    def __str__(self):
        lines = [self.summary()]
        lines += [self._describe(r) for r in (self._row(i) for i in self._bad[:self.LISTED])]
        if len(self._bad) > self.LISTED:
            lines.append(f"  ... and {len(self._bad) - self.LISTED} more mismatches "
                         f"(see .mismatches)")
        lines += [f"hint: {h}" for h in self.hints]
        return "\n".join(lines)

    def __repr__(self):
        return f"<Comparison ok={self.ok} rows={len(self)} mismatches={len(self._bad)}>"

    def raise_if_mismatch(self):
        """Raise ``TorchMismatchError`` (an AssertionError) listing the mismatches; else return self."""
        if not self.ok:
            raise TorchMismatchError(str(self))
        return self

    def _repr_html_(self):
        esc = html.escape
        bad = "background:#fde0dc;font-weight:bold"
        head = (f"<tr><th>id</th><th>label</th><th>op</th><th>data</th><th>{self._short} data</th>"
                f"<th>grad</th><th>{self._short} grad</th><th>abs err</th><th>agree</th></tr>")
        small = len(self) <= self.HTML_ALL_ROWS
        shown = self.rows if small else [self._row(i) for i in self._bad[:self.HTML_ALL_ROWS]]

        def cell(text, ok=True):
            return f'<td style="{bad}">{esc(text)}</td>' if not ok else f"<td>{esc(text)}</td>"

        body = []
        for r in shown:
            label = r.label + (f" [{r.torch_name}]" if r.torch_name else "")
            body.append(
                f"""<tr{"" if r.ok else ' class="mismatch" style="background:#fff3f1"'}>"""
                f"<td>{r.id}</td>{cell(label)}{cell(r.op or 'leaf')}"
                f"{cell(_fmt(r.data), r.data_ok)}{cell(_fmt(r.torch_data), r.data_ok)}"
                f"{cell(_fmt(r.grad), r.grad_ok)}{cell(_fmt(r.torch_grad), r.grad_ok)}"
                f"{cell(_fmt(max(r.data_err, r.grad_err), 2), r.ok)}"
                f"{cell('yes' if r.ok else 'NO', r.ok)}</tr>")
        notes = []
        if not small:
            m = len(self._bad)
            notes.append(f"{len(self)} values, too many to list: "
                         + (f"showing {'the first ' if m > len(shown) else ''}{len(shown)} of the "
                            f"{m} mismatch{'es' if m != 1 else ''}" if m else "every value agrees")
                         + "; every row is in <code>.rows</code>.")
        notes += [esc("hint: " + h) for h in self.hints]
        colour = "#1a7f37" if self.ok else "#c62828"
        table = (f'<table style="border-collapse:collapse;font-family:monospace">'
                 f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>") if body else ""
        return (f'<div class="gradviz-compare">{_HTML_STYLE}<p style="color:{colour};font-weight:bold">'
                f"{esc(self.summary())}</p>" + "".join(f"<p>{n}</p>" for n in notes)
                + table + "</div>")


def columns(ids, labels, ops, a_data, b_data, a_grad, b_grad, rtol, atol, torch_names=None):
    """The comparison as columns (numpy arrays and lists), named like ComparisonRow's fields."""
    a_data, b_data, a_grad, b_grad = (np.asarray(v, dtype=np.float64)
                                      for v in (a_data, b_data, a_grad, b_grad))
    d_err, d_rel, d_ok = _errors(a_data, b_data, rtol, atol)
    g_err, g_rel, g_ok = _errors(a_grad, b_grad, rtol, atol)
    with np.errstate(invalid="ignore"):
        rel = np.fmax(d_rel, g_rel)  # NaN only where neither has a relative error
    ids = list(ids)
    return dict(ids=ids, labels=list(labels), ops=list(ops), data=a_data, torch_data=b_data,
                grad=a_grad, torch_grad=b_grad, data_err=d_err, grad_err=g_err, rel_err=rel,
                data_ok=d_ok, grad_ok=g_ok, torch_names=torch_names or [""] * len(ids))
