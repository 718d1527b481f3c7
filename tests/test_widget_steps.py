"""The widget's Backprop mode, Python side: the steps it sends, backprop(k), paths(leaf)."""
from __future__ import annotations

import json
import re
import struct

import pytest

from gradviz import GraphWidget, Value, to_html
from gradviz.widget_steps import EAGER_STEPS, decode_steps, grads_after
from tests.test_backprop import LValue, lecture_graph, neuron


def bits(x):
    return struct.pack("<d", x)


def test_lecture_widget_sends_steps_and_walks_them():
    L, v = lecture_graph()
    w = GraphWidget(L)
    before = [(x.data, x.grad) for x in L.topo()]
    d = decode_steps(w._steps)
    g = w.graph
    assert [g.labels[i] for i in d["node"]] == ["L", "d", "e"]
    assert d["grad"] == [1.0, -2.0, -2.0]
    n = len(g)
    assert grads_after(d, n, 0) == [1.0 if i == n - 1 else None for i in range(n)]
    after1 = grads_after(d, n, 1)
    assert after1[g.labels.index("d")] == -2.0 and after1[g.labels.index("f")] == 4.0
    assert after1[g.labels.index("a")] is None  # not reached yet: blank in the page
    final = grads_after(d, n, d["k"])
    assert [bits(x) for x in final] == [bits(x) for x in w.grad]
    w.backprop(2)
    assert w.backprop_step == 2
    w.backprop(None)
    assert w.backprop_step == -1
    with pytest.raises(ValueError, match="between 0 and 3"):
        w.backprop(4)
    with pytest.raises(TypeError, match="k must be an int"):
        w.backprop(1.5)
    assert [(x.data, x.grad) for x in L.topo()] == before


def test_paths_view_of_the_neuron():
    o, v = neuron()
    w = GraphWidget(o)
    paths = w.paths("x1")
    assert w.paths_leaf == w.graph.labels.index("x1")
    assert f"{paths.total:.4f}" == f"{paths.grad:.4f}" == "-1.5000"
    assert repr(paths[0]).startswith("-3 × 1 × 1 × 0.5 = -1.5")
    assert w.paths(None) is None and w.paths_leaf == -1


def test_steps_follow_a_nudge():
    L, v = lecture_graph()
    w = GraphWidget(L)
    w.nudge("a", 1.0)
    d = decode_steps(w._steps)
    assert d["data"][w.graph.labels.index("a")] == 3.0
    assert grads_after(d, len(w.graph), d["k"]) == w.grad.tolist()


def test_big_graph_sends_steps_when_asked():
    x = Value(0.5, label="x")
    y = x
    for _ in range(EAGER_STEPS + 10):
        y = y * 1.0001
    w = GraphWidget(y)
    assert w._steps == {}
    w._on_msg(w, {"type": "backprop", "k": 0, "req": 1}, [])
    assert w.error == "" and w.backprop_step == 0 and w._steps["k"] == EAGER_STEPS + 10


def test_learner_bug_in_the_widget_and_values_stay():
    a = LValue(3.0, label="a")
    b = a + a; b.label = "b"
    w = GraphWidget(b, recompute=False)
    d = decode_steps(w._steps)
    assert d["closure"] == [1] and d["amount"] == [1.0]
    assert "the chain rule for + gives 2" in d["notes"][0][1]
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_standalone_page_carries_the_steps():
    L, _ = lecture_graph()
    text = to_html(L)
    state = json.loads(re.search(r'<script type="application/json" id="gradviz-state">(.*?)</script>', text, re.S).group(1))
    assert state["state"]["_steps"]["k"] == 3
