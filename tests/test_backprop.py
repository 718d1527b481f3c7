"""backprop_steps and chain_paths: backward's steps, checked against backward() itself."""
from __future__ import annotations

import math
import random
import struct

import pytest

import gradviz
from gradviz import Value, backprop_steps, chain_paths
from gradviz.backprop import MAX_PATHS, replay_steps, rule_texts
from learner import SetsGrads, SetsInAdd
from testenv import labelled_neuron, lecture_L, micrograd_readme_expression


def bits(x):
    return struct.pack("<d", x)


def tanh_from_exp():
    o, v = labelled_neuron()
    n = v["n"]
    e = (2 * n).exp(); e.label = "e"
    o2 = (e - 1) / (e + 1); o2.label = "o"
    return o2, v


def snapshot(root):
    return [(v, bits(v.data), bits(v.grad)) for v in root.topo()]


def assert_bitwise_backward(root):
    """Steps replayed == backward()'s grads, bit for bit; and the steps changed no Value."""
    root.zero_grad()
    before = snapshot(root)
    steps = backprop_steps(root)
    assert snapshot(root) == before
    assert all(v._g is None for v in root.topo())
    grads = replay_steps(steps, root)
    root.backward()
    for v in root.topo():
        assert bits(grads.get(id(v), 0.0)) == bits(v.grad), (v, grads.get(id(v)))
    return steps


def test_lecture_graph_steps_and_grads():
    L, v = lecture_L()
    steps = assert_bitwise_backward(L)
    assert L.data == -8.0
    assert [s.node for s in steps] == [L, v["d"], v["e"]]
    assert [s.grad for s in steps] == [1.0, -2.0, -2.0]
    assert {k: v[k].grad for k in "abcf"} == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}
    first = steps[0]
    assert [(c, loc, x) for c, loc, x in first.pushes] == [(v["d"], -2.0, -2.0), (v["f"], 4.0, 4.0)]
    assert rule_texts(first) == ("f", "d")
    assert repr(first) == "L: grad 1 → d += -2 × 1 = -2; f += 4 × 1 = 4"
    assert repr(steps[2]) == "e: grad -2 → a += -3 × -2 = 6; b += 2 × -2 = -4"
    for s in steps:
        for _c, loc, x in s.pushes:
            assert x == loc * s.grad


def test_neuron_and_its_path_product():
    o, v = labelled_neuron()
    steps = assert_bitwise_backward(o)
    assert f"{o.data:.4f}" == "0.7071"
    assert f"{v['x1'].grad:.4f}" == "-1.5000"
    assert rule_texts(steps[0]) == ("1 - o²",)
    paths = chain_paths(o, v["x1"])
    assert len(paths) == 1
    (p,) = paths
    assert [n.label for n in p.nodes] == ["o", "n", "x1*w1 + x2*w2", "x1*w1", "x1"]
    assert [f"{x:.4f}" for x in p.locals] == ["0.5000", "1.0000", "1.0000", "-3.0000"]
    assert f"{p.product:.4f}" == "-1.5000"
    assert repr(p).startswith("-3 × 1 × 1 × 0.5 = -1.5")
    assert math.isclose(paths.total, v["x1"].grad) and paths.grad == v["x1"].grad


def test_tanh_from_exp_matches_backward():
    o, v = tanh_from_exp()
    assert_bitwise_backward(o)
    assert f"{v['x1'].grad:.4f}" == "-1.5000"
    p = chain_paths(o, v["x1"])
    assert len(p) > 1  # e feeds both the numerator and the denominator
    assert math.isclose(p.total, v["x1"].grad, rel_tol=1e-12)


def test_a_plus_a_pushes_twice_and_has_two_paths():
    a = Value(3.0, label="a")
    b = a + a; b.label = "b"
    steps = assert_bitwise_backward(b)
    assert [(c, loc, x) for c, loc, x in steps[0].pushes] == [(a, 1.0, 1.0), (a, 1.0, 1.0)]
    paths = chain_paths(b, a)
    assert len(paths) == 2 and paths.total == 2.0 == a.grad


def test_every_builtin_op_bit_for_bit():
    rng = random.Random(5)
    for _ in range(30):
        a, b = Value(rng.uniform(0.3, 2.0), label="a"), Value(rng.uniform(-2.0, 2.0), label="b")
        c = Value(rng.uniform(0.2, 1.5), label="c")
        terms = [a + b, a - b, a * b, a / c, -a, a.exp(), a.log(), b.tanh(), b.relu(), b.sigmoid(),
                 a ** 2.5, a ** 0, a ** c, b ** 3, (b * 0).relu(), c / a]
        out = terms[0]
        for t in terms[1:]:
            out = out * 0.5 + t * b
        assert_bitwise_backward(out)


