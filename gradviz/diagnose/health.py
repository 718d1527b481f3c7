"""``health(x)``: which nodes and layers of a graph have unhealthy values or gradients.

Checks, each with a module constant that sets it (the README has the same table):

- **non-finite**: a value or gradient that is NaN or inf;
- **vanishing** / **exploding**: a layer whose gradient scale (the RMS of the gradient reaching
  the layer's outputs, or of its weights' gradients when the outputs' are not known) is below
  ``VANISHING`` / above ``EXPLODING`` times the last layer's; the table also lists each layer's
  factor against the next one (the decay layer by layer); a single gradient above
  ``EXPLODING_GRAD`` is exploding too;
- **dead ReLU**: a unit (neuron) whose relu output is 0 for every sample of the graph, so it passes
  no gradient back; in a capture, a relu output whose every element is 0;
- **saturated**: a tanh unit with ``|out| > SATURATION`` (a sigmoid within ``1 - SATURATION`` of 0
  or 1) for more than ``SATURATED_FRACTION`` of its elements, where the slope is nearly 0. A
  capture's summary has no such count: the fraction is estimated from the mean square (the
  saturated elements near +-1, the others spread evenly over the rest of the range).

Layers and units are those of ``gradviz.diagnose.layers``. RMS rather than norm, so that layers of
different widths (or batches of different sizes) compare.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..names import node_name
from .layers import Layers
from .numbers import Numbers, graph_of
from .tables import html_list, html_table, num, text_table

if TYPE_CHECKING:
    from .._types import Root
    from ..graph import Graph

__all__ = ["health", "HealthReport", "Finding", "LayerHealth", "FLAGS", "VANISHING", "EXPLODING",
           "EXPLODING_GRAD", "SATURATION", "SATURATED_FRACTION"]

VANISHING = 1e-3
"""A layer whose gradient RMS is below this fraction of the last layer's is *vanishing*: its
weights learn a thousand times slower than the output's."""
EXPLODING = 1e3
"""A layer whose gradient RMS is above this multiple of the last layer's is *exploding*."""
EXPLODING_GRAD = 1e6
"""A node whose gradient (RMS, for a tensor) is above this is *exploding*, whatever its layer."""
SATURATION = 0.99
"""tanh is saturated where ``|out| > 0.99`` (slope below 0.02); sigmoid where ``out > 0.99`` or
``out < 0.01``."""
SATURATED_FRACTION = 0.5
"""A tanh or sigmoid unit is flagged when more than this fraction of its elements (samples) is
saturated."""

# Bits of a node's overlay code, and their names in order (the page reads the same bits).
FLAGS = ("nonfinite", "vanishing", "exploding", "dead", "saturated", "layer")
BIT = {name: 1 << k for k, name in enumerate(FLAGS)}
_WHAT = {"nonfinite": "non-finite value or gradient (NaN or inf)",
         "vanishing": "vanishing gradient", "exploding": "exploding gradient",
         "dead": "dead ReLU (0 for every sample)", "saturated": "saturated tanh/sigmoid",
         "layer": "in a flagged layer"}


class Finding(NamedTuple):
    """One problem: its kind (a name of ``FLAGS``), its layer ("" if none), the node ids it
    flags and a sentence."""

    kind: str
    layer: str
    nodes: tuple
    message: str


class LayerHealth(NamedTuple):
    """One layer, first to last: its node count, gradient RMS (and what it was measured on:
    "outputs" or "weights"), ratio to the last layer's, factor against the next layer, ReLU and
    tanh/sigmoid units and how many are dead or saturated, and its flags."""

    name: str
    nodes: int
    grad_rms: float
    measured_on: str
    to_output: float
    factor: float
    units: int
    dead: int
    saturated: int
    flags: tuple


