"""``to_model_explorer``: hand a graph to Google's Model Explorer (``pip install
ai-edge-model-explorer``), which lays out very large graphs in WebGL, folds them by namespace and
colours nodes by per-node numbers (node-data overlays).

Writes two kinds of JSON files, in the formats Model Explorer's loader reads:

- the graph: a graph collection ``{"label", "graphs": [{"id", "nodes": [...]}]}``, a node per
  gradviz node (``id`` = the node id as text, ``label`` = its label or op, ``namespace`` = its scope,
  so modules, layers and neurons fold), its operands as ``incomingEdges``, and op, kind, shape,
  dtype, value and gradient summaries as ``attrs`` (shown in the side panel);
- one node-data file per overlay, ``{"name", "results": {node id: {"value": number}},
  "gradient": [...]}``: ``data`` and ``grad`` of a gradviz graph; for a tensor graph (PyTorch, JAX)
  summaries such as ``value.mean``, ``value.norm``, ``grad.norm``. Nodes without a finite number
  have no entry (Model Explorer then shows nothing rather than a made-up 0).

Open them with ``model-explorer graph.json --node_data_paths=graph.grad.json,...`` (the
``command`` of the returned ``ModelExplorerFiles``), or drop the files on its page.
"""
from __future__ import annotations

import json
import math
import os
import re
import shlex
from typing import TYPE_CHECKING, Any, NamedTuple

from ..graph.snapshot import Graph
from ..graph.trace import as_graph

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..graph.types import PathLike

__all__ = ["to_model_explorer", "ModelExplorerFiles", "overlay_names"]

STATS = ("mean", "std", "min", "max", "norm")
TENSOR_DEFAULT = ("value.mean", "value.norm", "grad.norm")
SCALAR_DEFAULT = ("data", "grad")
# Model Explorer colours a node by where its value sits between the overlay's min (stop 0) and max
GRADIENT = [{"stop": 0, "bgColor": "#e3f2fd"}, {"stop": 0.5, "bgColor": "#90caf9"},
            {"stop": 1, "bgColor": "#1565c0", "textColor": "#ffffff"}]


class ModelExplorerFiles(NamedTuple):
    """What ``to_model_explorer`` wrote: the graph file, the node-data file of each overlay, and
    the shell command that opens them in Model Explorer."""

    graph: str
    overlays: dict
    command: str


def _is_tensor_graph(g):
    return g.source != "gradviz"


def overlay_names(g: Graph) -> list[str]:
    """The overlays a graph offers: ``data``, ``grad`` (gradviz graphs) or ``value.<stat>``,
    ``grad.<stat>`` for stat in mean, std, min, max, norm (tensor graphs)."""
    if _is_tensor_graph(g):
        return [f"{w}.{s}" for w in ("value", "grad") for s in STATS]
    return list(SCALAR_DEFAULT)


def _overlay_values(g, name):
    """Per node id, the overlay's number (finite ones only)."""
    out = {}
    if name in ("data", "grad"):
        col = (g.data if name == "data" else g.grad).tolist()
        for i, v in enumerate(col):
            if math.isfinite(v):
                out[str(i)] = v
        return out
    what, stat = name.split(".")
    scalar = (g.data if what == "value" else g.grad).tolist()
    for i, m in enumerate(g.meta):
        s = m.get(what)
        v = s.get(stat) if s else None
        if v is None and math.isfinite(scalar[i]):
            v = abs(scalar[i]) if stat == "norm" else scalar[i] if stat != "std" else None
        if v is not None and math.isfinite(v):
            out[str(i)] = v
    return out


def _fmt(x):
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def _summary_text(s):
    if not s:
        return ""
    if "values" in s and len(s["values"]) <= 6:
        vals = ", ".join(_fmt(float(v)) for v in s["values"])
        return vals if len(s["values"]) == 1 else f"[{vals}]"
    return ", ".join(f"{k} {_fmt(s[k])}" for k in STATS if k in s)


def _attrs(g, i):
    m = g.meta[i]
    a = [("op", g.ops[i] or "leaf"), ("kind", g.kinds[i]), ("scope", g.scopes[i])]
    if g.labels[i]:
        a.insert(0, ("label", g.labels[i]))
    if _is_tensor_graph(g):
        if "shape" in m:
            a.append(("shape", "×".join(map(str, m["shape"])) if m["shape"] else "scalar"))
        for key in ("dtype", "function", "primitive", "module", "source", "name"):
            if m.get(key):
                a.append((key, str(m[key])))
        for key in ("value", "grad"):
            if m.get(key):
                a.append((key, _summary_text(m[key])))
    else:
        a += [("data", _fmt(float(g.data[i]))), ("grad", _fmt(float(g.grad[i])))]
    return [{"key": k, "value": str(v)} for k, v in a if v != ""]


