"""``trace``: an immutable, columnar snapshot of an expression graph with stable ids.

Node ids run 0..n-1 in topological order (children before parents; the root is last).
Columns (``labels``, ``data``, ``grad``, ``ops``, ``kinds``, ``scopes``, ``children``, ``meta``)
index by id; the children are also kept flat (``child_ptr``/``child_ids``, CSR) for vector code.
``to_json``/``from_json`` and ``to_networkx`` export it; the JSON schema is in the README.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .engine import CONSTANT, Scope, Value

__all__ = ["Graph", "Node", "trace", "as_graph", "to_networkx", "KINDS", "SCHEMA", "SCHEMA_VERSION"]

KINDS = ("input", "parameter", "constant", "intermediate", "output")
SCHEMA = "gradviz.graph"
SCHEMA_VERSION = 1

_EMPTY_META = MappingProxyType({})


@dataclass(frozen=True)
class Node:
    """One value node of a Graph (a read-only view of its columns)."""

    id: int
    label: str
    data: float
    grad: float
    op: str
    kind: str
    scope: str
    children: tuple
    meta: dict = field(default_factory=dict)


def scope_path(s):
    """A Value's scope as a path: ``MLP#7/layers.1/neurons.3`` for a call, the module path for a parameter."""
    if s is None or s is CONSTANT:
        return ""
    if isinstance(s, Scope):
        parts = []
        for c in s.chain():
            name = getattr(c.module, "_path", "")
            parts.append(name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1] if "." in name
                         else f"{type(c.module).__name__}#{c.call}" if not name else name)
        return "/".join(parts)
    path = getattr(s, "_path", "")  # a Module owning a parameter
    return "/".join(_split_path(path)) if path else type(s).__name__


def _split_path(path):
    bits = path.split(".")
    return [".".join(bits[i:i + 2]) for i in range(0, len(bits), 2)]


def _kind(v, is_root):
    if is_root:
        return "output"
    if v._prev:
        return "intermediate"
    s = v._scope
    if s is CONSTANT:
        return "constant"
    if s is not None and not isinstance(s, Scope):
        return "parameter"
    return "input"


def _frozen(a, dtype):
    a = np.array(a, dtype=dtype)
    a.flags.writeable = False
    return a


