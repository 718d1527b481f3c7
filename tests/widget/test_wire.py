"""gradviz.widget.wire: what GraphWidget sends the page, encoded and decoded back; and the widget's table
of page messages (each type's handler, the ack the page waits for)."""
import math
import types

import numpy as np
import pytest

from gradviz import MLP, Value, trace
from gradviz.draw import placement
from gradviz.draw.layout import layout, short_label
from gradviz.widget import GraphWidget, wire
from testenv import lecture_L


@pytest.mark.parametrize("distinct, dtype", [(1, "uint8"), (256, "uint8"), (257, "uint16"),
                                             (65536, "uint16"), (65537, "int32")])
def test_coded_columns_keep_order_and_pick_the_smallest_index(distinct, dtype):
    rng = np.random.default_rng(distinct)
    col = [f"s{k}" for k in range(distinct)] + [f"s{k}" for k in rng.integers(0, distinct, 500).tolist()]
    c = wire.coded(col)
    assert c["dtype"] == dtype and len(c["table"]) == distinct and c["table"] == sorted(c["table"])
    assert len(c["index"]) == len(col) * np.dtype(dtype).itemsize
    assert wire.decode_column(c) == col


def test_the_widget_sends_scopes_coded_as_wire_coded_does():
    """The scopes column goes from the grouping's cached codes: the same bytes as ``coded``."""
    random_model = MLP(2, [3, 1])
    loss = sum((random_model([0.5 * i, -1.0]) for i in range(3)), Value(0.0))
    w = GraphWidget(loss)
    assert w._structure["scopes"] == wire.coded(w.graph.scopes)
    assert wire.decode_column(w._structure["scopes"]) == list(w.graph.scopes)


def test_coded_column_keeps_hostile_and_unicode_strings_as_they_are():
    col = ["", "</script><b>x", 'a"b', "ünï ∂L/∂w", "", "\n"]
    assert wire.decode_column(wire.coded(col)) == col


def test_values_travel_exactly_as_float64():
    a = np.array([0.1, -0.0, math.nan, math.inf, -math.inf, 5e-324, 1 / 3, 1e308])
    back = np.frombuffer(wire.floats(a), dtype="<f8")
    assert back.tobytes() == a.astype("<f8").tobytes()  # bit for bit, -0.0 and NaN included
    assert np.signbit(back[1])


def test_coordinates_and_ids_travel_as_float32_and_int32():
    assert np.frombuffer(wire.f32([1.5, -2.25]), dtype="<f4").tolist() == [1.5, -2.25]
    assert np.frombuffer(wire.i32(np.array([0, 7, 2**31 - 1])), dtype="<i4").tolist() == [0, 7, 2**31 - 1]


def test_sizes_as_a_table_until_too_many_distinct_values():
    a = np.array([40.004, 40.0, 52.5, 40.0, 52.5])
    s = wire.sizes(a)
    assert s["table"] == [40.0, 52.5] and s["dtype"] == "uint8"
    assert np.asarray(s["table"])[np.frombuffer(s["index"], dtype="uint8")].tolist() == [40.0, 40.0, 52.5, 40.0, 52.5]
    many = np.arange(5000) * 0.5
    assert np.frombuffer(wire.sizes(many), dtype="<f4").tolist() == many.tolist()


def test_jnum_spells_out_what_json_lacks():
    assert [wire.json_number(x) for x in (1.5, math.nan, math.inf, -math.inf, np.float64(-0.0))] == \
        [1.5, "NaN", "Infinity", "-Infinity", -0.0]


def _lay(xs, ws, op_x, op_w):
    """A layout stand-in: box centres on y = 10 * i, op ellipses where op_x is finite."""
    n = len(xs)
    return types.SimpleNamespace(x=np.array(xs, float), y=np.arange(n) * 10.0, w=np.array(ws, float),
                                 op_x=np.array(op_x, float), op_y=np.arange(n) * 10.0, op_w=np.array(op_w, float))