class HealthReport:
    """What ``health`` found. ``findings`` (sentences with node ids), ``layers`` (a row per
    layer), ``flags`` ({node id: flag names}), ``codes`` (a bit mask per node, see ``FLAGS``),
    ``ok``. A table in notebooks, text with ``str()``."""

    def __init__(self, graph: Graph, codes: np.ndarray, findings: list[Finding],
                 layers: list[LayerHealth], notes: list[str], how: str) -> None:
        self.graph = graph
        self.codes = codes
        self.findings = findings
        self.layers = layers
        self.notes = notes
        self.how = how

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def flags(self) -> dict[int, tuple[str, ...]]:
        out = {}
        for i in np.flatnonzero(self.codes).tolist():
            c = int(self.codes[i])
            out[i] = tuple(f for f in FLAGS if c & BIT[f])
        return out

    def nodes(self, kind: str) -> list[int]:
        """Ids of the nodes flagged ``kind`` (one of ``FLAGS``)."""
        if kind not in BIT:
            raise ValueError(f"unknown flag {kind!r}; flags are {', '.join(FLAGS)}")
        return np.flatnonzero(self.codes & BIT[kind]).tolist()

    def flagged_layers(self, kind: str | None = None) -> list[str]:
        return [l.name for l in self.layers if (kind in l.flags if kind else l.flags)]

    def summary(self) -> str:
        if not self.findings:
            return "healthy: " + (self.notes[0] if self.notes else "no check flagged a node")
        kinds = sorted({f.kind for f in self.findings}, key=FLAGS.index)
        return f"{len(self.findings)} finding(s): " + ", ".join(_WHAT[k] for k in kinds)

    def _layer_rows(self):
        return [[l.name, str(l.nodes), num(l.grad_rms), l.measured_on, num(l.to_output, 3),
                 num(l.factor, 3), f"{l.dead}/{l.units}" if l.units else "", f"{l.saturated}/{l.units}"
                 if l.units else "", ", ".join(l.flags)] for l in self.layers]

    _HEAD = ["layer", "nodes", "grad rms", "on", "÷ last", "÷ next", "dead", "saturated", "flags"]

    def __str__(self):
        out = [f"health: {self.summary()}"]
        out += [f"  - {f.message}" for f in self.findings]
        out += [f"  ({n})" for n in self.notes]
        if self.layers:
            out.append(text_table(self._HEAD, self._layer_rows()))
        return "\n".join(out)

    def __repr__(self):
        return f"<HealthReport: {self.summary()}>"

    def _repr_html_(self):
        import html
        styles = ["background:#fee2e2" if l.flags else "" for l in self.layers]
        body = [f'<div class="gradviz-health"><p><b>health</b>: {html.escape(self.summary())}</p>',
                html_list([f.message for f in self.findings]),
                html_list(self.notes)]
        if self.layers:
            body.append(html_table(f"layers (first to last, {self.how})", self._HEAD, self._layer_rows(),
                                   numeric=[False, True, True, False, True, True, True, True, False],
                                   row_styles=styles))
        return "".join(body) + "</div>"


def _layer_scale(g, nums, lay):
    """Per layer: (gradient RMS, "outputs"/"weights"/"", output node ids)."""
    n = len(g)
    code, names = lay.codes()
    counts = np.diff(g.child_ptr)
    parent = np.repeat(np.arange(n), counts)
    exports = np.zeros(n, bool)
    if len(parent):
        cross = code[g.child_ids] != code[parent]
        exports[g.child_ids[cross]] = True
    if n:
        exports[n - 1] = True
    inner = counts > 0
    params = np.array([k == "parameter" for k in g.kinds], bool)
    known = np.isfinite(nums.g_sq) & np.isfinite(nums.g_count)
    out = []
    for k in range(len(names)):
        mine = code == k
        outs = np.flatnonzero(mine & exports & inner & known)
        on = "outputs"
        if not len(outs):
            outs, on = np.flatnonzero(mine & params & known), "weights"
        if not len(outs):
            out.append((math.nan, "", outs))
            continue
        total, count = float(nums.g_sq[outs].sum()), float(nums.g_count[outs].sum())
        out.append((math.sqrt(total / count) if count else math.nan, on, outs))
    return out


