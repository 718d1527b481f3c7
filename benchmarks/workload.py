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
    reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
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
