"""Values from other engines: micrograd 0.1.0's, and a Value class written along with the lecture."""
import math
import random

import pytest

import gradviz
from gradviz import Graph, Tape, Value, trace
from learner import LectureValue, lecture_neuron
from testenv import need


@pytest.fixture(scope="module")
def mg():
    need("micrograd", "graphs built with micrograd 0.1.0")
    import micrograd.engine
    return micrograd.engine


def test_micrograd_lecture_graph_traces_with_its_structure(mg):
    a, b, c, f = mg.Value(2.0), mg.Value(-3.0), mg.Value(10.0), mg.Value(-2.0)
    L = (a * b + c) * f
    g = trace(L)
    assert len(g) == 7 and g.ops[-1] == "*" and g.kinds[-1] == "output"
    assert sorted(g.ops) == ["", "", "", "", "*", "*", "+"]
    assert g.data[-1] == -8.0
    assert g.values[-1] is L
    assert {g.kinds[i] for i in g.leaves()} == {"input"}


def test_micrograd_graph_replays_and_writes_into_its_values(mg):
    a, b, c, f = mg.Value(2.0), mg.Value(-3.0), mg.Value(10.0), mg.Value(-2.0)
    L = (a * b + c) * f
    L.backward()
    own = [a.grad, b.grad, c.grad, f.grad]
    for v in (a, b, c, f):
        v.grad = 0
    Tape(L).run()
    assert [a.grad, b.grad, c.grad, f.grad] == own == [6.0, -4.0, -2.0, 4.0]
    a.data = 2.5
    Tape(L).run()
    assert L.data == -5.0


def test_a_plus_a_with_a_set_of_children_counts_twice(mg):
    x = mg.Value(3.0)
    y = x + x          # micrograd's _prev is {x}: one child
    z = y * y          # and again
    assert len(z._prev) == 1
    g = trace(z)
    assert g.children[-1] == (1, 1) and g.children[1] == (0, 0)
    _, grad = Tape(z).run(write_back=False)
    z.backward()
    assert grad[0] == x.grad == 2 * 2 * 6.0


def test_micrograd_mlp_compares_with_torch_and_checks(mg, torch):
    nn = __import__("micrograd.nn", fromlist=["MLP"])
    random.seed(3)
    model = nn.MLP(3, [4, 4, 1])
    for q in model.parameters():  # micrograd's biases start at 0: a dead ReLU would sit on its kink
        q.data = random.uniform(-1, 1)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    loss.backward()
    report = gradviz.compare_with_torch(loss)
    assert report.ok, str(report)
    check = gradviz.grad_check(loss)
    assert check.grads == "values" and check.ok, str(check)
    g = trace(loss)
    assert "relu" in g.ops and "**2" in g.ops and "ReLU" not in g.ops
    p = model.parameters()[0]
    assert report.max_abs_err < 1e-9 and p.grad != 0


def test_micrograd_graph_draws_everywhere(mg):
    nx = need("networkx", "to_networkx")
    x = mg.Value(-1.5)
    y = (x * 2 + 1).relu() + x ** 2
    svg = gradviz.to_svg(y)
    assert svg.startswith("<?xml") and "relu" in svg
    dot = gradviz.draw_dot(y) if need("graphviz", "draw_dot") else None
    assert "relu" in dot.source
    G = gradviz.to_networkx(y)
    assert isinstance(G, nx.DiGraph) and G.number_of_nodes() == len(trace(y))


def test_widget_nudges_micrograd_values(mg):
    need("anywidget", "the widget")
    from gradviz import GraphWidget
    a, b = mg.Value(2.0), mg.Value(-3.0)
    L = a * b + a
    w = GraphWidget(L)
    ids = [i for i, v in enumerate(w.graph.values) if v is a]
    w.nudge(ids[0], 0.5)
    assert a.data == 2.5 and L.data == 2.5 * -3.0 + 2.5
    assert a.grad == -3.0 + 1.0 and b.grad == 2.5


def test_lecture_class_checks_the_learners_own_backward(torch):
    o, v = lecture_neuron(LectureValue)
    o.backward()
    assert round(o.data, 4) == 0.7071
    assert round(v["x1"].grad, 4) == -1.5 and round(v["w1"].grad, 4) == 1.0
    assert round(v["x2"].grad, 4) == 0.5 and v["w2"].grad == 0.0
    assert gradviz.compare_with_torch(o).ok
    assert gradviz.grad_check(o).ok
    assert trace(o).labels[-1] == "o"
    # a learner's bug (the lecture's: += forgotten in '+', so a + a gets one gradient)
    a = LectureValue(3.0, label="a")
    b = a + a
    b._backward = lambda: setattr(a, "grad", b.grad)
    b.backward()
    report = gradviz.grad_check(b)
    assert not report.ok and report.rows[0].numerical == pytest.approx(2.0)
    assert not gradviz.compare_with_torch(b).ok


