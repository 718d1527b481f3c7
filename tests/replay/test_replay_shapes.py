"""Tape against the engine on every graph shape: deep chains, random DAGs, an unrolled RNN, wide.

Each check runs the Tape after moving the leaves, then holds it to the engine twice: every op
node's written ``.data`` is the engine's op applied to its written operands (bit for bit), and
the engine's own ``backward()`` over the same Values gives the Tape's gradients (bit for bit).
"""
import math
import sys

import numpy as np
import pytest

from benchmarks import workload
from gradviz import Value
from gradviz.replay import Tape

ENGINE_OP = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b, "neg": lambda a, b: -a, "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(), "tanh": lambda a, b: a.tanh(), "relu": lambda a, b: a.relu(),
    "sigmoid": lambda a, b: a.sigmoid(),
}


def same(x, y):
    """Bit for bit, NaN == NaN."""
    return (x == y and math.copysign(1.0, x) == math.copysign(1.0, y)) or (x != x and y != y)


def assert_engine_agrees(t, root, data, grad):
    values = t.graph.values
    for i, v in enumerate(values):  # forward: each node is the engine's op on its operands
        assert same(data[i], v.data)
        if v._a is None:
            continue
        a, b = Value(v._a.data), None if v._b is None else Value(v._b.data)
        want = a ** float(v._op[2:]) if v._b is None and v._op.startswith("**") else ENGINE_OP[v._op](a, b)
        assert same(v.data, want.data), (i, v._op)
    got = [v.grad for v in values]
    assert np.array_equal(grad, got)
    for v in values:
        v.grad = 0.0
    root.backward()  # backward: the engine, on the same Values
    want = np.array([v.grad for v in values])
    assert np.array_equal(grad, want) and np.array_equal(np.signbit(grad), np.signbit(want))


def check(root, leaves, mode, expect=None):
    t = Tape(root, mode=mode)
    if expect:
        assert t.mode == expect
    for k, v in enumerate(leaves):  # move every leaf, so every value changes
        v.data = v.data * 0.75 + 0.01 * (k % 7)
    data, grad = t.run()
    assert_engine_agrees(t, root, data, grad)
    return t


def leaves_of(root):
    return [v for v in root.topo() if v._a is None]


def test_deep_chain_of_a_million_ops_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x, y = workload.deep_chain(1_000_000)
    t = check(y, [x], "auto", expect="scalar")
    assert len(t.graph) == 2_000_001 and y.data > 1.0 and x.grad > 1.0


@pytest.mark.parametrize("mode", ["vector", "scalar"])
def test_deep_chain(mode):
    x, y = workload.deep_chain(3_000)
    check(y, [x], mode)


@pytest.mark.parametrize("mode", ["vector", "scalar"])
@pytest.mark.parametrize("window", [None, 8])
def test_random_dag(mode, window):
    root = workload.random_dag(2_000, window=window, seed=3)
    check(root, leaves_of(root), mode)


def test_random_dags_pick_their_plan():
    wide, narrow = workload.random_dag(20_000, seed=1), workload.random_dag(20_000, window=8, seed=1)
    check(wide, leaves_of(wide), "auto", expect="vector")
    check(narrow, leaves_of(narrow), "auto", expect="scalar")


@pytest.mark.parametrize("mode", ["vector", "scalar", "auto"])
def test_rnn_unrolled_over_200_steps(mode):
    cell, loss = workload.rnn_loss(200, 4)
    check(loss, cell.parameters(), mode)


@pytest.mark.parametrize("mode", ["vector", "scalar", "auto"])
def test_wide_moons_step(mode):
    X, y = workload.moons(n=30)
    model = workload.gradviz_model()
    loss = workload.gradviz_loss(model, X, y)
    t = check(loss, model.parameters(), mode)
    if mode == "auto":
        assert t.mode == "vector"


def test_a_fallible_graph_changes_nothing_when_a_node_fails_deep_in_a_chain():
    x = Value(1.0, label="x")
    y = x
    for k in range(2_000):
        y = (y * 1.0001 + 0.0001) if k != 1_000 else y.log()
    t = Tape(y, mode="scalar")
    before = [(v.data, v.grad) for v in t.graph.values]
    x.data = -1.0
    with pytest.raises(ValueError, match="log of a non-positive number"):
        t.run()
    assert [(v.data, v.grad) for v in t.graph.values][1:] == before[1:]


def test_mode_is_checked():
    with pytest.raises(ValueError, match="mode must be one of 'auto', 'vector', 'scalar'"):
        Tape(Value(1.0) * 2.0, mode="fast")
