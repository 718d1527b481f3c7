"""Wire encoding: what ``GraphWidget`` sends the page, as compact JSON and binary buffers.

The page gets each big column as one binary buffer rather than a JSON list, because a list of
300,000 numbers costs a JSON encoder, a JSON parser and a copy per number:

- **values** (``data``/``grad``) travel as float64 bytes, one per node, exactly as Python holds
  them (the page's tooltips and number boxes show full precision);
- **coordinates** as float32 bytes (a drawing needs no more);
- **sizes** (box and ellipse widths and heights, which take few distinct values) as a small table
  and a uint8/uint16 index;
- **string columns** (labels, ops, kinds, scopes) as their distinct strings and an index;
- **exponents** (the constant ``k`` of each ``**k`` node, read from its op name by
  ``gradviz.ops.split_op``) as the ids of those nodes (int32) and their ``k`` (float64), so the
  page never parses an op name;
- **numbers in JSON traits** as JSON numbers, or the strings "NaN", "Infinity", "-Infinity" that
  JSON lacks.

``encode_view`` turns a laid-out view into the ``_view`` trait; ``decode_view`` reads it back as
plain lists (``GraphWidget.drawing()``, tests). The page's decoders are in ``js/src/decode.js``
(``decodeColumn``, ``decodeNumbers``) and ``js/src/scene.js`` (``makeScene``).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["coded", "coded_from_index", "decode_column", "exponents", "decode_exponents", "floats", "f32", "i32",
           "sizes", "json_number", "as_slots", "encode_view", "decode_view"]

VIEW_VERSION = 2


def coded(column):
    """A string column as {"table": distinct strings (sorted), "dtype": "uint8" | "uint16" |
    "int32", "index": bytes}: few distinct strings (ops, kinds, scopes, mostly-empty labels) travel
    small, and as one binary buffer."""
    table = sorted(set(column))
    code = {s: k for k, s in enumerate(table)}
    dt = index_dtype(len(table))
    return {"table": table, "dtype": dt,
            "index": np.fromiter(map(code.__getitem__, column), dtype=dt, count=len(column)).tobytes()}


def coded_from_index(table, code):
    """``coded`` of a column already given as its sorted distinct strings and each entry's index
    into them (e.g. ``grouping.scope_codes``)."""
    dt = index_dtype(len(table))
    return {"table": list(table), "dtype": dt, "index": np.asarray(code).astype(dt).tobytes()}


def decode_column(c):
    """The strings of a ``coded`` column, in order."""
    return [c["table"][k] for k in np.frombuffer(c["index"], dtype=c["dtype"]).tolist()]


def exponents(ops):
    """The constant exponents of a ``coded`` op column: ``{"ids": int32 bytes, "k": float64
    bytes}``, the ascending ids of the ``**k`` nodes (``"**2.0"``, micrograd's ``"**2"``) and each
    one's ``k`` as ``gradviz.ops.split_op`` reads it (NaN and infinities included). Empty when no
    node is a constant power. The page's replay and tooltip take ``k`` from here, never from the
    name."""
    from ..ops import split_op
    ks = [split_op(s)[1] for s in ops["table"]]
    has = np.array([k is not None for k in ks], dtype=bool)
    if not has.any():
        return {"ids": b"", "k": b""}
    index = np.frombuffer(ops["index"], dtype=ops["dtype"])
    ids = np.flatnonzero(has[index])
    table_k = np.array([math.nan if k is None else k for k in ks], dtype=np.float64)
    return {"ids": i32(ids), "k": floats(table_k[index[ids]])}


def decode_exponents(c):
    """``{node id: k}`` of an ``exponents`` column."""
    return dict(zip(np.frombuffer(c["ids"], dtype="<i4").tolist(), np.frombuffer(c["k"], dtype="<f8").tolist()))


def index_dtype(m):
    """The smallest index type for a table of ``m`` entries."""
    return "uint8" if m <= 256 else "uint16" if m <= 65536 else "int32"


def floats(a):
    """Values (data or grad) as float64 bytes: exact, little-endian, one per node."""
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def f32(a):
    """Coordinates as float32 bytes."""
    return np.ascontiguousarray(a, dtype="<f4").tobytes()


def i32(a):
    """Ids and pointers as int32 bytes."""
    return np.ascontiguousarray(a, dtype="<i4").tobytes()


def sizes(a):
    """Box or ellipse sizes (rounded to 0.01 px): a table of the few distinct values and an
    index, or float32 bytes when there are more than 4096 distinct values."""
    a = np.asarray(a, dtype=np.float64)
    table, index = np.unique(np.round(a, 2), return_inverse=True)
    if len(table) > 4096:
        return f32(a)
    dt = index_dtype(len(table))
    return {"table": table.tolist(), "dtype": dt, "index": index.astype(dt).tobytes()}


def json_number(x):
    """A float for a JSON trait: NaN and infinities as the strings "NaN", "Infinity", "-Infinity"
    (JSON has no such numbers; the page reads them back with Number())."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def as_slots(g, edges):
    """For a view of every value: the operand-slot id (position in ``child_ids``) of each edge,
    if the edges are exactly one per slot; else None. Such a view sends no edges: the page takes
    them from the structure's children."""
    n = len(g)
    cp = np.asarray(g.child_ptr, dtype=np.int64)
    key = np.asarray(g.child_ids, dtype=np.int64) * n + np.repeat(np.arange(n, dtype=np.int64), np.diff(cp))
    ekey = edges[:, 0] * n + edges[:, 1] if len(edges) else np.zeros(0, np.int64)
    if len(ekey) != len(key):
        return None
    o_slot, o_edge = np.argsort(key, kind="stable"), np.argsort(ekey, kind="stable")
    if not np.array_equal(key[o_slot], ekey[o_edge]):
        return None
    slot = np.empty(len(ekey), dtype=np.int64)
    slot[o_edge] = o_slot
    return slot


def encode_view(g, lay, place, edges, bent, expanded, short_label):
    """The ``_view`` trait: boxes, op ellipses and edge routes of a laid-out view.

    ``g``: the Graph; ``lay``: its layout (``lay.view`` the grouped view); ``place``: the boxes'
    final (x, y, op_x, op_y, width, height); ``edges``: (E, 2) box ids; ``bent``: the routes that
    are not straight (see ``draw.placement.bent_routes``); ``expanded``: the group keys the user opened;
    ``short_label``: how a long title is cut for the drawing.

    A view of every value (box i is node i, ``identity``) sends no box ids, titles, op names or
    edges when the structure already has them (labels, ops, one edge per operand slot)."""
    v = lay.view
    x, y, op_x, op_y, width, height = place
    n_box = len(lay.x)
    op_box = np.flatnonzero(np.isfinite(lay.op_x))
    identity = (not v.collapsed and n_box == len(g) and not bool(np.asarray(v.is_group).any())
                and np.array_equal(v.node, np.arange(len(g))))
    arity = np.diff(np.asarray(g.child_ptr))
    view = {
        "version": VIEW_VERSION, "width": round(width, 2), "height": round(height, 2),
        "n": n_box, "identity": bool(identity), "rankdir": lay.rankdir,
        "box_x": f32(x), "box_y": f32(y), "box_w": sizes(lay.w), "box_h": sizes(lay.h),
        "op_x": f32(op_x[op_box]), "op_y": f32(op_y[op_box]),
        "op_w": sizes(lay.op_w[op_box]), "op_h": sizes(lay.op_h[op_box]),
        "collapsed": list(v.collapsed), "expanded": list(expanded),
    }
    op_names = [short_label(v.ops[b]) for b in op_box.tolist()]
    if identity and np.array_equal(op_box, np.flatnonzero(arity > 0)):
        view["op_box"] = None  # the page takes the computed values
        if op_names != [g.ops[b] for b in op_box.tolist()]:
            view["op_name"] = coded(op_names)
    else:
        view["op_box"] = i32(op_box)
        view["op_name"] = coded(op_names)
    titles = [short_label(t) for t in v.labels]
    if not identity:
        multi = np.where(v.is_group & (v.n_outputs != 1), v.n_outputs, 0)
        view.update(box_node=i32(v.node), box_group=coded(list(v.keys)), box_size=i32(v.count),
                    box_title=coded(titles), box_multi=i32(multi))
    elif titles != list(g.labels):  # long labels are cut for the drawing
        view["box_title"] = coded(titles)
    slots = as_slots(g, edges) if identity else None
    if slots is not None:  # one edge per operand slot, in the structure's order
        view["edges"] = None
        bent = (slots[bent[0]], bent[1], bent[2])
    else:
        view["edge_src"], view["edge_dst"] = i32(edges[:, 0]), i32(edges[:, 1])
    view["route_edge"], view["route_ptr"], view["route_pts"] = i32(bent[0]), i32(bent[1]), f32(bent[2])
    return view


def decode_view(view, g):
    """The ``_view`` trait as plain lists (see ``GraphWidget.drawing``)."""
    def num(x, dtype="<f4"):
        if isinstance(x, dict):
            return np.asarray(x["table"], dtype=np.float64)[np.frombuffer(x["index"], dtype=x["dtype"])].tolist()
        return np.frombuffer(x, dtype=dtype).tolist()

    n = view["n"]
    out = {k: num(view[k]) for k in ("box_x", "box_y", "box_w", "box_h", "op_x", "op_y", "op_w", "op_h")}
    out["width"], out["height"] = view["width"], view["height"]
    cp = np.asarray(g.child_ptr)
    if view["identity"]:
        out.update(box_node=list(range(n)), box_group=[""] * n, box_size=[1] * n, box_multi=[0] * n,
                   box_title=decode_column(view["box_title"]) if "box_title" in view else list(g.labels))
    else:
        out.update(box_node=num(view["box_node"], "<i4"), box_group=decode_column(view["box_group"]),
                   box_title=decode_column(view["box_title"]), box_size=num(view["box_size"], "<i4"),
                   box_multi=num(view["box_multi"], "<i4"))
    if view["op_box"] is None:
        out["op_box"] = np.flatnonzero(np.diff(cp) > 0).tolist()
        out["op_name"] = decode_column(view["op_name"]) if "op_name" in view else [g.ops[i] for i in out["op_box"]]
    else:
        out["op_box"] = num(view["op_box"], "<i4")
        out["op_name"] = decode_column(view["op_name"])
    if view.get("edges", 0) is None:
        out["edge_src"] = np.asarray(g.child_ids).tolist()
        out["edge_dst"] = np.repeat(np.arange(len(g)), np.diff(cp)).tolist()
    else:
        out["edge_src"], out["edge_dst"] = num(view["edge_src"], "<i4"), num(view["edge_dst"], "<i4")
    ptr = num(view["route_ptr"], "<i4")
    routes = dict(zip(num(view["route_edge"], "<i4"), zip(ptr[:-1], ptr[1:])))
    rp = num(view["route_pts"])
    out["edge_pts"] = [rp[routes[k][0]:routes[k][1]] if k in routes else None for k in range(len(out["edge_src"]))]
    out["collapsed"], out["expanded"] = view["collapsed"], view["expanded"]
    return out