def test_bent_routes_keeps_only_the_routes_the_page_cannot_draw_itself():
    lay = _lay([0, 100, 200], [20, 20, 20], [math.nan, 80, math.nan], [0, 10, 0])
    edges = np.array([[0, 1], [1, 2], [0, 2]])
    # edge 0: straight from 0's right side to 1's op ellipse; edge 1: straight to 2's record;
    # edge 2: bends through a third point
    routes = [[10, 0, 75, 10], [110, 10, 190, 20], [10, 0, 100, 40, 190, 20]]
    ptr = np.concatenate([[0], np.cumsum([len(r) for r in routes])])
    keep, rptr, pts = placement.bent_routes(lay, edges, ptr, np.array(sum(routes, []), float))
    assert keep.tolist() == [2] and rptr.tolist() == [0, 6] and pts.tolist() == routes[2]
    routes[0][3] = 12  # edge 0 now ends off its default point: sent too
    keep, rptr, pts = placement.bent_routes(lay, edges, ptr, np.array(sum(routes, []), float))
    assert keep.tolist() == [0, 2] and rptr.tolist() == [0, 4, 10] and pts.tolist() == routes[0] + routes[2]
    assert [len(x) for x in placement.bent_routes(lay, np.zeros((0, 2), int), np.zeros(1, int), np.zeros(0))] == [0, 1, 0]


def test_as_slots_maps_edges_to_operand_slots_or_says_they_differ():
    a = Value(2.0, label="a")
    g = trace(a * a + a)  # a*a has two operand slots with the same child
    cp = np.asarray(g.child_ptr)
    slots_edges = np.stack([np.asarray(g.child_ids), np.repeat(np.arange(len(g)), np.diff(cp))], axis=1)
    perm = np.array([3, 0, 2, 1])
    slot = wire.as_slots(g, slots_edges[perm])
    assert slot is not None and sorted(slot.tolist()) == [0, 1, 2, 3]
    assert (slots_edges[slot] == slots_edges[perm]).all()
    assert wire.as_slots(g, slots_edges[:2]) is None                       # one slot missing
    assert wire.as_slots(g, np.array([[0, 1], [0, 1], [1, 2]])) is None    # not the graph's slots


def test_exponents_are_sent_as_data_for_the_constant_powers_only():
    """The widget's structure carries each ``**k`` node's exponent, read by ``ops.split_op`` (NaN
    and infinities included), as ids + float64; the page reads no number out of an op name."""
    from gradviz.graph import Graph
    from gradviz.ops import split_op
    names = ["", "**2.0", "**2", "**-1.5", "**nan", "**-inf", "**", "**two", "*", "exp"]
    col = wire.exponents(wire.coded(names))
    got = wire.decode_exponents(col)
    want = {i: split_op(s)[1] for i, s in enumerate(names) if split_op(s)[1] is not None}
    assert sorted(got) == sorted(want) == [1, 2, 3, 4, 5]
    assert all(repr(got[i]) == repr(want[i]) for i in want)  # nan and -inf survive
    assert np.frombuffer(col["ids"], dtype="<i4").tolist() == [1, 2, 3, 4, 5]  # ascending
    assert wire.exponents(wire.coded(["", "+", "**"])) == {"ids": b"", "k": b""}  # none: empty

    x = Value(3.0, label="x")
    w = GraphWidget((x ** 2) * x ** -0.5 + x ** Value(2.0))
    s = w._structure
    assert s["version"] == 2
    assert wire.decode_exponents(s["exponents"]) == {i: split_op(o)[1] for i, o in enumerate(w.graph.ops)
                                                      if split_op(o)[1] is not None}
    assert sorted(wire.decode_exponents(s["exponents"]).values()) == [-0.5, 2.0]
    # a graph loaded from JSON sends the same column (its op names are all it has)
    g = Graph.from_json(w.graph.to_json())
    assert GraphWidget(g)._structure["exponents"] == s["exponents"]


