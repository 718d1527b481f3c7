"""Overlays: ``health`` and ``diff`` as marks on the drawing, the same in ``to_svg``, ``to_html``
and the widget.

An overlay is data: per node a ``mark`` (an index into its ``legend``, 255 for none), per node its
``layer`` (an index into ``layers``, -1 for none), the ``legend`` entries (text, colour, dash) and a
``summary``. The drawings outline each marked box in its entry's colour; the widget sends the
columns to the page (``wire_overlay``), so a saved notebook or a standalone page shows them with
no kernel.

- **health**: a node's most serious flag (non-finite, exploding, vanishing, dead, saturated), or
  "in a flagged layer" for the other nodes of a flagged layer; ``first`` is ``first_nonfinite``'s
  node (-1 if none), which the page can jump to.
- **diff**: the node's largest relative change, in the bins of ``gradviz.diagnose.diff.BINS``;
  unchanged nodes are unmarked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..diagnose import diff as _diff
from ..diagnose import first_nonfinite, health
from ..diagnose.diff import BINS
from ..diagnose.health import BIT, FLAGS

if TYPE_CHECKING:
    from .._types import Root
    from ..diagnose import GraphDiff, HealthReport

__all__ = ["Overlay", "health_overlay", "diff_overlay", "make_overlay", "wire_overlay", "NONE", "OVERLAYS"]

NONE = 255
OVERLAYS = ("health", "diff")
# (flag, legend text, colour, dash): most serious first; a node takes the first of its flags
HEALTH_STYLE = (
    ("nonfinite", "NaN or inf", "#dc2626", ""),
    ("exploding", "exploding gradient", "#ea580c", ""),
    ("vanishing", "vanishing gradient", "#2563eb", ""),
    ("dead", "dead ReLU", "#52525b", ""),
    ("saturated", "saturated tanh/sigmoid", "#c026d3", ""),
    ("layer", "in a flagged layer", "#d97706", "4,3"),
)
DIFF_STYLE = (
    (f"< {BINS[1]:g}", "#93c5fd"),
    (f"< {BINS[2]:g}", "#3b82f6"),
    (f"< {BINS[3]:.0%}", "#f59e0b"),
    (f"< {BINS[4]:.0%}", "#ea580c"),
    (f">= {BINS[4]:.0%}", "#dc2626"),
    ("not comparable (NaN)", "#7c3aed"),
)


@dataclass
class Overlay:
    """One overlay's columns (see the module docstring). ``report`` is the HealthReport or
    GraphDiff it came from; ``flags`` (health: each node's flag bits) or ``rel`` (diff: each
    node's largest relative change) say what ``tip`` shows on hover."""

    kind: str
    mark: np.ndarray
    legend: list[dict[str, str]]
    layer: np.ndarray
    layers: list[str]
    summary: str
    first: int = -1
    first_text: str = ""
    report: Any = None
    flags: np.ndarray | None = None
    rel: np.ndarray | None = None

    def style(self, i: int) -> dict[str, str] | None:
        """Node ``i``'s legend entry, or None when it is not marked."""
        m = int(self.mark[i])
        return None if m == NONE else self.legend[m]

    def tip(self, i: int) -> str:
        """A hover line for node ``i`` ("" when it is not marked)."""
        if self.kind == "health":
            c = int(self.flags[i])
            if not c:
                return ""
            what = [t for f, t, _, _ in HEALTH_STYLE if c & BIT[f]]
            k = int(self.layer[i])
            return "health: " + ", ".join(what) + (f" (layer {self.layers[k]})" if k >= 0 else "")
        if self.mark[i] == NONE:
            return ""
        d = self.report
        parts = [f"{q} {c.a:.6g} -> {c.b:.6g} (relative {c.rel:.3g})"
                 for q in d.quantities for c in [d.change(i, q)] if c.rel != 0]
        return "diff: " + "; ".join(parts)


def health_overlay(x: Root, report: HealthReport | None = None) -> Overlay:
    """The ``health`` overlay of ``x`` (a report already made can be passed)."""
    from ..diagnose.layers import Layers
    r = report if report is not None else health(x)
    g = r.graph
    codes = r.codes
    mark = np.full(len(g), NONE, np.uint8)
    for k in range(len(HEALTH_STYLE) - 1, -1, -1):  # the most serious flag is written last
        mark[(codes & BIT[HEALTH_STYLE[k][0]]) != 0] = k
    legend = [{"key": f, "text": t, "colour": c, "dash": d} for f, t, c, d in HEALTH_STYLE]
    names = [l.name for l in r.layers]
    index = {n: k for k, n in enumerate(names)}
    layer = np.fromiter((index.get(s, -1) for s in Layers(g).layer), np.int32, count=len(g))
    nf = first_nonfinite(g) if len(r.nodes("nonfinite")) else None
    return Overlay("health", mark, legend, layer, names, r.summary(),
                   first=nf.node if nf is not None else -1, first_text=nf.message if nf is not None else "",
                   report=r, flags=codes)


def _bin(rel):
    """Each relative change's legend index (NONE: unchanged)."""
    out = np.full(len(rel), NONE, np.uint8)
    with np.errstate(invalid="ignore"):
        lo = BINS[0]
        for k, hi in enumerate(list(BINS[1:]) + [math.inf]):
            out[(rel > lo) & (rel < hi)] = k
            lo = hi
        out[np.isinf(rel)] = len(BINS) - 1
        out[np.isnan(rel)] = len(DIFF_STYLE) - 1
    return out


def diff_overlay(a: Root, b: Any = None, report: GraphDiff | None = None) -> Overlay:
    """The ``diff`` overlay of ``a`` against ``b`` (or of a ``GraphDiff`` already made)."""
    d = report if report is not None else _diff(a, b)
    legend = [{"key": f"bin{k}", "text": f"relative change {t}" if k < len(BINS) else t, "colour": c, "dash": ""}
              for k, (t, c) in enumerate(DIFF_STYLE)]
    return Overlay("diff", _bin(d.rel), legend, np.full(len(d.a), -1, np.int32), [], d.summary(),
                   report=d, rel=d.rel)


def make_overlay(x: Root, overlay: str | None = None, compare: Any = None) -> Overlay | None:
    """The overlay asked for: ``compare=b`` gives the diff against ``b``; ``overlay="health"``
    the health overlay (``"diff"`` needs ``compare``). None when neither is asked for."""
    if overlay is not None and overlay not in OVERLAYS:
        raise ValueError(f"overlay={overlay!r}: use one of {', '.join(map(repr, OVERLAYS))} (or None)")
    if compare is not None and overlay in (None, "diff"):
        return diff_overlay(x, compare)
    if overlay == "diff":
        raise ValueError('overlay="diff" needs the graph to compare with: pass compare=b')
    if overlay == "health":
        return health_overlay(x)
    return None


def wire_overlay(ov: Overlay) -> dict[str, Any]:
    """The overlay as the page receives it: per-node columns as bytes (``mark`` uint8, ``layer``
    int32, and ``flags`` uint8 for health or ``rel`` float64 for diff), the rest as JSON."""
    out = {"version": 1, "kind": ov.kind, "mark": ov.mark.astype(np.uint8).tobytes(),
           "layer": ov.layer.astype("<i4").tobytes(), "layers": list(ov.layers), "legend": ov.legend,
           "summary": ov.summary, "first": int(ov.first), "first_text": ov.first_text}
    if ov.flags is not None:
        out["flags"] = ov.flags.astype(np.uint8).tobytes()
        out["flag_text"] = [dict((f, t) for f, t, _, _ in HEALTH_STYLE)[f] for f in FLAGS]
    if ov.rel is not None:
        out["rel"] = ov.rel.astype("<f8").tobytes()
    return out
