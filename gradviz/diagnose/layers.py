"""Which layer (and which unit, e.g. neuron) each node of a graph belongs to.

- **gradviz scopes** (``MLP#7/layers.1/neurons.3``): the call part (``MLP#7``, one per sample) is
  dropped, so every sample's nodes of a layer share it; the layer is the module path without its
  last ``neurons.<j>`` (``layers.1``), the unit is the neuron (``layers.1/neurons.3``). A
  parameter's scope is already its module path. A module called directly (a ``Layer`` or a
  ``Neuron`` on its own) is one layer, named by its type.
- **module scopes of a capture** (``Sequential#1/0``, ``ResNet#1/layer1/0/conv1``): the layer is
  the module (the call numbers ``#k`` dropped, so repeated calls share it), and so is the unit.
- **no scopes** (micrograd, a learner's own Value, a hand-built expression): layer k holds the
  nodes after k-1 nonlinearities (tanh, relu, sigmoid) on their longest path from the leaves, up
  to and including the k-th; what follows the last nonlinearity (a loss) is in no layer. An
  activation's unit is the set of leaves added to its pre-activation by ``+`` (the neuron's bias,
  which every sample shares).

Leaves that are not parameters (inputs, constants) and nodes outside every module are in no
layer (``""``).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..graph import Graph

__all__ = ["Layers", "activation_of", "ACTIVATION_OPS"]

# op (or torch/JAX function) names read as each activation, lower-cased
ACTIVATION_OPS = {"tanh": "tanh", "relu": "relu", "relu_": "relu", "sigmoid": "sigmoid",
                  "logistic": "sigmoid", "tanh_": "tanh", "sigmoid_": "sigmoid"}
_CALL = re.compile(r"^([^/#]+)#\d+(?:/|$)")
_NEURON = re.compile(r"(?:^|/)neurons\.\d+$")
_CALLS = re.compile(r"#\d+")


def activation_of(g: Graph, i: int) -> str:
    """``"tanh"``, ``"relu"``, ``"sigmoid"`` if node ``i`` is that activation, else ``""``."""
    op = g.ops[i]
    if not op:
        return ""
    hit = ACTIVATION_OPS.get(op.lower())
    if hit is None and g.source != "gradviz":
        hit = ACTIVATION_OPS.get(g.labels[i].lower())
    return hit or ""


def _activations(g):
    """``activation_of`` of every node, looked up once per distinct (op, label)."""
    cache = {}
    labels = g.labels if g.source != "gradviz" else ("",) * len(g)
    out = []
    for op, label in zip(g.ops, labels):
        hit = cache.get((op, label))
        if hit is None:
            hit = cache[(op, label)] = (ACTIVATION_OPS.get(op.lower()) or (
                ACTIVATION_OPS.get(label.lower()) if label and g.source != "gradviz" else None) or "") if op else ""
        out.append(hit)
    return out


class Layers:
    """``layer[i]`` and ``unit[i]`` of every node (``""``: none), ``names`` in forward order
    (by each layer's first op), ``how`` ("scopes", "modules" or "depth")."""

    def __init__(self, g: Graph) -> None:
        self.graph = g
        self.activation = _activations(g)
        if any(g.scopes):
            if g.source == "gradviz":
                self._from_gradviz_scopes(g)
            else:
                self._from_module_scopes(g)
        else:
            self._from_depth(g)
        self.names = self._forward_order(g)

    def _forward_order(self, g):
        """Layer names by each layer's first op; a layer of leaves only (``from_torch``'s
        parameters) by the first op that uses one (a later layer's weights are traced early)."""
        n = len(g)
        counts = np.diff(g.child_ptr)
        user = np.full(n, n, np.int64)
        if len(g.child_ids):
            np.minimum.at(user, g.child_ids, np.repeat(np.arange(n), counts))
        key = np.where(counts > 0, np.arange(n), user).tolist()
        first = {}
        for i, name in enumerate(self.layer):
            if name and key[i] < first.get(name, n + 1):
                first[name] = key[i]
        return sorted(first, key=first.__getitem__)

    def _from_gradviz_scopes(self, g):
        self.how = "scopes"
        roots = set()
        rel = {}
        for s in set(g.scopes):
            m = _CALL.match(s)
            if m:
                roots.add(m.group(1))
                rel[s] = s[m.end():]
            else:
                rel[s] = s
        root = next(iter(roots)) if len(roots) == 1 else "(model)"
        layer, unit = [""] * len(g), [""] * len(g)
        cache = {}
        for i, s in enumerate(g.scopes):
            if not s or (g.kinds[i] in ("input", "constant")):
                continue
            hit = cache.get(s)
            if hit is None:
                r = rel[s]
                lay = _NEURON.sub("", r)
                hit = cache[s] = (lay or root, r or root)
            layer[i], unit[i] = hit
        self.layer, self.unit = layer, unit

    def _from_module_scopes(self, g):
        self.how = "modules"
        names = {s: _CALLS.sub("", s) for s in set(g.scopes)}
        self.layer = [names[s] if s and g.kinds[i] != "input" else "" for i, s in enumerate(g.scopes)]
        self.unit = list(self.layer)

    def _from_depth(self, g):
        self.how = "depth"
        n = len(g)
        if not any(self.activation):  # no nonlinearity: no layers to tell apart
            self.layer = self.unit = [""] * n
            return
        ptr, ids = g.child_ptr.tolist(), g.child_ids.tolist()
        act = [bool(a) for a in self.activation]
        depth = [0] * n
        for i in range(n):  # ids are topological: children first
            a, b = ptr[i], ptr[i + 1]
            d = max(depth[c] for c in ids[a:b]) if b > a else 0
            depth[i] = d + act[i]
        top = max((depth[i] for i in range(n) if act[i]), default=0)
        layer = [""] * n
        for i in range(n):
            if ptr[i + 1] == ptr[i]:
                continue
            k = depth[i] if act[i] else depth[i] + 1
            if 1 <= k <= top:
                layer[i] = f"depth {k}"
        self.layer = layer
        self.unit = [self._bias_unit(g, i, ptr, ids) if act[i] else "" for i in range(n)]

    @staticmethod
    def _bias_unit(g, i, ptr, ids):
        """The leaves summed into activation ``i``'s input through ``+`` nodes, as a key."""
        leaves, stack, seen = [], list(ids[ptr[i]:ptr[i + 1]]), set()
        while stack:
            c = stack.pop()
            if c in seen:
                continue
            seen.add(c)
            a, b = ptr[c], ptr[c + 1]
            if b == a:
                leaves.append(c)
            elif g.ops[c] == "+":
                stack.extend(ids[a:b])
        return "leaves " + ",".join(map(str, sorted(leaves))) if leaves else f"node {i}"

    def codes(self) -> tuple[np.ndarray, list[str]]:
        """Each node's layer as an index into ``names`` (-1: none), and ``names``."""
        index = {name: k for k, name in enumerate(self.names)}
        index[""] = -1
        return np.fromiter(map(index.__getitem__, self.layer), dtype=np.int64, count=len(self.layer)), self.names
