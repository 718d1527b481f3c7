"""Taking a Graph: ``trace`` reads gradviz's Values (or another engine's, see ``graph/foreign.py``)
iteratively into a ``Graph``; ``as_graph`` accepts either; ``to_networkx`` exports one."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..engine import _ARITY, CONSTANT, PASS_LOCK, Scope, Value
from ..ops import CUSTOM, split_op
from .foreign import VALUE_LIKE, is_value_like, trace_foreign
from .snapshot import Graph

if TYPE_CHECKING:
    import networkx

    from .types import Root

__all__ = ["trace", "as_graph", "to_networkx", "scope_path", "engine_ops"]


def scope_path(s):
    """A Value's scope as a path: ``MLP#7/layers.1/neurons.3`` for a call, the module path for a parameter."""
    if s is None or s is CONSTANT:
        return ""
    if isinstance(s, Scope):
        return "/".join(map(_call_part, s.chain()))
    path = getattr(s, "_path", "")  # a Module owning a parameter
    return "/".join(_split_path(path)) if path else type(s).__name__


def _call_part(c):
    """One module call of a Scope chain as a path part: ``MLP#7``, ``layers.1``, ``neurons.3``."""
    name = getattr(c.module, "_path", "")
    return (name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1] if "." in name
            else f"{type(c.module).__name__}#{c.call}" if not name else name)


def _call_paths(scopes, paths):
    """``scope_path`` of each Scope in ``scopes`` into ``paths``, a call's path built on its
    parent's (the calls of a layer share one sample's path, computed once). Iterative."""
    for s in scopes:
        todo = []
        while s is not None and s not in paths:
            todo.append(s)
            s = s.parent
        base = "" if s is None else paths[s]
        for c in reversed(todo):
            base = paths[c] = f"{base}/{_call_part(c)}" if base else _call_part(c)


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


# ---- tracing -------------------------------------------------------------------------------

def trace(root: Root) -> Graph:
    """Snapshot the graph below ``root`` (a Value; a Graph is returned as is). Iterative.

    A graph whose ``_prev`` was edited into a cycle raises the engine's cycle error.
    """
    if isinstance(root, Graph):
        return root
    if not isinstance(root, Value):
        if is_value_like(root):
            return trace_foreign(root)
        raise TypeError(_not_a_graph("trace() takes a root Value or a Graph (a Value of gradviz, of "
                                     "micrograd, or any object with data, grad, _prev and _op)", root))
    with PASS_LOCK:  # the numbering below uses the nodes' _g slot, as a backward pass does
        return _trace_values(root)


def _trace_values(root):
    order = root.topo()
    n = len(order)
    # Number the nodes in their ``_g`` slot (the engine's per-pass scratch, None outside a pass):
    # reading an attribute is several times faster than a dict of ids on big graphs.
    many = {}  # node id -> children ids, for custom ops with more than two children
    try:
        for i, v in enumerate(order):
            v._g = i
        a = np.array([-1 if v._a is None else v._a._g if type(v._a) is not tuple else -2
                      for v in order], dtype=np.int64)
        b = np.array([-1 if v._b is None or v._a is None or type(v._a) is tuple else v._b._g
                      for v in order], dtype=np.int64)  # (with a tuple, _b is a custom op's closure)
        for i in np.flatnonzero(a == -2).tolist():
            many[i] = [c._g for c in order[i]._a]
    finally:
        for v in order:
            v._g = None
    if many:
        kids = [[] if x < 0 else [x] if y < 0 else [x, y] for x, y in zip(a.tolist(), b.tolist())]
        for i, cs in many.items():
            kids[i] = cs
        counts = np.array([len(k) for k in kids], dtype=np.int64)
        ids = np.array([c for k in kids for c in k], dtype=np.int64)
    else:
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
    ops = [v._op for v in order]
    return Graph._from_csr(
        labels=[v.label for v in order],
        data=[v.data for v in order],
        grad=[v.grad for v in order],
        ops=ops, kinds=kinds, scopes=scopes, ptr=ptr, ids=ids, values=order,
        meta=_backward_marks(order, ops, leaf, many),
    )


def _backward_marks(order, ops, leaf, tupled):
    """Meta ``{"backward": ...}`` for nodes whose gradient is not a built-in rule: ``"custom"``
    (a lecture-style ``_backward`` closure) or ``"none"`` (an op gradviz does not know and no
    closure: it passes no gradient). None when every op is built in. ``tupled``: the ids of nodes
    whose children are a tuple, the only ones that can hold a closure (see ``Value._backward``)."""
    known = set(engine_ops()) | {name for name, c in CUSTOM.items() if c.derivatives is not None}
    unknown = {op for op in set(ops) if op not in known and not _is_power_op(op)}
    marks = {i: "custom" for i in tupled if order[i]._backward is not None}
    if unknown - {""}:
        for i in np.flatnonzero(~leaf).tolist():
            if ops[i] in unknown and i not in marks:
                marks[i] = "none"
    if not marks:
        return None
    meta = [None] * len(order)
    for i, how in marks.items():
        meta[i] = {"backward": how}
    return meta


def engine_ops():
    """The op names of gradviz's built-in ops (``**<number>`` aside)."""
    return tuple(_ARITY)


def _is_power_op(op):
    return split_op(op)[1] is not None


def _scope_paths(raw):
    """``scope_path`` of every scope, computed once per distinct scope object."""
    try:
        distinct = dict.fromkeys(raw)
        paths = {}
        _call_paths([s for s in distinct if type(s) is Scope], paths)
        paths.update((s, scope_path(s)) for s in distinct if s not in paths)
        return [paths[s] for s in raw]
    except TypeError:  # a module type that is not hashable
        paths = {}
        return [paths[id(s)] if id(s) in paths else paths.setdefault(id(s), scope_path(s)) for s in raw]


def as_graph(x: Root) -> Graph:
    """``x`` as a Graph: a root Value (gradviz's, micrograd's, or any object with ``data``,
    ``grad``, ``_prev`` and ``_op``) is traced, a Graph is returned unchanged."""
    if isinstance(x, Graph):
        return x
    if isinstance(x, Value) or is_value_like(x):
        return trace(x)
    raise TypeError(_not_a_graph("expected a root Value or a Graph (from gradviz.trace, "
                                 "Graph.from_json or gradviz.from_torch)", x))


def _not_a_graph(what, x):
    t = type(x)
    name = f"{t.__module__}.{t.__qualname__}" if t.__module__ not in ("builtins", None) else t.__qualname__
    hint = ""
    if hasattr(x, "grad_fn") and hasattr(x, "detach"):
        hint = "; for a PyTorch tensor use gradviz.from_torch(tensor)"
    elif hasattr(x, "data") and hasattr(x, "_prev"):
        missing = [a for a in VALUE_LIKE if not hasattr(x, a)]
        hint = f"; it looks like a Value but has no {', '.join(missing)}"
    return f"{what}, got {name!r}{hint}"


def to_networkx(x: Root) -> networkx.DiGraph:
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
