"""``Graph``: an immutable, columnar snapshot of an expression graph with stable ids (``trace``
in ``graph/trace.py`` takes one).

Node ids run 0..n-1 in topological order (children before parents; the root is last).
Columns (``labels``, ``data``, ``grad``, ``ops``, ``kinds``, ``scopes``, ``children``, ``meta``)
index by id; the children are also kept flat (``child_ptr``/``child_ids``, CSR) for vector code.
``to_json``/``from_json`` (here) and ``to_networkx`` (``graph/trace.py``) export it; the JSON schema is in the README.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import ArrayLike


__all__ = ["Graph", "Node", "KINDS", "SCHEMA", "SCHEMA_VERSION"]

KINDS = ("input", "parameter", "constant", "intermediate", "output")
SCHEMA = "gradviz.graph"
SCHEMA_VERSION = 1
SOURCES = ("gradviz", "torch", "jax")  # where a graph came from; torch and jax nodes are tensors

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


def _float_array(x, name):
    """A read-only float64 column; an int beyond the float range is a ValueError naming the node."""
    col = _float_column(x, name)
    try:
        return _frozen(col, np.float64)
    except OverflowError:
        i = next(i for i, v in enumerate(col) if isinstance(v, int) and not _fits_float(v))
        raise ValueError(f"{name!r} of node {i} is an integer of {len(str(abs(col[i])))} digits, beyond "
                         f"the float range (about 1.8e308); {name} holds floats") from None


def _fits_float(v):
    try:
        float(v)
    except OverflowError:
        return False
    return True


def _check_drawable(ops, labels, ptr, meta):
    """Refuse graphs that nothing can draw: a leaf with an op (an op needs operands), nodes that are
    all disconnected, a meta "backward" mark that is not a string."""
    n = len(ops)
    leaves = np.flatnonzero(ptr[1:] == ptr[:-1]).tolist()
    bad = next((i for i in leaves if ops[i]), None)
    if bad is not None:
        name = f" ({_short(labels[bad])})" if labels[bad] else ""
        raise ValueError(f"node {bad}{name} is a leaf (no children) with op {_short(ops[bad])}; an op needs "
                         f"its operands: give the node its children, or make its op \"\" (a leaf)")
    if n > 1 and len(leaves) == n:
        raise ValueError(f"the {n} nodes are all disconnected (no node has children); a graph is the "
                         f"expression below its root, the last node: give the root its children")
    if meta is not None:
        for i, m in enumerate(meta):
            if m and "backward" in m and not isinstance(m["backward"], str):
                raise ValueError(f"'meta' of node {i} has \"backward\": {_short(m['backward'])}; it is "
                                 f"a string (\"custom\" or \"none\") or absent")


def _frozen(a, dtype):
    a = np.array(a, dtype=dtype)
    a.flags.writeable = False
    return a


class Graph:
    """Immutable snapshot of a DAG of scalar values. Build one with ``trace(root)``.

    ``children[i]`` are node i's operands in order (ids < i); ``values`` are the traced Values
    (None for a graph loaded from JSON or PyTorch); ``source`` is ``"gradviz"``, ``"torch"`` or ``"jax"`` (a tensor graph).
    """

    def __init__(self, labels: Sequence[str], data: ArrayLike, grad: ArrayLike, ops: Sequence[str],
                 kinds: Sequence[str], scopes: Sequence[str], children: Sequence[Sequence[int]],
                 meta: Sequence[Mapping[str, Any] | None] | None = None, values: Sequence[Any] | None = None,
                 source: str = "gradviz") -> None:
        for i, cs in enumerate(children):
            if not isinstance(cs, (list, tuple, np.ndarray)):
                raise ValueError(f"'children' of node {i} is {_short(cs)}; give a list of node ids")
        counts = [len(cs) for cs in children]
        flat = [c for cs in children for c in cs]
        if len(flat) and not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool)
                                 for c in flat):
            i, c = next((i, c) for i, cs in enumerate(children) for c in cs
                        if not isinstance(c, (int, np.integer)) or isinstance(c, bool))
            raise ValueError(f"'children' of node {i} holds {_short(c)}; children must be integer node ids")
        if len(flat) and not all(-2 ** 62 < c < 2 ** 62 for c in flat):
            i, c = next((i, c) for i, cs in enumerate(children) for c in cs if not -2 ** 62 < c < 2 ** 62)
            raise ValueError(f"node {i} has child {c}; children must be ids of earlier nodes")
        ids = np.array(flat, dtype=np.int64) if flat else np.zeros(0, dtype=np.int64)
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
        self.data = _float_array(data, "data")
        self.grad = _float_array(grad, "grad")
        self.ops = tuple(ops)
        self.kinds = tuple(kinds)
        self.scopes = tuple(scopes)
        _check_text(self.labels, "labels")
        _check_text(self.ops, "ops")
        _check_text(self.scopes, "scopes")
        if not set(self.kinds) <= _KIND_SET:
            i, k = next((i, k) for i, k in enumerate(self.kinds) if k not in _KIND_SET)
            raise ValueError(f"node {i} has kind {_short(k)}; kinds are {', '.join(KINDS)}")
        if source not in SOURCES:
            raise ValueError(f"source is {_short(source)}; it is 'gradviz', 'torch' or 'jax'")
        if meta is not None:
            meta = list(meta)
            for i, m in enumerate(meta):
                if m is not None and not isinstance(m, (dict, MappingProxyType)):
                    raise ValueError(f"'meta' of node {i} is {_short(m)}; give a dict (or None)")
                if m:
                    _check_meta(m, i)
        self.child_ptr = _frozen(ptr, np.int64)   # node i's children: child_ids[child_ptr[i]:child_ptr[i+1]]
        self.child_ids = _frozen(ids, np.int64)
        _check_drawable(self.ops, self.labels, self.child_ptr, meta)
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
    def children(self) -> tuple[tuple[int, ...], ...]:
        """Operand ids of every node, as a tuple of tuples (built on first use)."""
        if self._children is None:
            ids, ptr = self.child_ids.tolist(), self.child_ptr.tolist()
            self._children = tuple([tuple(ids[a:b]) for a, b in zip(ptr[:-1], ptr[1:])])
        return self._children

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n(self) -> int:
        """The node count, ``len(g)`` (the JSON's ``n``)."""
        return len(self.labels)

    @property
    def root(self) -> int:
        return len(self.labels) - 1

    def node(self, i: int) -> Node:
        return Node(i, self.labels[i], float(self.data[i]), float(self.grad[i]), self.ops[i],
                    self.kinds[i], self.scopes[i], self.children[i], self.meta[i])

    @property
    def nodes(self) -> list[Node]:
        return [self.node(i) for i in range(len(self))]

    @property
    def edges(self) -> list[tuple[int, int]]:
        """(child id, parent id) for every operand of every op, in operand order."""
        return [(c, p) for p, cs in enumerate(self.children) for c in cs]

    def leaves(self) -> list[int]:
        return np.flatnonzero(self.child_ptr[1:] == self.child_ptr[:-1]).tolist()

    def __repr__(self):
        if not len(self):
            return "<Graph of 0 values>"
        return f"<Graph of {len(self)} values, root {self.labels[-1] or self.ops[-1]!r}>"

    # ---- JSON --------------------------------------------------------------------------------

    def to_json(self, indent: int | None = None) -> str:
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
    def from_json(cls, s: str | bytes | bytearray | dict[str, Any]) -> Graph:
        """A Graph from ``to_json`` text (or its parsed dict). Checks everything: a malformed
        document is a ``ValueError`` naming the key (and node) at fault."""
        if isinstance(s, (str, bytes, bytearray)):
            try:
                doc = json.loads(s)
            except RecursionError:
                raise ValueError("gradviz graph JSON: nested too deeply to read") from None
        else:
            doc = s
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise ValueError(f"not a gradviz graph: expected a JSON object with \"schema\": \"{SCHEMA}\" "
                             f"(made by Graph.to_json)")
        v = doc.get("version")
        if type(v) is not int or v != SCHEMA_VERSION:
            raise ValueError(f"unsupported gradviz graph schema version {_short(v)}; this gradviz reads "
                             f"version {SCHEMA_VERSION}: upgrade gradviz or re-export")
        n = doc.get("n")
        if type(n) is not int or n < 0:
            raise ValueError(f"gradviz graph JSON: 'n' is {_short(n)}; it must be the node count (an integer >= 0)")
        for c in ("labels", "ops", "kinds", "scopes", "data", "grad", "children"):
            if not isinstance(doc.get(c), list) or len(doc[c]) != n:
                raise ValueError(f"gradviz graph JSON: column {c!r} must be a list of n={n} entries")
        for c in ("labels", "ops", "kinds", "scopes"):
            bad = next((i for i, x in enumerate(doc[c]) if type(x) is not str), None)
            if bad is not None:
                raise ValueError(f"gradviz graph JSON: {c!r} of node {bad} is {_short(doc[c][bad])}; "
                                 f"{c} are strings")
        source = doc.get("source", "gradviz")
        if source not in SOURCES:
            raise ValueError(f"gradviz graph JSON: 'source' is {_short(source)}; it is \"gradviz\", \"torch\" or \"jax\"")
        meta = doc.get("meta")
        if meta is not None:
            if not isinstance(meta, list) or len(meta) != n:
                raise ValueError(f"gradviz graph JSON: 'meta' must be null or a list of n={n} objects")
            for i, m in enumerate(meta):
                if m is not None and not isinstance(m, dict):
                    raise ValueError(f"gradviz graph JSON: 'meta' of node {i} is {_short(m)}; "
                                     f"each entry is an object or null")
            meta = [_decode_meta(m, i) if m else {} for i, m in enumerate(meta)]
        try:
            return cls(doc["labels"], _decode_floats(doc["data"], "data"),
                       _decode_floats(doc["grad"], "grad"), doc["ops"], doc["kinds"], doc["scopes"],
                       doc["children"], meta=meta, source=source)
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
    for i, x in enumerate(xs):
        if type(x) is int and not _fits_float(x):
            raise ValueError(f"gradviz graph JSON: {name!r} of node {i} is an integer of {len(str(abs(x)))} "
                             f"digits, beyond the float range (about 1.8e308); {name} holds floats")
        if not (type(x) in (int, float) and math.isfinite(x) or type(x) is str and x in _NONFINITE):
            raise ValueError(f"gradviz graph JSON: {name!r} of node {i} is {_short(x)}; {name} holds "
                             f"finite numbers or the strings \"NaN\", \"Infinity\", \"-Infinity\"")
    return np.array([_NONFINITE[x] if type(x) is str else x for x in xs], dtype=np.float64)


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


META_DEPTH = 32  # meta nests at most this deep (lists, tuples, dicts), on the way in and out


def _decode_meta(x, node):
    """JSON meta back to Python (tuples, non-finite floats, tagged dicts). Iterative, depth-bounded."""
    where = f"'meta' of node {node}"
    root = [None]
    todo = [(x, root, 0, 1)]  # (JSON value, container, index/key, depth)
    while todo:
        v, into, key, depth = todo.pop()
        if depth > META_DEPTH:
            raise ValueError(f"gradviz graph JSON: {where} nests deeper than {META_DEPTH} levels")
        if isinstance(v, list):
            out = [None] * len(v)
            todo += [(e, out, j, depth + 1) for j, e in enumerate(v)]
        elif isinstance(v, dict):
            tag = next(iter(v)) if len(v) == 1 else None
            body = v[tag] if tag else None
            if tag == "$tuple":
                if not isinstance(body, list):
                    raise ValueError(f"gradviz graph JSON: {where}: \"$tuple\" holds {_short(body)}; "
                                     f"it must hold a list")
                out = [None] * len(body)
                into[key] = out
                todo.append((None, into, key, -1))  # popped after its items: make it a tuple
                todo += [(e, out, j, depth + 1) for j, e in enumerate(body)]
                continue
            if tag == "$float":
                if not (type(body) is str and body in _NONFINITE):
                    raise ValueError(f"gradviz graph JSON: {where}: \"$float\" holds {_short(body)}; "
                                     f"it must be \"NaN\", \"Infinity\" or \"-Infinity\"")
                into[key] = _NONFINITE[body]
                continue
            if tag == "$dict":
                if not isinstance(body, dict):
                    raise ValueError(f"gradviz graph JSON: {where}: \"$dict\" holds {_short(body)}; "
                                     f"it must hold an object")
                v = body
            out = dict.fromkeys(v)  # keys in the document's order (the stack fills them last first)
            todo += [(e, out, k, depth + 1) for k, e in v.items()]
        elif depth == -1:  # the tuple marker
            into[key] = tuple(into[key])
            continue
        elif v is None or type(v) in (bool, int, str) or type(v) is float and math.isfinite(v):
            out = v
        else:
            raise ValueError(f"gradviz graph JSON: {where} holds {_short(v)}, which is not JSON")
        into[key] = out
    return root[0]


def _check_meta(m, node):
    """Meta a Graph can store and export: bounded nesting, text that UTF-8 can encode. Keys and
    texts are gathered and checked at once (a capture's meta holds thousands of them)."""
    keys, texts = [], []
    todo = [(m, 1)]
    while todo:
        v, depth = todo.pop()
        if isinstance(v, (dict, MappingProxyType)):
            keys += [k for k in v if isinstance(k, str)]
            items = v.values()
        else:
            items = v
        if items and depth == META_DEPTH:  # its items sit one level too deep
            raise ValueError(f"'meta' of node {node} nests deeper than {META_DEPTH} levels")
        for e in items:
            if isinstance(e, str):
                texts.append(e)
            elif isinstance(e, (dict, MappingProxyType, list, tuple)):
                todo.append((e, depth + 1))
    if keys:
        _check_text(keys, f"'meta' key of node {node}", node)
    if texts:
        _check_text(texts, f"'meta' of node {node}", node)


_KIND_SET = frozenset(KINDS)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _short(x, limit=60):
    """``repr(x)``, cut short: error messages name the bad value without printing all of it."""
    r = repr(x)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def _check_text(col, name, node=None):
    """Every entry a str that UTF-8 can encode (no lone surrogates, e.g. half of an emoji)."""
    if not set(map(type, col)) <= {str}:
        i = next(i for i, x in enumerate(col) if type(x) is not str)
        raise ValueError(f"{name!r} of node {i} is {_short(col[i])}; {name} must be strings "
                         f"(convert with str(...))")
    try:
        "".join(col).encode("utf-8")
    except UnicodeEncodeError:
        i = next(i for i, x in enumerate(col) if _SURROGATE.search(x))
        j = node if node is not None else i
        bad = _SURROGATE.search(col[i]).group()
        what = name if node is not None else f"{name!r} of node {j}"
        raise ValueError(f"{what} is {_short(col[i])}, which holds a lone surrogate {bad!r} (half of "
                         f"a UTF-16 pair, e.g. a split emoji) that no file or page can encode; remove "
                         f"it, or repair the text with s.encode('utf-16', 'surrogatepass')"
                         f".decode('utf-16')") from None


def _float_column(x, name):
    """A 1-D float column; refuses None, bools, strings and nested lists (numpy would take them)."""
    if isinstance(x, np.ndarray):
        if x.ndim == 1 and x.dtype.kind in "fiu":
            return x
        x = x.tolist() if x.ndim == 1 else x
    if isinstance(x, (list, tuple)) and all(
            t is not bool and issubclass(t, (int, float, np.integer, np.floating)) for t in set(map(type, x))):
        return x
    try:
        items = list(x)
    except TypeError:
        raise ValueError(f"{name!r} must be a list of numbers, got {_short(x)}") from None
    for i, v in enumerate(items):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name!r} of node {i} is {_short(v)}; {name} holds numbers")
    return items