def test_one_moons_sample():
    from benchmarks.workload import gradviz_loss, gradviz_model, moons
    X, y = moons(n=4)
    loss = gradviz_loss(gradviz_model(), X[:1], y[:1])
    steps = assert_bitwise_backward(loss)
    assert len(steps) == sum(1 for v in loss.topo() if v._prev)


def test_custom_ops_registered_and_closure():
    gradviz.register_op("cube", lambda x: x ** 3, lambda x, out: (3 * x * x,))
    try:
        a = Value(1.5, label="a")
        y = Value(a.data ** 3, (a,), "cube"); y.label = "y"
        t = Value(math.tanh(y.data), (y,), "mytanh"); t.label = "t"

        def _bw():
            y.grad += (1 - t.data ** 2) * t.grad
        t._backward = _bw
        z = t * a; z.label = "z"
        steps = assert_bitwise_backward(z)
        by = {s.node.label: s for s in steps}
        assert by["y"].pushes[0][1] == 3 * 1.5 * 1.5
        assert math.isclose(by["t"].pushes[0][1], 1 - t.data ** 2)
        assert rule_texts(by["t"]) == ("its _backward",)
    finally:
        gradviz.unregister_op("cube")


def test_graph_input_and_bad_input():
    L, v = lecture_L()
    assert [s.node for s in backprop_steps(gradviz.trace(L))] == [L, v["d"], v["e"]]
    g = gradviz.Graph.from_json(gradviz.trace(L).to_json())
    with pytest.raises(TypeError, match="live Values"):
        backprop_steps(g)
    with pytest.raises(TypeError, match="root Value"):
        backprop_steps(3.0)


@pytest.mark.slow
def test_million_deep_chain():
    x = Value(0.5, label="x")
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    steps = backprop_steps(y)
    assert len(steps) == 1_000_000 and steps[-1].pushes[0][0] is x
    assert replay_steps(steps, y)[id(x)] == 1.0
    assert len(chain_paths(y, x, steps)) == 1


def test_path_count_guard():
    x = Value(1.0, label="x")
    y = x
    for _ in range(20):  # each + doubles the paths: 2**20 of them
        y = y + y
    with pytest.raises(ValueError, match=f"more than the limit of {MAX_PATHS}"):
        chain_paths(y, x)
    z = x
    for _ in range(14):
        z = z + z
    with pytest.raises(ValueError, match="16384 paths"):
        chain_paths(z, x)
    paths = chain_paths(z, x, limit=2 ** 14)
    assert len(paths) == 2 ** 14 and paths.total == paths.grad == 2.0 ** 14


def test_leaf_not_in_graph():
    L, _ = lecture_L()
    with pytest.raises(ValueError, match="not reached"):
        chain_paths(L, Value(1.0, label="z"))


# ---- other engines -------------------------------------------------------------------------------

def test_micrograd_graph_matches_its_backward():
    mg = pytest.importorskip("micrograd.engine")
    a, b, c, d, e, f, g = micrograd_readme_expression(mg.Value)
    before = [(x.data, x.grad) for x in (a, b, c, d, e, f, g)]
    steps = backprop_steps(g)
    assert [(x.data, x.grad) for x in (a, b, c, d, e, f, g)] == before
    grads = replay_steps(steps, g)
    g.backward()
    assert f"{a.grad:.4f}" == "138.8338" and f"{b.grad:.4f}" == "645.5773"  # micrograd's README
    assert bits(grads[id(a)]) == bits(a.grad) and bits(grads[id(b)]) == bits(b.grad)
    assert all(s.note == "" for s in steps)


def test_learner_eq_bug_shows_and_values_stay():
    a = SetsInAdd(3.0, label="a")
    b = a + a; b.label = "b"
    a.grad, b.grad = 7.0, 9.0  # whatever the learner left there
    steps = backprop_steps(b)
    assert (a.data, a.grad, b.data, b.grad) == (3.0, 7.0, 6.0, 9.0)
    (s,) = steps
    assert [(c, loc, x) for c, loc, x in s.pushes] == [(a, 1.0, 1.0)]  # the bug: 1, not 2
    assert "gives d/da = 1, the chain rule for + gives 2" in s.note
    a.grad = b.grad = 0.0
    b.backward()
    assert replay_steps(steps, b)[id(a)] == a.grad == 1.0
    assert "1 ×" in repr(s) and "(its _backward gives" in repr(s)


