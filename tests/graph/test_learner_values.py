"""A view never changes the Values, and a learner's own ``_backward`` closures are the backward rule.

The lecture's bug (``self.grad = ...`` instead of ``+=``) must survive every view: the widget, a
nudge, Step, ``Tape``; gradviz's reference gradient is shown beside it, never written over it.
"""
import math

import numpy as np
import pytest

import gradviz
from gradviz import GraphWidget, Tape, Value
from learner import LectureValue, SetsGrads, lecture_neuron
from testenv import lecture_L, need


class OrderedBuggy(SetsGrads):
    """SetsGrads (the lecture's bug: '+' and '*' set their operands' grads) whose children keep
    their order (a set's order depends on addresses), so the order its backward runs the closures
    in is fixed."""

    def __init__(self, data, _children=(), _op="", label=""):
        super().__init__(data, (), _op, label)
        self._prev = tuple(dict.fromkeys(_children))


def two_paths(V):
    """The lecture's second example of the bug: d = a * b, e = a + b, "multiply e times d" to get f."""
    a, b = V(-2.0, label="a"), V(3.0, label="b")
    d = a * b; d.label = "d"
    e = a + b; e.label = "e"
    f = e * d; f.label = "f"
    return f, a, b


def grads(*vs):
    return tuple(v.grad for v in vs)


@pytest.fixture(autouse=True)
def _widget():
    need("anywidget", "the widget")


def test_a_plus_a_keeps_the_learners_bug_in_the_widget_a_nudge_step_and_tape():
    a = SetsGrads(3.0, label="a")
    b = a + a; b.label = "b"
    b.backward()
    assert a.grad == 1.0  # the bug
    w = GraphWidget(b)
    assert a.grad == 1.0 and b.grad == 1.0  # building the view changed nothing
    ia, ib = w._resolve("a"), list(w.graph.labels).index("b")
    assert w.grad[ia] == 1.0
    # gradviz's reference is shown beside it, and the node is marked
    assert w.reference.grad[ia] == 2.0 and w._marks["grad"] == [ia]
    assert np.frombuffer(w._ref_grad, dtype=np.float64)[ia] == 2.0
    assert w._structure["rules"] == "own"
    w.nudge("a", 0.5)  # the learner's rule, at the new value
    assert (a.data, b.data, a.grad, b.grad) == (3.5, 7.0, 1.0, 1.0)
    assert w._marks["grad"] == [ia] and w.reference.grad[ia] == 2.0 and ib not in w._marks["grad"]
    w.step(0.1)
    assert a.data == 3.5 - 0.1 * 1.0 and a.grad == 1.0
    w.recompute()
    assert a.grad == 1.0
    d, g = Tape(b).run(write_back=False)
    assert g[ia] == 1.0 and Tape(b, rules="reference").run(write_back=False)[1][ia] == 2.0
    assert gradviz.Tape(b).own_closures and not gradviz.Tape(b, rules="reference").own_closures


def test_the_lectures_two_paths_stay_minus_six_minus_six():
    f, a, b = two_paths(OrderedBuggy)
    f.backward()
    assert grads(a, b) == (-6.0, -6.0)  # the lecture's wrong answer (right: -3, -8)
    w = GraphWidget(f)
    assert grads(a, b) == (-6.0, -6.0)
    ia, ib = w._resolve("a"), w._resolve("b")
    assert (w.reference.grad[ia], w.reference.grad[ib]) == (-3.0, -8.0)
    assert sorted(w._marks["grad"]) == sorted([ia, ib])
    w.nudge("a", 0.0)
    assert grads(a, b) == (-6.0, -6.0)
    _, g = Tape(f).run(write_back=False)
    assert (g[ia], g[ib]) == (-6.0, -6.0)
    assert grads(a, b) == (-6.0, -6.0)


def test_two_paths_with_a_set_follow_the_learners_own_backward_whatever_its_order():
    f, a, b = two_paths(SetsGrads)
    f.backward()
    theirs = grads(a, b)
    w = GraphWidget(f)
    w.nudge("b", 0.0)
    assert grads(a, b) == theirs
    assert gradviz.grad_check(f).ok is False