def _saturated_fraction(nums, i, kind):
    """Fraction of node ``i``'s elements that are saturated (a lower bound from a summary)."""
    lo, hi = 1 - SATURATION, SATURATION
    if nums.scalar or nums.v_count[i] == 1:
        x = nums.v_mean[i]
        return float(abs(x) > SATURATION if kind == "tanh" else (x > hi or x < lo))
    n, sq, mean = nums.v_count[i], nums.v_sq[i], nums.v_mean[i]
    if not (n > 0 and math.isfinite(sq) and math.isfinite(mean)):
        return math.nan
    # a summary has no count of saturated elements: estimate it from the mean square, taking the
    # saturated ones as |y| ~ 1 and the rest as spread evenly over (-s, s) (mean square s^2 / 3)
    y2 = sq / n if kind == "tanh" else 4 * sq / n - 4 * mean + 1  # sigmoid as y = 2s - 1
    rest = (SATURATION if kind == "tanh" else 2 * SATURATION - 1) ** 2 / 3
    return min(1.0, max(0.0, (y2 - rest) / (1 - rest)))


def _units(g, nums, lay, kinds):
    """{unit: [node ids]} of the activation nodes of ``kinds``, and each unit's kind."""
    units, kind_of = {}, {}
    act = lay.activation
    for i in [i for i, a in enumerate(act) if a]:
        a = act[i]
        if a in kinds:
            key = (lay.unit[i] or f"node {i}", a)
            units.setdefault(key, []).append(i)
            kind_of[key] = a
    return units, kind_of


def _activations(g, nums, lay, codes, findings):
    """Dead ReLU and saturated tanh/sigmoid units; returns {layer: (units, dead, saturated)}."""
    units, kind_of = _units(g, nums, lay, ("relu", "tanh", "sigmoid"))
    per_layer = {}
    dead_by_layer, sat_by_layer = {}, {}
    for key, ids in units.items():
        kind = kind_of[key]
        layer = lay.layer[ids[0]]
        t = per_layer.setdefault(layer, [0, 0, 0])
        t[0] += 1
        if kind == "relu":
            mx = nums.v_max[ids]
            if np.all(np.isfinite(mx)) and np.all(mx == 0):
                t[1] += 1
                codes[ids] |= BIT["dead"]
                dead_by_layer.setdefault(layer, []).extend(ids)
        else:
            fr = [_saturated_fraction(nums, i, kind) for i in ids]
            weights = [nums.v_count[i] if math.isfinite(nums.v_count[i]) else 1.0 for i in ids]
            known = [(f, w) for f, w in zip(fr, weights) if math.isfinite(f)]
            if known and sum(f * w for f, w in known) / sum(w for _, w in known) > SATURATED_FRACTION:
                t[2] += 1
                codes[ids] |= BIT["saturated"]
                sat_by_layer.setdefault(layer, []).extend(ids)
    for layer, ids in dead_by_layer.items():
        total, dead = per_layer[layer][0], per_layer[layer][1]
        where = f"layer {layer}" if layer else "outside any layer"
        findings.append(Finding("dead", layer, tuple(ids), f"dead ReLU: {dead} of {total} relu unit(s) in "
                                f"{where} output 0 for every sample, so no gradient passes them"))
    for layer, ids in sat_by_layer.items():
        total, sat = per_layer[layer][0], per_layer[layer][2]
        where = f"layer {layer}" if layer else "outside any layer"
        findings.append(Finding("saturated", layer, tuple(ids), f"saturated: {sat} of {total} unit(s) in {where} "
                                f"sit beyond |{SATURATION}| for most samples (slope near 0)"))
    return per_layer


