"""numerical_grad, grad_check and predict_vs_actual: the lecture's finite-difference checks."""
import math

import pytest

import gradviz
from gradviz import MLP, Value, mse_loss
from gradviz.check import grad_check, numerical_grad, predict_vs_actual
from gradviz.graph import Graph, trace
from gradviz.replay import Tape
from testenv import lecture_L


def state(root):
    return [(v.data, v.grad) for v in trace(root).values]


def test_lol_check_as_in_the_lecture():
    L, v = lecture_L()
    # the lecture's "lol": (L(a + h) - L(a)) / h with h = 0.001 on a linear path: dL/da = b * f = 6
    assert numerical_grad(L, "a", h=0.001, central=False) == pytest.approx(6.0, abs=1e-9)
    assert numerical_grad(L, v["b"], h=0.001, central=False) == pytest.approx(-4.0, abs=1e-9)
    assert numerical_grad(L, "c", h=0.001) == pytest.approx(-2.0, abs=1e-9)
    assert numerical_grad(L, "f") == pytest.approx(4.0, abs=1e-8)


def test_numerical_grad_leaves_the_graph_as_it_was():
    L, v = lecture_L()
    L.backward()
    before = state(L)
    numerical_grad(L, "a")
    grad_check(L)
    predict_vs_actual(L, "a", 0.5)
    assert state(L) == before


def test_numerical_grad_of_a_curved_function_uses_current_values():
    x = Value(1.0, label="x")
    y = (x * x).tanh()
    x.data = 0.3  # the check reads the leaves' current data, not the values at build time
    want = 2 * 0.3 * (1 - math.tanh(0.09) ** 2)
    assert numerical_grad(y, x) == pytest.approx(want, rel=1e-8)
    forward = numerical_grad(y, x, h=1e-3, central=False)
    assert forward != pytest.approx(want, rel=1e-6) and forward == pytest.approx(want, rel=1e-2)


def test_leaf_lookup_errors():
    L, v = lecture_L()
    with pytest.raises(ValueError, match="no leaf is labelled 'q'.*'a', 'b', 'c', 'f'"):
        numerical_grad(L, "q")
    with pytest.raises(ValueError, match="not a leaf"):
        numerical_grad(L, L)
    with pytest.raises(ValueError, match="not a node of this graph"):
        numerical_grad(L, Value(1.0))
    with pytest.raises(ValueError, match="positive"):
        numerical_grad(L, "a", h=0.0)
    x = Value(1.0, label="x")
    twin = Value(2.0, label="x")
    with pytest.raises(ValueError, match="label 'x' names 2 leaves \\(ids 0, 1\\)"):
        numerical_grad(x * twin, "x")
    g = trace(L)
    assert numerical_grad(g, g.labels.index("a")) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="not a leaf"):
        numerical_grad(g, g.root)


def test_grad_check_passes_on_an_mlp_and_reports():
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    m = MLP(3, [4, 4, 1])
    loss = mse_loss([m(x) for x in xs], [1.0, -1.0, -1.0, 1.0], reduction="sum")
    r = gradviz.grad_check(loss)
    assert r.ok and bool(r) and not r.failures
    kinds = [row.kind for row in r.rows]
    assert len(r.rows) == len(Tape(loss).leaves) == 58
    # 41 parameters, 12 inputs, the 4 targets and sum()'s starting 0 as constants
    assert (kinds.count("parameter"), kinds.count("input"), kinds.count("constant")) == (41, 12, 5)
    assert r.max_abs_err < 1e-6
    text = str(r)
    first = r.rows[0].label or f"#{r.rows[0].id}"
    assert "gradient check OK" in text and first in text and "... 38 more leaves" in text
    assert len(text.splitlines()) == 2 + 20 + 1
    html = r._repr_html_()
    assert "<table" in html and html.count("<tr") == 1 + 50 and first in html


def test_grad_check_fails_honestly_at_a_relu_kink():
    a = Value(0.0, label="a")
    b = Value(1.5, label="b")
    L = a.relu() + b * b
    r = grad_check(L)
    assert not r.ok
    assert [row.label for row in r.failures] == ["a"]
    bad = r.failures[0]
    assert bad.analytic == 0.0 and bad.numerical == pytest.approx(0.5)
    assert "FAILED for 1 of 2 leaves" in str(r) and str(r).index("a ") < str(r).index("b ")
    only_b = grad_check(L, leaves=["b"])
    assert only_b.ok and [row.label for row in only_b.rows] == ["b"]


def test_grad_check_on_a_loaded_graph():
    L, _ = lecture_L()
    g = Graph.from_json(trace(L).to_json())
    r = grad_check(g)
    assert r.ok and {row.label: row.analytic for row in r.rows} == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def test_predict_vs_actual():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    p = gradviz.predict_vs_actual(y, "x", h=0.1)
    assert p.grad == 6.0 and p.predicted == pytest.approx(0.6)
    assert p.actual == pytest.approx(3.1 ** 2 - 9.0) and p.error == pytest.approx(0.01)  # h**2
    assert p.before == 9.0 and p.after == pytest.approx(9.61)
    assert "predicted change" in str(p) and "'x'" in str(p)
    assert x.data == 3.0 and y.data == 9.0
    L, v = lecture_L()
    q = predict_vs_actual(L, v["a"], 0.01)
    assert q.predicted == pytest.approx(q.actual, abs=1e-12)  # L is linear in a
    with pytest.raises(ValueError, match="finite"):
        predict_vs_actual(L, "a", math.inf)