def test_lecture_ops_division_subtraction_and_exp(torch):
    a, b = LectureValue(2.0, label="a"), LectureValue(4.0, label="b")
    c = (a / b - a).exp() * 3
    c.backward()
    assert gradviz.compare_with_torch(c).ok
    assert gradviz.grad_check(c).ok
    expected = math.exp(2 / 4 - 2) * 3
    assert Tape(c).run(write_back=False)[0][-1] == pytest.approx(expected, rel=1e-15)


def test_compare_with_torch_backward_true_runs_the_learners_backward(torch):
    o, v = lecture_neuron(LectureValue)
    v["x1"].grad = 123.0
    r = gradviz.compare_with_torch(o, backward=True)
    assert r.ok and round(v["x1"].grad, 4) == -1.5


def test_unknown_op_of_another_engine_draws_but_does_not_replay(mg):
    x = LectureValue(2.0, label="x")
    y = LectureValue(x.data ** 3, (x,), "cube", label="y")
    g = trace(y)
    assert g.ops[-1] == "cube"
    assert "cube" in gradviz.to_svg(y)
    with pytest.raises(ValueError, match="'cube'"):
        Tape(y)
    need("anywidget", "the widget")
    w = gradviz.GraphWidget(y)
    assert w.readonly and "cube" in w._structure["readonly"]
    with pytest.raises(RuntimeError, match="cube"):
        w.nudge("x", 1.0)


def test_foreign_cycle_and_bad_children_are_named():
    a = LectureValue(1.0, label="a")
    b = a * 2
    a._prev = {b}
    with pytest.raises(ValueError, match="cycle"):
        trace(b)
    c = LectureValue(1.0, label="c")
    c._prev = {3.0}
    with pytest.raises(TypeError, match="not a Value"):
        trace(c)


def test_deep_foreign_chain_traces_without_recursion():
    y = LectureValue(0.0)
    for _ in range(100_000):
        y = y + 1.0
    g = trace(y)
    assert len(g) == 200_001 and g.data[-1] == 100_000.0


def test_mixing_engines_and_tensors_is_a_clear_type_error(mg, torch):
    with pytest.raises(TypeError, match="another engine"):
        Value(1.0) + mg.Value(2.0)
    with pytest.raises(TypeError, match=r"\.item\(\)"):
        Value(3.0) * torch.tensor(2.0)
    with pytest.raises(TypeError, match=r"\.item\(\)"):
        Value(torch.tensor(2.0))
    with pytest.raises(TypeError, match="from_torch"):
        trace(torch.tensor(2.0, requires_grad=True) * 2)
    with pytest.raises(TypeError, match="'object'"):
        gradviz.to_svg(object())


def test_micrograd_nonlin_keyword():
    from gradviz import Layer, Neuron
    assert Neuron(2, nonlin=False).activation == "linear"
    assert Neuron(2, nonlin=True).activation == "relu"
    assert Neuron(2).activation == "tanh"
    assert Layer(2, 3, nonlin=False).neurons[0].activation == "linear"
    with pytest.raises(ValueError, match="contradicts"):
        Neuron(2, activation="tanh", nonlin=False)
    with pytest.raises(TypeError, match="nonlin"):
        Neuron(2, nonlin="yes")


def test_graph_from_json_of_a_foreign_graph_round_trips(mg):
    y = (mg.Value(2.0) * 3).relu()
    g = trace(y)
    h = Graph.from_json(g.to_json())
    assert h.ops == g.ops and list(h.data) == list(g.data)


class EarlyLectureValue:
    """The lecture's Value as it is when first drawn: data, _prev, _op and label, no grad yet."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):
        return EarlyLectureValue(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return EarlyLectureValue(self.data * other.data, (self, other), "*")


def test_a_value_without_grad_yet_traces_and_draws_as_the_lecture_does():
    a, b, c = EarlyLectureValue(2.0, label="a"), EarlyLectureValue(-3.0, label="b"), EarlyLectureValue(10.0, label="c")
    d = a * b + c
    d.label = "d"
    g = trace(d)
    assert g.data[-1] == 4.0 and g.ops[-1] == "+" and g.labels[-1] == "d"
    assert g.grad.tolist() == [0.0] * 5
    assert ">d<" in gradviz.to_svg(d)
    assert not hasattr(a, "grad")                  # drawing writes nothing into the Values
    with pytest.raises(ValueError, match=r"no \.grad to check yet"):
        gradviz.grad_check(d)
    assert gradviz.grad_check(d, grads="replay").ok
