"""The Values are the truth: the widget never writes old numbers over what Python changed, it
re-reads them on refresh(), several widgets over the same Values agree, a closed widget refuses."""
import json
import math
import time

import numpy as np
import pytest

from gradviz import Value
from gradviz.widget import GraphWidget
from gradviz.widget import session as widget_mod
from testenv import lecture_L


def arr(b):
    return np.frombuffer(b, dtype=np.float64)


def msg(w, **content):
    w._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def test_python_change_then_nudge_keeps_the_python_value():
    L, v = lecture_L()
    w = GraphWidget(L)
    v["a"].data = 4.0
    w.nudge("b", 0.0)
    assert v["a"].data == 4.0 and L.data == -((4.0 * -3.0) + 10.0) * 2.0
    assert arr(w._data)[w._resolve("a")] == 4.0
    # the last change reports against the picture the Values stood for (a = 4), not the old one
    assert w.last_nudge["before"] == 4.0 and w.last_nudge["actual"] == 0.0


def test_nudge_adds_to_the_python_value_and_page_set_keeps_other_leaves():
    L, v = lecture_L()
    w = GraphWidget(L)
    v["a"].data = 5.0
    w.nudge("a", 1.0)
    assert v["a"].data == 6.0
    v["c"].data = 0.0
    msg(w, type="set", values={str(w._resolve("f")): 1.0}, req=3)
    assert (v["a"].data, v["c"].data, v["f"].data) == (6.0, 0.0, 1.0)
    assert L.data == 6.0 * -3.0 + 0.0


def test_reset_returns_to_the_values_last_taken_from_python():
    L, v = lecture_L()
    w = GraphWidget(L)
    w.nudge("a", 1.0)                 # the widget's own change: reset undoes it
    v["b"].data = -1.0                # Python's change: reset keeps it
    w.reset()
    assert (v["a"].data, v["b"].data) == (2.0, -1.0)
    assert L.data == ((2.0 * -1.0) + 10.0) * -2.0
    w.refresh()                       # refresh takes everything as it is
    w.nudge("c", 5.0)
    w.reset()
    assert (v["a"].data, v["b"].data, v["c"].data) == (2.0, -1.0, 10.0)


def test_step_starts_from_python_leaves_and_grads():
    L, v = lecture_L()
    w = GraphWidget(L)
    v["a"].data = 3.0   # Python changed a, no backward: the step uses grads of the a = 3 picture
    w.step(0.1)
    # at a=3: dL/da = b*f = 6, dL/db = a*f = -6, dL/dc = f = -2, dL/df = a*b + c = 1
    assert math.isclose(v["a"].data, 3.0 - 0.6) and math.isclose(v["b"].data, -3.0 + 0.6)
    assert math.isclose(v["c"].data, 10.2) and math.isclose(v["f"].data, -2.1)


def test_two_widgets_over_one_graph_agree():
    L, v = lecture_L()
    w1, w2 = GraphWidget(L), GraphWidget(L)
    ia, ib, ic = (w1._resolve(k) for k in "abc")
    msg(w1, type="set", values={str(ia): 2.5}, req=1)
    assert v["a"].data == 2.5 and L.data == -5.0
    assert arr(w2._data)[-1] == -5.0 and arr(w2._data)[ia] == 2.5  # w2 shows w1's change
    msg(w2, type="set", values={str(ib): -2.0}, req=1)
    assert (v["a"].data, v["b"].data, L.data) == (2.5, -2.0, -((2.5 * -2.0) + 10.0) * 2.0)
    assert arr(w1._data)[-1] == L.data and arr(w1._data)[ib] == -2.0
    msg(w1, type="set", values={str(ic): 12.0}, req=2)
    assert (v["a"].data, v["b"].data, v["c"].data) == (2.5, -2.0, 12.0)
    assert arr(w2._data)[-1] == L.data == -((2.5 * -2.0) + 12.0) * 2.0
    assert "another widget" in w2.last_nudge["what"]
    # w1's reset undoes w1's own changes (a, c), never w2's (b)
    w1.reset()
    assert (v["a"].data, v["b"].data, v["c"].data) == (2.0, -2.0, 10.0)
    assert arr(w2._data)[-1] == L.data


def test_widget_over_a_subgraph_follows_changes_made_through_the_whole():
    L, v = lecture_L()
    wd = GraphWidget(v["d"])
    wL = GraphWidget(L)
    wL.set("a", 1.0)
    assert arr(wd._data)[-1] == v["d"].data == 7.0
    unrelated = GraphWidget(Value(1.0, label="z") * 2)
    before = unrelated._data
    wL.set("a", 0.0)
    assert unrelated._data is before  # a widget over other Values is left alone