class Graph:
    """Immutable snapshot of a DAG of scalar values. Build one with ``trace(root)``.

    ``children[i]`` are node i's operands in order (ids < i); ``values`` are the traced Values
    (None for a graph loaded from JSON or PyTorch); ``source`` is ``"gradviz"`` or ``"torch"``.
    """

    def __init__(self, labels, data, grad, ops, kinds, scopes, children, meta=None, values=None,
                 source="gradviz"):
        counts = [len(cs) for cs in children]
        flat = [c for cs in children for c in cs]
        ids = np.array(flat, dtype=np.int64) if flat else np.zeros(0, dtype=np.int64)
        if len(flat) and not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                                 for c in flat):
            raise ValueError("Graph children must be integer node ids")
        ptr = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        parent = np.repeat(np.arange(len(counts)), counts)
        bad = np.flatnonzero((ids < 0) | (ids >= parent))
        if len(bad):
            p = int(parent[bad[0]])
            raise ValueError(f"node {p} has child {int(ids[bad[0]])}; children must be ids of earlier "
                             f"nodes (ids are in topological order, children first)")
        self._init(labels, data, grad, ops, kinds, scopes, ptr, ids, meta, values, source)

    @classmethod
    def _from_csr(cls, labels, data, grad, ops, kinds, scopes, ptr, ids, meta=None, values=None,
                  source="gradviz"):
        g = cls.__new__(cls)
        g._init(labels, data, grad, ops, kinds, scopes, ptr, ids, meta, values, source)
        return g

    def _init(self, labels, data, grad, ops, kinds, scopes, ptr, ids, meta, values, source):
        self.labels = tuple(labels)
        n = len(self.labels)
        self.data = _frozen(data, np.float64)
        self.grad = _frozen(grad, np.float64)
        self.ops = tuple(ops)
        self.kinds = tuple(kinds)
        self.scopes = tuple(scopes)
        self.child_ptr = _frozen(ptr, np.int64)   # node i's children: child_ids[child_ptr[i]:child_ptr[i+1]]
        self.child_ids = _frozen(ids, np.int64)
        self._children = None
        if meta is None:
            self.meta = (_EMPTY_META,) * n
        else:
            self.meta = tuple(_EMPTY_META if not m else MappingProxyType(dict(m)) for m in meta)
        self.values = tuple(values) if values is not None else None  # the traced Values, if any
        self.source = source
        sizes = {len(c) for c in (self.data, self.grad, self.ops, self.kinds, self.scopes, self.meta)}
        if sizes != {n} or len(self.child_ptr) != n + 1 or (self.values is not None and len(self.values) != n):
            raise ValueError("Graph columns have different lengths; every column needs one entry per node")

    @property
    def children(self):
        """Operand ids of every node, as a tuple of tuples (built on first use)."""
        if self._children is None:
            ids, ptr = self.child_ids.tolist(), self.child_ptr.tolist()
            self._children = tuple([tuple(ids[a:b]) for a, b in zip(ptr[:-1], ptr[1:])])
        return self._children

    def __len__(self):
        return len(self.labels)

    @property
    def root(self):
        return len(self.labels) - 1

    def node(self, i):
        return Node(i, self.labels[i], float(self.data[i]), float(self.grad[i]), self.ops[i],
                    self.kinds[i], self.scopes[i], self.children[i], self.meta[i])

    @property
    def nodes(self):
        return [self.node(i) for i in range(len(self))]

    @property
    def edges(self):
        """(child id, parent id) for every operand of every op, in operand order."""
        return [(c, p) for p, cs in enumerate(self.children) for c in cs]

    def leaves(self):
        return np.flatnonzero(self.child_ptr[1:] == self.child_ptr[:-1]).tolist()

    def __repr__(self):
        if not len(self):
            return "<Graph of 0 values>"
        return f"<Graph of {len(self)} values, root {self.labels[-1] or self.ops[-1]!r}>"

    # ---- JSON --------------------------------------------------------------------------------

    def to_json(self, indent=None):
        """This graph as JSON text (schema ``gradviz.graph`` version 1, see the README); no Values."""
        metas = [dict(m) if m else {} for m in self.meta]
        for i, m in enumerate(metas):
            if m:
                metas[i] = _encode_meta(m, i)
        doc = {
            "schema": SCHEMA, "version": SCHEMA_VERSION, "source": self.source, "n": len(self),
            "labels": list(self.labels), "ops": list(self.ops), "kinds": list(self.kinds),
            "scopes": list(self.scopes),
            "data": _encode_floats(self.data), "grad": _encode_floats(self.grad),
            "children": [list(c) for c in self.children],
            "meta": metas if any(metas) else None,
        }
        return json.dumps(doc, indent=indent, allow_nan=False, ensure_ascii=False)

    @classmethod
    def from_json(cls, s):
        """A Graph from ``to_json`` text (or its parsed dict). Checks the schema and the shape."""
        doc = json.loads(s) if isinstance(s, (str, bytes, bytearray)) else s
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise ValueError(f"not a gradviz graph: expected a JSON object with \"schema\": \"{SCHEMA}\" "
                             f"(made by Graph.to_json)")
        if doc.get("version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported gradviz graph schema version {doc.get('version')!r}; this "
                             f"gradviz reads version {SCHEMA_VERSION}: upgrade gradviz or re-export")
        n = doc.get("n")
        cols = ("labels", "ops", "kinds", "scopes", "data", "grad", "children")
        for c in cols:
            if not isinstance(doc.get(c), list) or len(doc[c]) != n:
                raise ValueError(f"gradviz graph JSON: column {c!r} must be a list of n={n} entries")
        children = doc["children"]
        if not all(isinstance(cs, list) for cs in children):
            raise ValueError("gradviz graph JSON: 'children' must be a list of lists of node ids")
        bad = sorted(set(doc["kinds"]) - set(KINDS))
        if bad:
            raise ValueError(f"gradviz graph JSON: unknown kind {bad[0]!r}; kinds are {', '.join(KINDS)}")
        meta = doc.get("meta")
        if meta is not None:
            if not isinstance(meta, list) or len(meta) != n:
                raise ValueError(f"gradviz graph JSON: 'meta' must be null or a list of n={n} objects")
            meta = [_decode_meta(m) if m else {} for m in meta]
        try:
            return cls(doc["labels"], _decode_floats(doc["data"], "data"),
                       _decode_floats(doc["grad"], "grad"), doc["ops"], doc["kinds"], doc["scopes"],
                       children, meta=meta, source=doc.get("source", "gradviz"))
        except ValueError as e:
            raise ValueError(f"gradviz graph JSON: {e}") from None


_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _float_text(x):
    return "NaN" if x != x else "Infinity" if x > 0 else "-Infinity"


def _encode_floats(a):
    out = a.tolist()
    for i in np.flatnonzero(~np.isfinite(a)).tolist():
        out[i] = _float_text(out[i])
    return out


def _decode_floats(xs, name):
    try:
        return np.array([_NONFINITE[x] if isinstance(x, str) else x for x in xs], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"gradviz graph JSON: column {name!r} must hold numbers or the strings "
                         f"\"NaN\", \"Infinity\", \"-Infinity\"") from None