def test_grad_check_names_the_node_and_shows_the_reference():
    a = SetsGrads(3.0, label="a")
    b = a + a; b.label = "b"
    b.backward()
    r = gradviz.grad_check(b)
    assert not r.ok and r.rows[0].reference == 2.0 and r.rows[0].analytic == 1.0
    text = str(r)
    assert "node 'a' has grad 1" in text and "gradviz's rule gives 2" in text and "'b' (op '+')" in text
    assert "gradviz" in r._repr_html_()
    assert r.verdict.startswith("WRONG: first wrong grad from the output back: node 'a'")
    a.grad = 2.0
    assert gradviz.grad_check(b).verdict == "OK"


def test_micrograd_shows_no_mismatch(tmp_path):
    need("micrograd", "micrograd 0.1.0")
    import random

    from micrograd.nn import MLP
    random.seed(1)
    model = MLP(2, [4, 1])
    for p in model.parameters():
        p.data = random.uniform(-1, 1)
    xs, ys = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0]], [1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    loss.backward()
    before = [(p.data, p.grad) for p in model.parameters()]
    w = GraphWidget(loss)
    assert [(p.data, p.grad) for p in model.parameters()] == before
    assert w._structure["rules"] == "own" and w._marks == {"grad": [], "forward": []}
    leaf = next(i for i, v in enumerate(w.graph.values) if v is model.parameters()[0])
    w.nudge(leaf, 0.01)
    assert w._marks == {"grad": [], "forward": []}
    assert gradviz.grad_check(loss).ok


def test_the_lectures_tanh_keeps_t_and_a_nudge_still_agrees():
    # the lecture's tanh keeps t = out.data in its closure; a replay gives it the replayed t
    o, v = lecture_neuron(LectureValue)
    o.backward()
    w = GraphWidget(o)
    assert w._marks == {"grad": [], "forward": []}
    w.nudge("x2", 0.3)
    assert w._marks == {"grad": [], "forward": []}
    assert math.isclose(v["w2"].grad, (1 - o.data ** 2) * 0.3, rel_tol=1e-12)


def test_a_wrong_forward_is_flagged_with_both_numbers():
    x = LectureValue(0.5, label="x")
    o = x.tanh(); o.label = "o"
    o.data = 0.3  # as if the learner's tanh computed 0.3
    o.backward()
    w = GraphWidget(o)
    (i, why), = w._marks["forward"]
    assert i == list(w.graph.labels).index("o") and why == f"your forward gives 0.3, `tanh` gives {math.tanh(0.5):.10g}"
    assert "forward of node 'o' is off" in str(gradviz.grad_check(o))


def test_hand_set_grads_stay_as_set_in_every_view():
    L, v = lecture_L()
    hand = {"L": 1.0, "d": -2.0, "f": 4.0, "c": -2.0, "e": -2.0, "a": 6.0, "b": 0.0}  # b not done yet
    for k, g in hand.items():
        v[k].grad = g
    GraphWidget(L)
    gradviz.to_html(L)
    gradviz.to_svg(L)
    gradviz.grad_check(L)
    assert {k: v[k].grad for k in hand} == hand


def test_building_views_of_every_class_changes_no_value():
    need("micrograd", "micrograd 0.1.0")
    import micrograd.engine as me
    for V in (Value, me.Value, LectureValue, SetsGrads):
        x, y = V(2.0), V(-3.0)
        out = x * y + x
        snap = [(n.data, n.grad) for n in gradviz.trace(out).values]
        GraphWidget(out)
        gradviz.to_html(out)
        gradviz.trace(out)
        assert [(n.data, n.grad) for n in gradviz.trace(out).values] == snap, V


def test_a_closure_keeps_the_replayed_t_once_the_values_hold_it():
    # after a nudge the Values hold the new numbers; the lecture's tanh closure keeps the new t too,
    # so the learner's own backward() on the nudged graph agrees with gradviz's reference
    o, v = lecture_neuron(LectureValue)
    o.backward()
    w = GraphWidget(o)
    w.nudge("x1", 0.25)
    nudged = {k: v[k].grad for k in ("x1", "w1", "b")}
    for node in gradviz.trace(o).values:
        node.grad = 0.0
    o.backward()
    assert {k: v[k].grad for k in nudged} == nudged
    Tape(o).run(write_back=False)  # a replay that writes nothing leaves the kept t as it was
    for node in gradviz.trace(o).values:
        node.grad = 0.0
    o.backward()
    assert {k: v[k].grad for k in nudged} == nudged