def _gradients(g, nums, lay, codes, findings, notes):
    """Vanishing and exploding layers and gradients; returns the layer rows' numbers."""
    scales = _layer_scale(g, nums, lay)
    rows = []
    live = [k for k, (r, _, _) in enumerate(scales) if math.isfinite(r) and r > 0]
    ref = scales[live[-1]][0] if live else math.nan
    if len(lay.names) < 2:
        notes.append("one layer or none: vanishing and exploding need two to compare")
    for k, name in enumerate(lay.names):
        rms, on, outs = scales[k]
        nxt = scales[k + 1][0] if k + 1 < len(scales) else math.nan
        ratio = rms / ref if math.isfinite(rms) and ref > 0 else math.nan
        factor = rms / nxt if math.isfinite(rms) and math.isfinite(nxt) and nxt > 0 else math.nan
        flags = []
        if len(lay.names) >= 2 and math.isfinite(ratio):
            if ratio < VANISHING:
                flags.append("vanishing")
                codes[outs] |= BIT["vanishing"]
                findings.append(Finding("vanishing", name, tuple(outs.tolist()),
                                        f"vanishing gradient: layer {name} gets {num(ratio, 3)} of the "
                                        f"last layer's gradient (RMS {num(rms)} vs {num(ref)}; below {VANISHING:g})"))
            elif ratio > EXPLODING:
                flags.append("exploding")
                codes[outs] |= BIT["exploding"]
                findings.append(Finding("exploding", name, tuple(outs.tolist()),
                                        f"exploding gradient: layer {name} gets {num(ratio, 3)}x the last "
                                        f"layer's gradient (RMS {num(rms)} vs {num(ref)}; above {EXPLODING:g})"))
        rows.append((rms, on, ratio, factor, flags))
    with np.errstate(invalid="ignore"):
        rms = np.sqrt(nums.g_sq / nums.g_count)
        big = np.flatnonzero(np.isfinite(rms) & (rms > EXPLODING_GRAD))
    if len(big):
        codes[big] |= BIT["exploding"]
        findings.append(Finding("exploding", "", tuple(big.tolist()),
                                f"exploding gradient: {len(big)} node(s) have a gradient above "
                                f"{EXPLODING_GRAD:g}, the largest {node_name(g, int(big[np.argmax(rms[big])]))} "
                                f"({num(float(rms[big].max()))})"))
    return rows


def health(x: Root) -> HealthReport:
    """Flag the nodes and layers of ``x`` whose values or gradients are unhealthy: non-finite,
    vanishing, exploding, dead ReLUs, saturated tanh/sigmoid (thresholds: the module's constants).

    ``x``: a root Value (gradviz's, micrograd's, a learner's), a Graph (``trace``, ``from_torch``,
    ``capture_torch(...).graph()``, an exported program's or a JAX capture's) or a capture. Reads
    only: no Value changes. Gradients are checked only once ``backward()`` has run.
    """
    g = graph_of(x, "health")
    nums = Numbers(g)
    lay = Layers(g)
    codes = np.zeros(len(g), np.uint8)
    findings, notes = [], []
    bad = np.flatnonzero(nums.v_bad | nums.g_bad)
    if len(bad):
        codes[bad] |= BIT["nonfinite"]
        first = int(bad[0])
        findings.append(Finding("nonfinite", lay.layer[first], tuple(bad.tolist()),
                                f"non-finite: {len(bad)} node(s) hold NaN or inf, the first in forward order "
                                f"{node_name(g, first)} (first_nonfinite(x) says where it began)"))
    per_layer = _activations(g, nums, lay, codes, findings)
    if nums.has_grads():
        grads = _gradients(g, nums, lay, codes, findings, notes)
    else:
        notes.append("no gradients yet: call backward() to check vanishing and exploding gradients")
        grads = [(math.nan, "", math.nan, math.nan, [])] * len(lay.names)
    layer_code, _ = lay.codes()
    layers = []
    flagged_by_layer = {}
    for f in findings:
        if f.layer:
            flagged_by_layer.setdefault(f.layer, set()).add(f.kind)
    for k, name in enumerate(lay.names):
        rms, on, ratio, factor, _ = grads[k]
        units, dead, sat = per_layer.get(name, (0, 0, 0))
        flags = tuple(f for f in FLAGS if f in flagged_by_layer.get(name, ()))
        members = layer_code == k
        if flags:
            codes[members] |= BIT["layer"]
        layers.append(LayerHealth(name, int(members.sum()), rms, on, ratio, factor, units, dead, sat, flags))
    return HealthReport(g, codes, findings, layers, notes, lay.how)
