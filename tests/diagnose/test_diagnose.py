"""health, first_nonfinite and diff: what each flags on the graphs that show the problem, and
nothing on the graphs that do not; the reports' text, HTML and data; no Value changes."""
import math
import random

import numpy as np
import pytest

import gradviz
import learner
from gradviz import MLP, Value, diff, first_nonfinite, health, trace
from gradviz.diagnose import StructureMismatchError
from gradviz.diagnose.health import VANISHING
from learner import LectureValue, lecture_neuron
from testenv import lecture_L, need


def deep_tanh(gain, depth=6, width=16, samples=4, seed=0, activation="tanh"):
    """A deep MLP with Xavier-uniform weights of ``gain`` and zero biases, its loss after backward."""
    random.seed(seed)
    m = MLP(width, [width] * depth + [1], activation=activation)
    for layer in m.layers:
        for ne in layer.neurons:
            a = gain * math.sqrt(6 / (len(ne.w) + len(layer.neurons)))
            for w in ne.w:
                w.data = random.uniform(-a, a)
            ne.b.data = 0.0
    xs = [[random.uniform(-1, 1) for _ in range(width)] for _ in range(samples)]
    loss = gradviz.mse_loss([m(x) for x in xs], [(-1.0) ** i for i in range(samples)])
    loss.backward()
    return m, loss


def snapshot(root):
    g = trace(root)
    return [(v.data, v.grad, v.label) for v in g.values]


def test_tiny_init_deep_tanh_is_vanishing_and_xavier_is_not():
    _, bad = deep_tanh(0.05)
    before = snapshot(bad)
    r = health(bad)
    assert snapshot(bad) == before  # a report changes no Value
    assert r.flagged_layers("vanishing") == ["layers.0", "layers.1", "layers.2", "layers.3", "layers.4"]
    first = r.layers[0]
    assert first.name == "layers.0" and first.to_output < VANISHING and first.measured_on == "outputs"
    # every layer shrinks the gradient on the way back: decay layer by layer
    assert all(l.factor < 0.2 for l in r.layers[:-1])
    # flagged nodes: the first layer's tanh outputs (all samples), and every node of those layers
    g = r.graph
    tanh0 = [i for i in r.nodes("vanishing") if g.scopes[i].endswith("layers.0/neurons.0")]
    assert tanh0 and all(g.ops[i] == "tanh" for i in tanh0) and len(tanh0) == 4  # one per sample
    assert set(r.nodes("layer")) >= set(r.nodes("vanishing"))
    assert "vanishing gradient: layer layers.0" in str(r)
    _, good = deep_tanh(5 / 3)
    r = health(good)
    assert r.ok and not r.nodes("vanishing") and not r.flagged_layers()
    assert 0.1 < r.layers[0].to_output < 10


def test_relu_layer_dead_from_negative_bias_is_flagged():
    random.seed(1)
    m = MLP(3, [8, 8, 1], activation="relu", linear_output=True)
    for ne in m.layers[1].neurons:
        ne.b.data = -100.0
    xs = [[random.uniform(-1, 1) for _ in range(3)] for _ in range(5)]
    loss = gradviz.svm_loss([m(x) for x in xs], [1.0, -1.0, 1.0, -1.0, 1.0], m.parameters())
    loss.backward()
    r = health(loss)
    row = next(l for l in r.layers if l.name == "layers.1")
    assert (row.units, row.dead) == (8, 8) and "dead" in row.flags
    dead = [i for i in r.nodes("dead") if r.graph.scopes[i].split("/", 1)[1].startswith("layers.1/")]
    assert len(dead) == 8 * 5 and all(r.graph.ops[i] == "relu" and r.graph.data[i] == 0 for i in dead)
    # the same model with a healthy bias: layer 1 is not dead
    for ne in m.layers[1].neurons:
        ne.b.data = 0.5
    loss = gradviz.svm_loss([m(x) for x in xs], [1.0, -1.0, 1.0, -1.0, 1.0], m.parameters())
    loss.backward()
    assert "layers.1" not in health(loss).flagged_layers("dead")


def test_saturated_tanh_neuron_is_flagged_over_the_batch():
    n = gradviz.Neuron(2)
    n.w[0].data, n.w[1].data, n.b.data = 50.0, 50.0, 0.0
    outs = [n([x, x]) for x in (0.5, -0.7, 0.9)]
    loss = sum(o * o for o in outs)
    loss.backward()
    r = health(loss)
    assert [f.kind for f in r.findings] == ["saturated"]
    assert sorted(r.nodes("saturated")) == sorted(trace(loss).values.index(o) for o in outs)
    n.w[0].data = n.w[1].data = 0.1
    assert health(sum(o * o for o in [n([x, x]) for x in (0.5, -0.7, 0.9)])).ok


