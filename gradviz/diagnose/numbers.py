"""Each node's value and gradient as the diagnoses read them, whatever made the graph.

A gradviz graph (``source == "gradviz"``) holds one number per node in ``data`` and ``grad``. A
graph of tensors (``capture_torch``, ``from_torch``, exported programs, JAX captures) holds a
summary per node in ``meta``: ``value``/``grad`` with mean, std, min, max, norm and numel (and
the whole tensor as ``values`` when it is small), or ``from_torch``'s ``data_mean``/``data_norm``
and ``grad_mean``/``grad_norm``; its ``data``/``grad`` columns are NaN where a tensor has more
than one element, so NaN there means "not known", not "not a number".

``Numbers`` gives both kinds the same columns, one entry per node (NaN where unknown):
``sq`` (sum of squares), ``count`` (elements), ``mean``, ``min``, ``max`` and ``bad`` (known to
hold a NaN or an inf), for the value (``v_*``) and the gradient (``g_*``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..graph.snapshot import Graph
from ..graph.trace import as_graph

if TYPE_CHECKING:
    from .._types import Root

__all__ = ["Numbers", "graph_of", "is_scalar_graph"]


def graph_of(x: Root, what: str) -> Graph:
    """``x`` as a Graph: a root Value (gradviz's or another engine's), a Graph, or a recording
    with a ``graph()`` method (``capture_torch``'s)."""
    if not isinstance(x, Graph) and callable(getattr(x, "graph", None)) and not hasattr(x, "_prev"):
        x = x.graph()
    try:
        return as_graph(x)
    except TypeError as e:
        raise TypeError(f"{what}: {e}") from None


def is_scalar_graph(g: Graph) -> bool:
    """True for a graph of scalar Values (its ``data``/``grad`` are the numbers themselves)."""
    return g.source == "gradviz"


def _finite(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _summary_row(s):
    """(sq, count, mean, min, max, bad) of a summary dict (capture_torch's ``value``/``grad``)."""
    if "values" in s and s["values"]:
        vs = [float(v) for v in s["values"]]
        bad = not all(math.isfinite(v) for v in vs)
        with np.errstate(all="ignore"):
            a = np.array(vs)
            return float(np.sum(a * a)), len(vs), float(a.mean()), float(a.min()), float(a.max()), bad
    n = s.get("numel")
    if "mean" not in s:
        return math.nan, math.nan, math.nan, math.nan, math.nan, False
    mean, norm = s.get("mean", math.nan), s.get("norm", math.nan)
    lo, hi = s.get("min", math.nan), s.get("max", math.nan)
    # a norm can overflow where every element is finite; min, max and mean say whether one is not
    bad = not (_finite(mean) and (_finite(lo) or "min" not in s) and (_finite(hi) or "max" not in s))
    return (float(norm) ** 2 if _finite(norm) else math.nan, float(n) if _finite(n) else math.nan,
            float(mean), float(lo), float(hi), bad)


def _shape_count(m):
    shape = m.get("shape")
    if isinstance(shape, (list, tuple)) and all(isinstance(d, int) for d in shape):
        return float(math.prod(shape))
    return math.nan


class Numbers:
    """Per-node value and gradient statistics of a Graph (see the module docstring)."""

    def __init__(self, g: Graph) -> None:
        self.graph = g
        n = len(g)
        if is_scalar_graph(g):
            d, gr = g.data, g.grad
            with np.errstate(all="ignore"):
                self.v_sq, self.g_sq = d * d, gr * gr
            self.v_count = np.ones(n)
            self.g_count = np.ones(n)
            self.v_mean = self.v_min = self.v_max = d
            self.g_mean = self.g_min = self.g_max = gr
            self.v_bad, self.g_bad = ~np.isfinite(d), ~np.isfinite(gr)
            self.scalar = True
            return
        self.scalar = False
        cols = {k: np.full(n, math.nan) for k in ("v_sq", "v_count", "v_mean", "v_min", "v_max",
                                                   "g_sq", "g_count", "g_mean", "g_min", "g_max")}
        vbad, gbad = np.zeros(n, bool), np.zeros(n, bool)
        for i, m in enumerate(g.meta):
            for p, key, old, x, bad in (("v", "value", "data", g.data[i], vbad),
                                        ("g", "grad", "grad", g.grad[i], gbad)):
                row = self._row(m, key, old, float(x))
                if row is None:
                    continue
                (cols[p + "_sq"][i], cols[p + "_count"][i], cols[p + "_mean"][i], cols[p + "_min"][i],
                 cols[p + "_max"][i], bad[i]) = row
        for k, v in cols.items():
            setattr(self, k, v)
        self.v_bad, self.g_bad = vbad, gbad

    @staticmethod
    def _row(m, key, old, x):
        s = m.get(key) if m else None
        if isinstance(s, dict) or (s is not None and hasattr(s, "keys")):
            return _summary_row(dict(s))
        if m and f"{old}_mean" in m:  # from_torch's summary of a leaf or a saved result
            mean, norm = float(m[f"{old}_mean"]), float(m.get(f"{old}_norm", math.nan))
            bad = not math.isfinite(mean)
            return (norm * norm if math.isfinite(norm) else math.nan, _shape_count(m), mean,
                    math.nan, math.nan, bad)
        if math.isinf(x):  # a one-element tensor that overflowed (NaN here means "not known")
            return x * x, 1.0, x, x, x, True
        if math.isfinite(x):
            return x * x, 1.0, x, x, x, False
        return None

    def has_grads(self) -> bool:
        """Whether any gradient is known and non-zero (False before ``backward()``)."""
        with np.errstate(invalid="ignore"):
            return bool(np.any((self.g_sq > 0) | self.g_bad))

    def v_norm(self) -> np.ndarray:
        return np.sqrt(self.v_sq)

    def g_norm(self) -> np.ndarray:
        return np.sqrt(self.g_sq)
