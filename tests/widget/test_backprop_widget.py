"""The widget's Backprop mode, Python side: the steps it sends, backprop(k), paths(leaf)."""
from __future__ import annotations

import json
import re
import struct

import pytest

from gradviz import GraphWidget, Value, to_html
from gradviz.widget.steps import EAGER_STEPS, decode_steps, grads_after
from learner import SetsInAdd
from testenv import labelled_neuron, lecture_L


def bits(x):
    return struct.pack("<d", x)


def test_lecture_widget_sends_steps_and_walks_them():
    L, v = lecture_L()
    L.backward()  # the widget shows the Values as they are
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
    o, v = labelled_neuron()
    w = GraphWidget(o)
    paths = w.paths("x1")
    assert w.paths_leaf == w.graph.labels.index("x1")
    assert f"{paths.total:.4f}" == f"{paths.grad:.4f}" == "-1.5000"
    assert repr(paths[0]).startswith("-3 × 1 × 1 × 0.5 = -1.5")
    assert w.paths(None) is None and w.paths_leaf == -1


def test_steps_follow_a_nudge():
    L, v = lecture_L()
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
    a = SetsInAdd(3.0, label="a")
    b = a + a; b.label = "b"
    w = GraphWidget(b, recompute=False)
    d = decode_steps(w._steps)
    assert d["closure"] == [1] and d["amount"] == [1.0]
    assert "the chain rule for + gives 2" in d["notes"][0][1]
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_standalone_page_carries_the_steps():
    L, _ = lecture_L()
    text = to_html(L)
    state = json.loads(re.search(r'<script type="application/json" id="gradviz-state">(.*?)</script>', text, re.S).group(1))
    assert state["state"]["_steps"]["k"] == 3


# ---- the page's copy (js/src/backprop.js) is checked on cases this module writes ------------------

CASES = __import__("pathlib").Path(__file__).resolve().parents[2] / "js" / "test" / "steps_cases.json"


def _case(name, root, leaf):
    from gradviz.widget.steps import steps_of
    w = GraphWidget(root)
    g = w.graph
    d = decode_steps(steps_of(g))
    n = len(g)
    leaf_id = g.labels.index(leaf)
    from gradviz.backprop import chain_paths
    paths = chain_paths(g, g.values[leaf_id])
    index = {id(v): i for i, v in enumerate(g.values)}
    from gradviz.backprop import backprop_steps, rule_texts
    rules = [list(rule_texts(s, lambda v: g.labels[index[id(v)]] or f"#{index[id(v)]}")) for s in backprop_steps(root)]
    return {
        "name": name, "labels": list(g.labels), "ops": list(g.ops), "root": n - 1,
        "childPtr": g.child_ptr.tolist(), "childIdx": g.child_ids.tolist(),
        "steps": {**{k: d[k] for k in ("k", "node", "grad", "closure", "ptr", "child", "slot", "local", "amount")},
                  "notes": d["notes"], "templates": w._steps["templates"], "data": d["data"]},
        "grads": [grads_after(d, n, k) for k in range(d["k"] + 1)],
        "rules": rules, "leaf": leaf_id,
        "paths": [{"nodes": [index[id(v)] for v in p.nodes], "locals": list(p.locals), "product": p.product} for p in paths],
        "total": paths.total, "grad": paths.grad,
    }


def cases():
    from tests.test_backprop import tanh_from_exp
    L, _ = lecture_L()
    o, _ = labelled_neuron()
    t, _ = tanh_from_exp()
    a = Value(3.0, label="a")
    b = a + a; b.label = "b"
    c = (b * a) ** 2; c.label = "c"
    return [_case("lecture", L, "a"), _case("neuron", o, "x1"), _case("tanh from exp", t, "x1"), _case("a + a", c, "a")]


def test_js_cases_are_current():
    text = json.dumps(cases(), indent=1, ensure_ascii=False) + "\n"
    if __import__("os").environ.get("GRADVIZ_WRITE_CASES"):
        CASES.write_text(text, encoding="utf-8")
    assert CASES.read_text(encoding="utf-8") == text, "regenerate: GRADVIZ_WRITE_CASES=1 pytest tests/widget/test_backprop_widget.py"