def test_overflow_example_is_named_by_first_nonfinite():
    big = Value(1e308, label="x") * 10
    big.label = "big"
    z = big - big
    z.label = "z"
    r = first_nonfinite(z)
    assert r.phase == "forward" and r.name == "'big'" and r.op == "*" and r.value == math.inf
    assert [(o.name, o.value) for o in r.operands] == [("'x'", 1e308), ("unlabelled leaf node #1", 10.0)]
    assert r.value_object is big
    assert "'big' (*) is the first value to become inf" in str(r) and "'x' = 1e+308" in str(r)
    assert "&#x27;big&#x27;" in r._repr_html_()
    assert health(z).nodes("nonfinite") == [2, 3]  # big (inf) and z (nan); x and 10 are finite


def test_first_nonfinite_in_backward_when_values_are_finite():
    x = Value(1e-300, label="x")
    y = x ** -1 * 2.0
    y.backward()
    assert math.isfinite(y.data) and x.grad == -math.inf
    r = first_nonfinite(y)
    assert r.phase == "backward" and r.name == "'x'" and r.grad == -math.inf
    assert [u.op for u in r.users] == ["**-1.0"]
    L, _ = lecture_L()
    L.backward()
    assert first_nonfinite(L) is None and health(L).ok


def test_first_nonfinite_on_a_million_deep_chain():
    v = Value(1.0, label="x")
    for _ in range(1_000_000):
        v = v + 1.0
    v = v * 1e308
    v.label = "boom"
    r = first_nonfinite(v)
    assert r.name == "'boom'" and r.node == 2_000_002 and r.operands[0].value == 1_000_001.0


def test_diff_of_a_training_step_shows_the_loss_change_to_the_digit():
    random.seed(0)
    m = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    before = gradviz.mse_loss([m(x) for x in xs], ys, reduction="sum")
    before.backward()
    g0 = trace(before)  # a snapshot: the step below changes the parameters' Values
    for p in m.parameters():
        p.data -= 0.05 * p.grad
    m.zero_grad()
    after = gradviz.mse_loss([m(x) for x in xs], ys, reduction="sum")
    after.backward()
    d = diff(g0, after)
    c = d.change(d.root, "data")
    assert (c.a, c.b, c.change) == (before.data, after.data, after.data - before.data)
    assert c.rel == abs(after.data - before.data) / before.data
    assert f"{before.data!r} -> {after.data!r} (change {after.data - before.data!r})" in str(d)
    w = m.layers[0].neurons[0].w[0]
    i = g0.values.index(w)
    assert d.change(i, "data").change == pytest.approx(-0.05 * g0.grad[i], rel=1e-12)
    assert d.change(i, "grad").b == w.grad
    # the inputs did not change (their gradients did); the loss did
    x0 = g0.labels.index("x0")
    assert d.change(x0, "data").rel == 0.0 and d.change(x0, "grad").rel > 0 and d.rel[d.root] > 0
    assert d.root in d.changed()
    same = diff(g0, g0)
    assert same.changed() == [] and not same.rel.any()


def test_diff_refuses_different_structures_naming_the_node():
    L, _ = lecture_L()
    a = Value(2.0, label="a")
    other = (a * Value(-3.0, label="b") + Value(10.0, label="c")) + Value(-2.0, label="f")
    with pytest.raises(StructureMismatchError, match=r"differ at 'L' \(node 6, op '\*' of 2 operands\)"):
        diff(L, other)
    with pytest.raises(ValueError, match="one structure"):
        diff(L, a)


class SetValue(LectureValue):
    """The lecture's Value as a learner types it: children in a set (in no fixed order), closures;
    its tanh is math.tanh."""

    def tanh(self):
        return learner.tanh(self, of=math.tanh)


def test_diff_matches_a_set_of_children_and_a_torch_mirror():
    o, _ = lecture_neuron(SetValue)
    o.grad = 1.0
    for v in reversed(trace(o).values):
        v._backward()
    ref, _ = lecture_neuron(Value)
    ref.backward()
    d = diff(o, ref)
    assert d.changed() == [] and d.change(d.root, "data").a == pytest.approx(0.7071, abs=5e-5)
    # operands listed the other way round at every + and * (as a set may list them)
    class Reversed:
        def __init__(self, data, _children=(), _op="", label=""):
            self.data, self.grad, self._op, self.label = data, 0.0, _op, label
            self._prev = tuple(reversed(_children))

        def __add__(self, o):
            return Reversed(self.data + o.data, (self, o), "+")

        def __mul__(self, o):
            return Reversed(self.data * o.data, (self, o), "*")

        def tanh(self):
            return Reversed(math.tanh(self.data), (self,), "tanh")
    r, _ = lecture_neuron(Reversed)
    d = diff(r, ref)  # the same sums added the other way round: equal to the last bit or two
    assert all(d.change(i, "data").rel < 1e-15 for i in range(len(d.a)))
    assert [d.a.labels[i] for i in range(len(d.a))] != list(d.b.labels)  # matched, not by position
    assert all(d.a.labels[i] == d.b.labels[j] for i, j in enumerate(d.to_b))
    need("torch", "diff against a to_torch mirror")
    root, mirror = gradviz.to_torch(ref)
    root.backward()
    d = diff(ref, mirror)
    assert max(d.rel) < 1e-12


