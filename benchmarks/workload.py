"""The benchmark workload shared by every section: micrograd's moons demo step.

moons: 100 samples, noise 0.1 (generated here, no scikit-learn needed); MLP 2-16-16-1 with ReLU
hidden layers and a linear output; SVM max-margin loss + 1e-4 L2. About 66,000 nodes a step.
"""
from __future__ import annotations

import math
import random


def moons(n=100, noise=0.1, seed=1):
    """Two interleaving half circles, like scikit-learn's make_moons; labels are -1 and 1."""
    rng = random.Random(seed)
    n_out = n // 2
    n_in = n - n_out
    X, y = [], []
    for i in range(n_out):
        t = math.pi * i / (n_out - 1)
        X.append([math.cos(t) + rng.gauss(0, noise), math.sin(t) + rng.gauss(0, noise)])
        y.append(-1.0)
    for i in range(n_in):
        t = math.pi * i / (n_in - 1)
        X.append([1 - math.cos(t) + rng.gauss(0, noise), 1 - math.sin(t) - 0.5 + rng.gauss(0, noise)])
        y.append(1.0)
    return X, y


def gradviz_model(seed=1337):
    from gradviz import MLP
    random.seed(seed)
    return MLP(2, [16, 16, 1], activation="relu", linear_output=True)


def gradviz_loss(model, X, y):
    """Forward: the moons loss graph on gradviz (one node per * and + of every neuron)."""
    from gradviz import svm_loss
    scores = [model(x) for x in X]
    return svm_loss(scores, y, model.parameters(), alpha=1e-4)


def gradviz_step(model, X, y, lr=0.1):
    loss = gradviz_loss(model, X, y)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss


def micrograd_model(seed=1337):
    from micrograd.nn import MLP
    random.seed(seed)
    return MLP(2, [16, 16, 1])  # micrograd's demo: ReLU hidden layers, linear output


def micrograd_step(model, X, y, lr=0.1):
    """micrograd 0.1.0's demo step, as in its demo notebook."""
    from micrograd.engine import Value
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss


def count_nodes(root):
    """Nodes reachable from a micrograd or gradviz root (iterative)."""
    seen, stack = {id(root)}, [root]
    while stack:
        v = stack.pop()
        for c in v._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


# ---- graph shapes (benchmarks/bench_shapes.py, tests/replay/test_replay.py) --------------------------

def deep_chain(ops=1_000_000):
    """A recurrence ``y = y * 1.0001 + 0.0001`` of ``ops`` ops: one level per op, one op per level.
    Returns (x, y): the leaf it starts from and the root."""
    from gradviz import Value
    x = Value(1.0, label="x")
    y = x
    for _ in range(ops // 2):
        y = y * 1.0001 + 0.0001
    return x, y


def random_dag(ops=100_000, window=None, seed=0):
    """``ops`` random ops (+ - * tanh relu sigmoid) on 16 inputs, each reading nodes drawn at random
    from all earlier nodes (``window=None``: shallow and wide) or from the last ``window`` ones
    (deep and narrow); every node feeds the root through a final sum."""
    from gradviz import Value
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(16)]
    for _ in range(ops):
        lo = 0 if window is None else max(0, len(nodes) - window)
        a, b = nodes[rng.randrange(lo, len(nodes))], nodes[rng.randrange(lo, len(nodes))]
        op = rng.randrange(6)
        nodes.append(a + b if op == 0 else a - b if op == 1 else a * b if op == 2 else
                     a.tanh() if op == 3 else a.relu() if op == 4 else a.sigmoid())
    unused = set(map(id, nodes)) - {id(c) for v in nodes for c in v._prev}
    tops = [v for v in nodes if id(v) in unused]
    return sum(tops[1:], tops[0])


def rnn_loss(steps=200, hidden=8, seed=0):
    """A tanh RNN cell (``hidden`` units on [h, x_t], x_t 2 numbers) unrolled in scalars over
    ``steps`` steps; loss = sum over steps of (h_t[0] - target_t)^2. Returns (cell, loss)."""
    from gradviz import Layer, Value
    rng = random.Random(seed)
    random.seed(seed)
    cell = Layer(hidden + 2, hidden, activation="tanh")
    h = [Value(0.0, label=f"h0.{i}") for i in range(hidden)]
    loss = Value(0.0, label="loss0")
    for t in range(steps):
        x = [Value(math.sin(0.1 * t), label=f"x{t}.0"), Value(rng.uniform(-1, 1), label=f"x{t}.1")]
        h = cell(h + x)
        loss = loss + (h[0] - math.cos(0.1 * t)) ** 2
    return cell, loss