def _namespace(scope):
    """A scope as a Model Explorer namespace: ``/``-separated, no empty parts."""
    return "/".join(p for p in scope.split("/") if p)


def graph_json(g: Graph, name: str) -> dict[str, Any]:
    """Model Explorer's graph collection for ``g`` (a dict, ready for ``json.dump``)."""
    nodes = []
    for i in range(len(g)):
        m = g.meta[i]
        node = {"id": str(i), "label": g.labels[i] or g.ops[i] or "leaf",
                "namespace": _namespace(g.scopes[i]), "attrs": _attrs(g, i),
                "incomingEdges": [{"sourceNodeId": str(c), "sourceNodeOutputId": "0",
                                   "targetNodeInputId": str(k)} for k, c in enumerate(g.children[i])]}
        if "shape" in m:
            node["outputsMetadata"] = [{"id": "0", "attrs": [
                {"key": "shape", "value": "×".join(map(str, m["shape"])) if m["shape"] else "scalar"}]
                + ([{"key": "dtype", "value": str(m["dtype"])}] if m.get("dtype") else [])}]
        nodes.append(node)
    return {"label": name, "graphs": [{"id": name, "nodes": nodes}]}


def _as_graph(x, inputs, loss):
    """A Graph from any of what to_model_explorer takes."""
    if isinstance(x, Graph):
        return x
    mod = type(x).__module__ or ""
    if type(x).__name__ == "TorchCapture":
        return x.graph()
    if mod.startswith("torch"):
        from ..pytorch.autograd import from_torch
        if type(x).__name__ == "Tensor":
            return from_torch(x)
        return from_torch(x, inputs=inputs, loss=loss)
    if inputs is not None or loss is not None:
        raise TypeError("inputs= and loss= are for exported programs (torch.export); a gradviz "
                        "graph has already run")
    try:
        return as_graph(x)
    except TypeError:
        raise TypeError(f"to_model_explorer takes a root Value, a Graph (trace, from_torch, "
                        f"capture_torch(...).graph(), capture_jax), a TorchCapture or a "
                        f"torch.export ExportedProgram, got {type(x).__name__!r}") from None


def _stem(path):
    p = os.fspath(path)
    if not isinstance(p, str):
        raise TypeError(f"path must be a str or os.PathLike of a str, got {type(path).__name__!r}")
    return p[:-5] if p.lower().endswith(".json") else p


def to_model_explorer(x: Any, path: PathLike, overlays: Sequence[str] | None = None, name: str | None = None,
                      *, inputs: Sequence[Any] | None = None,
                      loss: Callable[..., Any] | None = None) -> ModelExplorerFiles:
    """Write ``x`` for Google's Model Explorer: the graph JSON at ``path`` and one node-data JSON
    per overlay beside it (``graph.grad.json``); see the module docstring.

    ``x``: a root Value, a Graph (from ``trace``, ``from_torch``, ``capture_jax``), a
    ``TorchCapture``, or an ``ExportedProgram``/``fx.GraphModule`` (run as ``from_torch`` runs it,
    with ``inputs``/``loss``). ``overlays``: names from ``overlay_names(graph)``; by default
    ``data`` and ``grad`` (gradviz graphs) or ``value.mean``, ``value.norm``, ``grad.norm``
    (tensor graphs). ``name``: the graph's title (default: the file's name).
    Returns a ``ModelExplorerFiles`` (``graph``, ``overlays``, ``command``).
    """
    g = _as_graph(x, inputs, loss)
    stem = _stem(path)
    title = str(name) if name is not None else os.path.basename(stem) or "gradviz"
    offered = overlay_names(g)
    chosen = list(TENSOR_DEFAULT if _is_tensor_graph(g) else SCALAR_DEFAULT) if overlays is None else overlays
    if isinstance(chosen, str):
        chosen = [chosen]
    bad = [o for o in chosen if o not in offered]
    if bad:
        raise ValueError(f"unknown overlay {bad[0]!r} for this graph; it offers {', '.join(offered)}")
    graph_path = stem + ".json"
    with open(graph_path, "w", encoding="utf-8") as f:
        json.dump(graph_json(g, title), f, ensure_ascii=False, allow_nan=False)
    written = {}
    for o in chosen:
        p = f"{stem}.{re.sub(r'[^A-Za-z0-9_-]', '-', o)}.json"
        doc = {"name": o, "results": {k: {"value": v} for k, v in _overlay_values(g, o).items()},
               "gradient": GRADIENT}
        with open(p, "w", encoding="utf-8") as f:
            json.dump(doc, f, allow_nan=False)
        written[o] = p
    command = "model-explorer " + shlex.quote(graph_path)
    if written:
        command += " --node_data_paths=" + shlex.quote(",".join(written.values()))
    return ModelExplorerFiles(graph_path, written, command)