def test_a_raising_closure_changes_nothing():
    a = SetsInAdd(2.0, label="a")
    c = SetsInAdd(5.0, label="c")
    b = a * c; b.label = "b"

    def broken():
        a.grad += 1.0
        raise RuntimeError("oops")
    b._backward = broken
    a.grad, c.grad, b.grad = 0.25, 0.5, 0.75
    with pytest.raises(RuntimeError, match="backprop_steps failed at node b.*oops"):
        backprop_steps(b)
    assert (a.grad, c.grad, b.grad, a.data, b.data) == (0.25, 0.5, 0.75, 2.0, 10.0)


def test_a_raising_closure_on_gradviz_values_changes_nothing():
    a = Value(2.0, label="a")
    t = Value(4.0, (a,), "sq"); t.label = "t"

    def broken():
        raise ZeroDivisionError("bad")
    t._backward = broken
    u = t * a
    a.grad = 0.5
    with pytest.raises(ZeroDivisionError, match="node t"):
        backprop_steps(u)
    assert a.grad == 0.5 and t.grad == 0.0 and all(v._g is None for v in u.topo())


def test_learner_eq_bug_across_two_paths_shows_where_it_overwrites():
    """The lecture's second example of the bug: a and b each feed two nodes; with '=' the second
    closure overwrites what the first gave. The steps add up to what the learner's backward gives."""
    a, b = SetsGrads(-2.0, label="a"), SetsGrads(3.0, label="b")  # '=' in * too, as the lecture's class had it
    d = a * b; d.label = "d"
    e = a + b; e.label = "e"
    f = d * e; f.label = "f"
    steps = backprop_steps(f)
    grads = replay_steps(steps, f)
    f.backward()
    assert (a.grad, b.grad) != (-3.0, -8.0)  # the bug
    assert (grads[id(a)], grads[id(b)]) == (a.grad, b.grad)
    noted = " ".join(s.note for s in steps)
    assert "instead of adding" in noted


# ---- the sequence backprop_steps returns -----------------------------------------------------------

def test_steps_are_a_sequence_of_step():
    import pickle

    from gradviz.backprop import BackpropSteps, Step
    o, v = labelled_neuron()
    steps = backprop_steps(o)
    assert isinstance(steps, BackpropSteps)
    listed = list(steps)
    assert len(steps) == len(listed) == 5 and all(type(s) is Step for s in listed)
    assert [s.node.label for s in listed] == ["o", "n", "x1*w1 + x2*w2", "x2*w2", "x1*w1"]
    assert steps[-1] == listed[4] and steps[-5] == listed[0] and steps[1].grad == listed[1].grad == listed[0].pushes[0][2]
    assert steps[1:3] == listed[1:3] and steps[::-1] == listed[::-1] and steps[5:] == []
    assert list(reversed(steps)) == listed[::-1]
    assert steps == listed and steps == tuple(listed) and steps == backprop_steps(o)
    assert steps != listed[:4] and steps != backprop_steps(v["n"]) and steps != "steps"
    o2, steps2 = pickle.loads(pickle.dumps((o, steps)))
    assert steps2[0].node is o2 and [s.grad for s in steps2] == [s.grad for s in steps]
    for bad in (5, -6):
        with pytest.raises(IndexError, match="out of range: backward has 5 steps"):
            steps[bad]
    with pytest.raises(TypeError):
        steps["0"]
    assert repr(steps).splitlines() == ["5 step(s) of backward:"] + [f"  {s!r}" for s in listed]
    (child, local, amount), = listed[0].pushes
    assert child is v["n"] and amount == local * 1.0 and f"{local:.4f}" == "0.5000"
    assert BackpropSteps(listed) == steps and replay_steps(listed, o) == replay_steps(steps, o)


def test_the_pass_makes_no_object_the_garbage_collector_tracks():
    """The steps of a graph are three containers, not one per step: the cyclic collector's cost
    does not grow with the number of steps (it was most of backprop_steps' time on a big graph)."""
    import gc
    x = Value(0.5, label="x")
    y = x
    for i in range(3000):
        y = y * 1.0001 + i
    backprop_steps(x + 1.0)  # imports what it needs first
    gc.collect()
    before = len(gc.get_objects())
    steps = backprop_steps(y)
    assert len(steps) == 6000
    assert len(gc.get_objects()) - before < 20
    assert gc.isenabled()
