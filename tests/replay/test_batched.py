"""Batched forward of one sample's graph equals the engine, sample by sample, bit for bit."""
import math
import random

import numpy as np
import pytest

from gradviz import MLP, Value
from gradviz.replay.batched import Batched


def _engine(model, x):
    """Every neuron's output and the score for one input, by the engine."""
    h, outs = [Value(x[0]), Value(x[1])], []
    for layer in model.layers:
        h = [n(h) for n in layer.neurons]
        outs += [v.data for v in h]
    return outs, h[0].data


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_score_and_every_neuron_equal_the_engine_per_sample(activation):
    random.seed(5)
    model = MLP(2, [16, 16, 1], activation=activation, linear_output=True)
    x = [Value(0.0, label="x0"), Value(0.0, label="x1")]
    h, neurons = x, []
    for layer in model.layers:
        h = [n(h) for n in layer.neurons]
        neurons += h
    b = Batched(h[0], x)
    ids = {id(v): i for i, v in enumerate(b.graph.values)}
    rng = np.random.default_rng(0)
    X = rng.normal(0, 2, (300, 2))
    scores = b.forward(X)
    V = b.forward(X, nodes=[ids[id(v)] for v in neurons])
    for k in range(len(X)):
        outs, score = _engine(model, X[k].tolist())
        if activation == "sigmoid":  # numpy's exp may differ from math.exp in the last bit
            assert scores[k] == pytest.approx(score, rel=1e-14, abs=1e-15)
            assert np.allclose(V[:, k], outs, rtol=1e-14, atol=1e-15)
        else:
            assert scores[k] == score
            assert V[:, k].tolist() == outs


def test_every_op_equals_the_engine():
    a, b = Value(0.0, label="a"), Value(0.0, label="b")
    c = Value(1.5, label="c")
    e = ((a * b + c) / (b * b + 1.0) - a).tanh() + (a ** 2).relu() + (-b).exp() * 0.5
    f = e + ((c + a * a).log() + b.sigmoid()) ** c
    bt = Batched(f, [a, b])
    X = np.array([[0.3, -1.2], [-2.0, 0.7], [1.1, 1.1], [0.0, 0.0]])
    got = bt.forward(X)
    for k, (x0, x1) in enumerate(X.tolist()):
        a.data, b.data = x0, x1
        # rebuild with the engine from the same leaves
        e = ((a * b + c) / (b * b + 1.0) - a).tanh() + (a ** 2).relu() + (-b).exp() * 0.5
        want = e + ((c + a * a).log() + b.sigmoid()) ** c
        assert got[k] == pytest.approx(want.data, rel=1e-15)


def test_parameters_are_read_live_from_their_values():
    w = Value(2.0, label="w")
    x = Value(0.0, label="x")
    y = w * x
    b = Batched(y, [x])
    assert b.forward([[3.0]]).tolist() == [6.0]
    w.data = -1.0
    assert b.forward([[3.0]]).tolist() == [-3.0]


def test_engine_errors_become_nan_not_exceptions():
    x = Value(1.0, label="x")
    b = Batched(x.log(), [x])
    out = b.forward([[-1.0], [math.e]])
    assert math.isnan(out[0]) and out[1] == pytest.approx(1.0)


def test_bad_input_is_named():
    x = Value(1.0, label="x")
    y = x * 2.0
    with pytest.raises(ValueError, match="computed by .*, not a leaf"):
        Batched(y, [y])
    with pytest.raises(ValueError, match="not a node of this graph"):
        Batched(y, [Value(3.0)])
    with pytest.raises(ValueError, match=r"X must have shape \(K, 1\)"):
        Batched(y, [x]).forward(np.zeros((3, 2)))


def test_sum_chains_on_either_side_and_shared_partial_sums_equal_the_engine():
    """Chains of + linked through the left or the right operand, of several lengths, one whose
    partial sum is used elsewhere (so it must not be folded away): every node equals the engine."""
    x, y = Value(0.0, label="x"), Value(0.0, label="y")

    def build():
        left = x * 0.3
        for k in range(6):
            left = left + x * (k + 1.0)         # link on the left
        right = y * 0.7
        for k in range(4):
            right = y * (k + 1.0) + right        # link on the right
        right = (y * y + 1.0) + right            # a term that is itself a sum
        shared = x + y
        s2 = shared + 1.0
        out = (s2 + 2.0) * shared + left + right  # 'shared' has two users
        return out

    out = build()
    b = Batched(out, [x, y])
    assert max(s[1] for s in b._steps if s[0] == "chain") >= 5  # sums do run as chains
    rng = np.random.default_rng(1)
    X = rng.normal(0, 3, (50, 2))
    V = b.forward(X, nodes=range(len(b.graph)))
    for k in range(len(X)):
        x.data, y.data = X[k].tolist()
        ref = build()
        want = [v.data for v in ref.topo()]
        assert V[:, k].tolist() == want