def test_encode_view_round_trips_through_decode_view():
    L, v = lecture_L()
    g = trace(L)
    lay = layout(g)
    edges = np.array(lay.edges, dtype=np.int64).reshape(-1, 2)
    ptr = np.asarray(lay.route_ptr, dtype=np.int64) * 2
    pts = np.asarray(lay.route_xy, dtype=np.float64).ravel()
    bent = placement.bent_routes(lay, edges, ptr, pts)
    view = wire.encode_view(g, lay, (lay.x, lay.y, lay.op_x, lay.op_y, lay.width, lay.height), edges, bent,
                            [], short_label)
    assert view["identity"] and view["edges"] is None and view["op_box"] is None  # taken from the structure
    out = wire.decode_view(view, g)
    assert np.allclose(out["box_x"], lay.x, atol=1e-3) and np.allclose(out["box_y"], lay.y, atol=1e-3)
    assert out["box_title"] == list(g.labels)
    got = sorted(zip(out["edge_src"], out["edge_dst"]))
    assert got == sorted(map(tuple, edges.tolist()))
    for k, (s, d) in enumerate(zip(out["edge_src"], out["edge_dst"])):
        e = next(j for j, (a, b) in enumerate(edges.tolist()) if (a, b) == (s, d))
        route = pts[ptr[e]:ptr[e + 1]]
        if out["edge_pts"][k] is not None:
            assert np.allclose(out["edge_pts"][k], route, atol=1e-3)


def test_a_folded_view_sends_its_boxes_groups_and_edges():
    import random
    random.seed(3)
    m = MLP(2, [3, 1])
    out = m([1.0, -2.0])
    key = next(s for s in trace(out).scopes if s).split("/")[0]  # the MLP call, e.g. "MLP#4"
    w = GraphWidget(out, collapsed=[key])
    view = w._view
    d = wire.decode_view(view, w.graph)
    assert not view["identity"] and view["collapsed"] == [key]
    n = view["n"]
    assert n < len(w.graph) and len(d["box_node"]) == len(d["box_x"]) == len(d["box_title"]) == n
    assert d["box_group"].count(key) == 1 and d["box_size"][d["box_group"].index(key)] > 1
    assert len(d["edge_src"]) == len(d["edge_dst"]) == len(d["edge_pts"]) > 0
    assert all(0 <= b < n for b in d["edge_src"] + d["edge_dst"])


# ---- the widget's page messages -------------------------------------------------------------------

def _sends(w):
    """Record the state updates the widget sends (key lists), as the comm would carry them
    (ipywidgets sends nothing for an empty set of keys)."""
    sent = []

    def send_state(key=None):
        keys = [key] if isinstance(key, str) else sorted(w.keys if key is None else key)
        if keys:
            sent.append(keys)
    w.send_state = send_state
    return sent


def test_each_page_message_runs_its_handler_and_acks_in_the_same_update():
    L, v = lecture_L()
    w = GraphWidget(L)
    sent = _sends(w)
    a = w.graph.labels.index("a")
    w._on_msg(w, {"type": "set", "values": {str(a): 3.0}, "req": 5}, [])
    assert v["a"].data == 3.0 and w._ack == 5 and w.error == ""
    assert len(sent) == 1 and {"_data", "_grad", "_ack", "last_nudge"} <= set(sent[0])
    w._on_msg(w, {"type": "reset", "req": 6}, [])
    assert v["a"].data == 2.0 and w._ack == 6
    w._on_msg(w, {"type": "step", "lr": 0.1, "req": 7}, [])
    assert v["a"].data == pytest.approx(2.0 - 0.1 * 6.0) and w._ack == 7


def test_an_ack_equal_to_the_last_is_still_sent():
    L, v = lecture_L()
    w = GraphWidget(L)
    sent = _sends(w)
    w._on_msg(w, {"type": "hello", "req": 9}, [])
    w._on_msg(w, {"type": "hello", "req": 9}, [])  # e.g. a second view whose ids collided
    assert sent == [["_ack"], ["_ack"]]


def test_an_unknown_or_failing_message_shows_an_error_and_is_still_acked():
    L, v = lecture_L()
    w = GraphWidget(L)
    sent = _sends(w)
    w._on_msg(w, {"type": "explode", "req": 3}, [])
    assert "unknown message" in w.error and "'explode'" in w.error and "set" in w.error and w._ack == 3
    assert sent and "_ack" in sent[-1]
    before = v["a"].data
    w._on_msg(w, {"type": "set", "values": {"0": "NaN"}, "req": 4}, [])
    assert w._ack == 4 and "number" in w.error and v["a"].data == before
    w._on_msg(w, {"type": "set", "values": {str(len(w.graph) - 1): 1.0}, "req": 5}, [])
    assert w._ack == 5 and "not a leaf" in w.error