def test_refresh_reads_every_node_as_it_is_without_forward_or_backward():
    L, v = lecture_L()
    w = GraphWidget(L)
    v["a"].data = 100.0          # no forward: L still holds -8
    v["e"].grad = 123.0          # a hand-set grad
    widget_mod.REFRESH_INTERVAL, old = 0.0, widget_mod.REFRESH_INTERVAL
    try:
        w.refresh()
    finally:
        widget_mod.REFRESH_INTERVAL = old
    d, g = arr(w._data), arr(w._grad)
    ids = {k: i for i, k in enumerate(w.graph.labels)}
    assert d[ids["a"]] == 100.0 and d[ids["L"]] == -8.0 and g[ids["e"]] == 123.0
    assert v["a"].data == 100.0 and L.data == -8.0 and v["e"].grad == 123.0  # nothing written
    assert w.last_nudge["kind"] == "refresh" and "values inside are stale" in w._stale  # a moved, L did not


def test_refresh_is_throttled_and_the_last_call_is_sent():
    L, v = lecture_L()
    w = GraphWidget(L)
    sent = []
    w.observe(lambda ch: sent.append(arr(ch["new"])[-1]), names="_data")
    w._sent_at = -math.inf
    for k in range(50):
        v["a"].data = float(k)
        L.data = float(k)
        w.refresh()
    assert 1 <= len(sent) < 50 and sent[0] == 0.0
    assert w._pending                       # the last calls wait for their turn ...
    w._after_cell()                          # ... and go at the end of the cell
    assert sent[-1] == 49.0 and not w._pending
    time.sleep(widget_mod.REFRESH_INTERVAL)
    v["a"].data = 7.0; L.data = 7.0
    w.refresh()                              # after the interval a call goes at once
    assert sent[-1] == 7.0


def test_the_default_shows_values_as_they_are_and_recomputing_is_an_action():
    # the lecture's manual backprop: grads start at 0 and are filled in by hand
    x = Value(2.0, label="x"); y = x * 3; y.label = "y"
    y.grad = 5.0; x.grad = 123.0
    for w in (GraphWidget(y), GraphWidget(y, recompute=False)):
        g = arr(w._grad)
        assert (g[w._resolve("x")], g[-1]) == (123.0, 5.0) and (x.grad, y.grad) == (123.0, 5.0)
    GraphWidget(y, recompute=True)  # the old keyword: recomputes once, as asked
    assert (x.grad, y.grad) == (3.0, 1.0)
    x.grad = 7.0
    w = GraphWidget(y)
    assert x.grad == 7.0
    w.recompute()
    assert x.grad == 3.0 and arr(w._grad)[w._resolve("x")] == 3.0 and w.last_nudge["kind"] == "recompute"
    x.grad = 9.0
    msg(w, type="recompute", req=1)  # the page's Recompute button
    assert x.grad == 3.0 and w._ack == 1


def test_page_is_told_when_its_picture_is_stale():
    L, v = lecture_L()
    w = GraphWidget(L)
    w._after_cell()
    assert w._stale == ""
    v["b"].grad = 99.0
    w._after_cell()
    assert "refresh" in w._stale
    w.nudge("a", 0.0)
    assert w._stale == ""


def test_closed_widget_raises_a_clear_error():
    L, v = lecture_L()
    w = GraphWidget(L)
    w.close()
    for call in (lambda: w.nudge("a", 1.0), lambda: w.set("a", 1.0), lambda: w.step(),
                 lambda: w.reset(), w.refresh):
        with pytest.raises(RuntimeError, match="closed"):
            call()
    assert v["a"].data == 2.0
    w2 = GraphWidget(L)
    w2.set("a", 3.0)  # a closed widget no longer follows
    assert arr(w._data)[w._resolve("a")] == 2.0


def test_no_nan_or_inf_in_json_traits():
    x = Value(float("nan"), label="x"); k = Value(float("inf"), label="k")
    y = x * k; y.label = "y"
    w = GraphWidget(y)
    w.nudge("k", 1.0)
    for name in ("_structure", "_view", "last_nudge"):
        state = w.get_state(name)[name]
        json.dumps(state, allow_nan=False, default=lambda b: None)
    assert w._structure["control_init"] == ["NaN", "Infinity"] or sorted(map(str, w._structure["control_init"])) == ["Infinity", "NaN"]


def test_one_edge_per_operand_slot():
    a = Value(3.0, label="a")
    b = a + a; b.label = "b"
    c = b * a; c.label = "c"
    view = GraphWidget(c).drawing()
    pairs = list(zip(view["edge_src"], view["edge_dst"]))
    ia, ib = view["box_title"].index("a"), view["box_title"].index("b")
    assert pairs.count((ia, ib)) == 2 and len(pairs) == 4  # a->b twice, a->c, b->c
    routes = [view["edge_pts"][k] for k in range(len(pairs)) if pairs[k] == (ia, ib)]
    assert routes[0] != routes[1] and len(routes[0]) == len(routes[1]) >= 4  # drawn apart


def test_a_big_widget_sharing_values_says_it_is_stale(monkeypatch):
    L, v = lecture_L()
    w1, w2 = GraphWidget(L), GraphWidget(L)
    monkeypatch.setattr(widget_mod, "FOLLOW_MAX", 5)  # the lecture graph counts as big here
    before = w2._data
    w1.set("a", 3.0)
    assert w2._data is before and "another widget" in w2._stale
    w2.nudge("b", 0.0)  # a nudge in the stale widget starts from Python's values
    assert v["a"].data == 3.0 and w2._stale == ""