def _encode_meta(x, node, key=None):
    """Meta values as JSON: tuples as {"$tuple": [...]}, non-finite floats as {"$float": "NaN"}."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        return float(x) if math.isfinite(x) else {"$float": _float_text(x)}
    if isinstance(x, tuple):
        return {"$tuple": [_encode_meta(v, node, key) for v in x]}
    if isinstance(x, list):
        return [_encode_meta(v, node, key) for v in x]
    if isinstance(x, (dict, MappingProxyType)):
        bad = [k for k in x if not isinstance(k, str)]
        if bad:
            raise TypeError(f"meta of node {node} has a non-string key {bad[0]!r}; JSON keys must be strings")
        out = {k: _encode_meta(v, node, k) for k, v in x.items()}
        return {"$dict": out} if len(out) == 1 and next(iter(out)) in ("$tuple", "$float", "$dict") else out
    raise TypeError(f"meta of node {node} (key {key!r}) holds a {type(x).__name__}, which JSON cannot "
                    f"store exactly; use None, bool, int, float, str, list, tuple or dict (e.g. str(x))")


def _decode_meta(x):
    if isinstance(x, list):
        return [_decode_meta(v) for v in x]
    if isinstance(x, dict):
        if len(x) == 1:
            (k, v), = x.items()
            if k == "$tuple":
                return tuple(_decode_meta(e) for e in v)
            if k == "$float":
                return _NONFINITE[v]
            if k == "$dict":
                return {kk: _decode_meta(vv) for kk, vv in v.items()}
        return {k: _decode_meta(v) for k, v in x.items()}
    return x


# ---- tracing -------------------------------------------------------------------------------

def trace(root):
    """Snapshot the graph below ``root`` (a Value; a Graph is returned as is). Iterative.

    A graph whose ``_prev`` was edited into a cycle raises the engine's cycle error.
    """
    if isinstance(root, Graph):
        return root
    if not isinstance(root, Value):
        raise TypeError(f"trace() takes a Value or a Graph, got {type(root).__name__!r}")
    order = root.topo()
    n = len(order)
    # Number the nodes in their ``_g`` slot (the engine's per-pass scratch, None outside a pass):
    # reading an attribute is several times faster than a dict of ids on big graphs.
    try:
        for i, v in enumerate(order):
            v._g = i
        a = np.array([-1 if v._a is None else v._a._g for v in order], dtype=np.int64)
        b = np.array([-1 if v._b is None or v._a is None else v._b._g for v in order], dtype=np.int64)
    finally:
        for v in order:
            v._g = None
    ids = np.stack([a, b], axis=1).ravel()
    ids = ids[ids >= 0]  # operands in order: a then b
    counts = (a >= 0).astype(np.int64) + (b >= 0)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    scopes = _scope_paths([v._scope for v in order])
    leaf = ptr[1:] == ptr[:-1]
    kinds = ["intermediate"] * n
    for i in np.flatnonzero(leaf).tolist():
        kinds[i] = _kind(order[i], False)
    kinds[-1] = "output"
    return Graph._from_csr(
        labels=[v.label for v in order],
        data=[v.data for v in order],
        grad=[v.grad for v in order],
        ops=[v._op for v in order],
        kinds=kinds, scopes=scopes, ptr=ptr, ids=ids, values=order,
    )


def _scope_paths(raw):
    """``scope_path`` of every scope, computed once per distinct scope object."""
    try:
        paths = {s: scope_path(s) for s in dict.fromkeys(raw)}
        return [paths[s] for s in raw]
    except TypeError:  # a module type that is not hashable
        paths = {}
        return [paths[id(s)] if id(s) in paths else paths.setdefault(id(s), scope_path(s)) for s in raw]


def as_graph(x):
    """``x`` as a Graph: a root Value is traced, a Graph is returned unchanged."""
    if isinstance(x, Graph):
        return x
    if isinstance(x, Value):
        return trace(x)
    raise TypeError(f"expected a root Value or a Graph (from gradviz.trace, Graph.from_json or "
                    f"gradviz.from_torch), got {type(x).__name__!r}")


def to_networkx(x):
    """A ``networkx.DiGraph`` of the value nodes of ``x`` (a root Value or a Graph).

    Node ids are the Graph ids, with attributes label, data, grad, op, kind, scope (and meta when
    present). Edges run child -> parent with ``operand`` (the first operand slot) and ``operands``
    (all slots: ``a + a`` is one edge with operands (0, 1)). Op nodes are drawing elements, not nodes.
    """
    try:
        import networkx as nx
    except ImportError:
        raise ImportError('to_networkx needs networkx: pip install "gradviz-explorer[export]"') from None
    g = as_graph(x)
    G = nx.DiGraph(source=g.source, root=g.root if len(g) else None)
    data, grad = g.data.tolist(), g.grad.tolist()
    G.add_nodes_from(
        (i, {"label": g.labels[i], "data": data[i], "grad": grad[i], "op": g.ops[i],
             "kind": g.kinds[i], "scope": g.scopes[i], **({"meta": dict(g.meta[i])} if g.meta[i] else {})})
        for i in range(len(g)))
    for p, cs in enumerate(g.children):
        for slot, c in enumerate(cs):
            if G.has_edge(c, p):
                G.edges[c, p]["operands"] += (slot,)
            else:
                G.add_edge(c, p, operand=slot, operands=(slot,))
    return G