def test_reports_escape_user_strings():
    a = Value(float("nan"), label="<script>alert(1)</script>")
    b = (a * 2.0).tanh()
    b.label = "<b>"
    for report in (health(b), first_nonfinite(b), diff(b, b)):
        page = report._repr_html_()
        assert "<script>" not in page and page.count("<b>") == 1  # the report's own title
    assert "&lt;script&gt;" in first_nonfinite(b)._repr_html_() and "&lt;b&gt;" in diff(b, b)._repr_html_()


def test_micrograd_root_is_diagnosed_by_depth(tmp_path):
    need("micrograd", "graphs built with micrograd 0.1.0")
    from micrograd.engine import Value as MGValue
    from micrograd.nn import MLP as MGMLP
    random.seed(1)
    mm = MGMLP(3, [8, 8, 1])
    for ne in mm.layers[1].neurons:
        ne.b.data = -100.0
    xs = [[random.uniform(-1, 1) for _ in range(3)] for _ in range(5)]
    outs = [mm([MGValue(v) for v in x]) for x in xs]
    loss = sum((o - y) ** 2 for o, y in zip(outs, [1, -1, 1, -1, 1]))
    loss.backward()
    r = health(loss)
    assert r.how == "depth" and [l.name for l in r.layers] == ["depth 1", "depth 2"]
    assert r.layers[1].dead == r.layers[1].units == 8


def _torch_net(torch, gain, act, bias=None, depth=6, width=32):
    torch.manual_seed(0)
    layers = []
    for i in range(depth):
        lin = torch.nn.Linear(width, width)
        torch.nn.init.xavier_uniform_(lin.weight, gain=gain)
        torch.nn.init.constant_(lin.bias, bias if bias is not None and i == 2 else 0.0)
        layers += [lin, act()]
    return torch.nn.Sequential(*layers, torch.nn.Linear(width, 1))


def _capture(torch, model):
    x = torch.randn(64, 32, generator=torch.Generator().manual_seed(1))
    with gradviz.capture_torch(model) as cap:
        model(x).pow(2).mean().backward()
    return cap


def test_captures_are_diagnosed_from_their_summaries(torch):
    r = health(_capture(torch, _torch_net(torch, 0.05, torch.nn.Tanh)))
    assert r.how == "modules" and "Sequential/0" in r.flagged_layers("vanishing")
    assert r.layers[-1].name == "Sequential/12"
    assert health(_capture(torch, _torch_net(torch, 5 / 3, torch.nn.Tanh))).ok
    r = health(_capture(torch, _torch_net(torch, 1.0, torch.nn.ReLU, bias=-100.0)))
    assert "Sequential/5" in r.flagged_layers("dead") and "Sequential/3" not in r.flagged_layers("dead")
    r = health(_capture(torch, _torch_net(torch, 30.0, torch.nn.Tanh)))
    assert set(r.flagged_layers("saturated")) == {f"Sequential/{k}" for k in (1, 3, 5, 7, 9, 11)}


def test_diff_of_captures_compares_summaries(torch):
    m = _torch_net(torch, 1.0, torch.nn.Tanh, depth=2)
    g0 = _capture(torch, m).graph()
    with torch.no_grad():
        m[0].weight.mul_(2.0)
    d = diff(g0, _capture(torch, m))
    assert d.quantities == ("value mean", "value norm", "grad mean", "grad norm")
    w = g0.labels.index("0.weight")
    c = d.change(w, "value norm")
    assert c.b == pytest.approx(2 * c.a) and c.rel == pytest.approx(1.0)
    assert d.change(g0.labels.index("2.weight"), "value norm").rel == 0.0


def test_non_finite_in_a_capture_is_found(torch):
    m = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        m[0].weight[0, 0] = math.inf
    with gradviz.capture_torch(m) as cap:
        m(torch.ones(2, 3)).sum().backward()
    r = first_nonfinite(cap)
    assert r.phase == "forward" and r.name == "'0.weight'" and not r.operands
    assert np.array_equal(np.sort(health(cap).nodes("nonfinite"))[:1], [r.node])
