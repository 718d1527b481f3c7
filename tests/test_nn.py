"""The neural-net library: parameters and names, scopes, activations, losses, training."""
import random

import pytest

from gradviz import MLP, Layer, Neuron, Value, mse_loss, svm_loss
from gradviz.engine import CONSTANT, Scope

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_parameter_counts_and_dotted_names():
    random.seed(0)
    m = MLP(3, [4, 4, 1])
    names = [n for n, _ in m.named_parameters()]
    assert len(m.parameters()) == 41 == len(names) == len(set(names))
    assert names[:5] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.w.2",
                         "layers.0.neurons.0.b", "layers.0.neurons.1.w.0"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert all(p.label == n for n, p in m.named_parameters())
    assert [n for n, _ in Neuron(2).named_parameters()] == ["w.0", "w.1", "b"]
    assert [n for n, _ in Layer(2, 2).named_parameters()][3] == "neurons.1.w.0"


def test_names_are_stable_across_instances():
    a = [n for n, _ in MLP(2, [3, 1]).named_parameters()]
    b = [n for n, _ in MLP(2, [3, 1]).named_parameters()]
    assert a == b


def test_neuron_follows_the_lecture_graph():
    random.seed(1)
    n = Neuron(2)
    x = [Value(2.0, label="x1"), Value(0.0, label="x2")]
    out = n(x)
    assert out._op == "tanh"
    act = out._prev[0]
    assert act._op == "+" and act._prev[1]._op == "*"
    first = act._prev[0]._prev  # b + w0*x0 comes first, as sum(..., b) builds it
    assert first[0] is n.b and first[1]._prev == (n.w[0], x[0])
    expected = n.b.data + n.w[0].data * 2.0 + n.w[1].data * 0.0
    import math
    assert out.data == pytest.approx(math.tanh(expected), rel=1e-15)


@pytest.mark.parametrize("activation, op", [("tanh", "tanh"), ("relu", "relu"), ("sigmoid", "sigmoid"), ("linear", "+")])
def test_activations(activation, op):
    assert Neuron(3, activation=activation)([1.0, 2.0, 3.0])._op == op


def test_bad_activation_and_input_size():
    with pytest.raises(ValueError, match="tanh, relu, sigmoid, linear"):
        MLP(2, [3], activation="gelu")
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        Neuron(3)([1.0, 2.0])


def test_micrograd_demo_model_shape():
    m = MLP(2, [16, 16, 1], activation="relu", linear_output=True)
    acts = [l.neurons[0].activation for l in m.layers]
    assert acts == ["relu", "relu", "linear"] and len(m.parameters()) == 337
    out = m([0.5, -0.5])
    assert isinstance(out, Value) and out._op == "+"


def test_layer_returns_list_or_single_value():
    assert isinstance(Layer(2, 3)([1.0, 2.0]), list)
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)


def test_values_remember_their_module_call():
    m = MLP(2, [2, 1])
    out = m([1.0, 2.0])
    s = out._scope
    assert isinstance(s, Scope) and s.module is m.layers[1].neurons[0]
    assert [type(c.module).__name__ for c in s.chain()] == ["MLP", "Layer", "Neuron"]
    assert s.chain()[0].call == 1
    out2 = m([3.0, 4.0])
    assert out2._scope.chain()[0].call == 2  # each call of the model (a sample) is its own scope
    x0 = out._scope.chain()[0]
    inputs = [v for v in out.topo() if v.label in ("x0", "x1")]
    assert len(inputs) == 2 and all(v._scope is x0 for v in inputs)
    p = m.layers[0].neurons[1].w[0]
    assert p._scope is m.layers[0].neurons[1]
    assert (2 * Value(1.0))._prev[0]._scope is CONSTANT
    assert Value(1.0)._scope is None  # nothing outside a module call is scoped


def test_module_zero_grad():
    m = MLP(3, [4, 1])
    loss = mse_loss([m(x) for x in XS], YS)
    loss.backward()
    assert any(p.grad != 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0 for p in m.parameters())


def test_losses():
    preds = [Value(0.5), Value(-0.5)]
    assert mse_loss(preds, [1.0, -1.0], reduction="sum").data == pytest.approx(0.5)
    assert mse_loss(preds, [1.0, -1.0]).data == pytest.approx(0.25)
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        mse_loss(preds, [1.0])
    w = Value(2.0)
    loss = svm_loss([Value(0.5), Value(2.0)], [1.0, 1.0], [w], alpha=0.1)
    assert loss.data == pytest.approx((0.5 + 0.0) / 2 + 0.1 * 4.0)
    loss.backward()
    assert w.grad == pytest.approx(0.4)
    data_loss, penalty = loss._prev  # named, so drawings of big graphs read well
    assert (loss.label, data_loss.label, penalty.label) == ("loss", "data loss", "L2 penalty")
    assert svm_loss([Value(0.5)], [1.0]).label == "data loss"


def test_training_on_the_lecture_dataset_brings_the_loss_below_0_01():
    random.seed(42)
    m = MLP(3, [4, 4, 1])
    for _ in range(200):
        loss = mse_loss([m(x) for x in XS], YS, reduction="sum")
        m.zero_grad()
        loss.backward()
        for p in m.parameters():
            p.data -= 0.05 * p.grad
    assert loss.data < 0.01
    preds = [m(x).data for x in XS]
    assert all((p > 0) == (y > 0) for p, y in zip(preds, YS))
