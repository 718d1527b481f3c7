"""``Trainer``: the playground's training state, stepped on ``Tape`` replay.

The model is a gradviz ``MLP`` (2 inputs, the hidden layers, 1 linear output) trained with
micrograd's demo loss (``nn.svm_loss``): mean hinge ``relu(1 + -y * score)`` plus ``l2 * sum(p * p)``, plain SGD.
The loss graph of one batch is built once with the batch's inputs, labels and the L2 strength as
leaf Values, compiled into a ``Tape``, and replayed every step with new leaf data, so a step costs
a replay instead of a graph build. ``step(replay=False)`` takes the same step with the engine
(build, ``backward()``, update) and gives the same numbers.

The model's parameter Values are the truth: each step reads them, and writes the new data (and
the step's grads) into them, so ``model`` is live and edits made to it in Python are trained on.
Train and test losses and accuracies and the heatmaps come from ``Batched`` forward passes of the
one-sample graph.
"""
from __future__ import annotations

import random
import time
from numbers import Real

import numpy as np

from ..engine import Value
from ..nn import ACTIVATIONS, MLP, svm_loss
from ..replay.batched import Batched
from .datasets import DATASETS, make_dataset

__all__ = ["Trainer", "loss_graph", "quantize"]

CONFIG_KEYS = ("dataset", "n", "noise", "test_fraction", "hidden", "activation", "lr", "l2",
               "batch_size", "seed")
_DATA_KEYS = ("dataset", "n", "noise", "test_fraction", "seed")
_MODEL_KEYS = ("hidden", "activation", "seed")


def loss_graph(model, X, y, l2):
    """The loss of ``model`` on points ``X`` (rows) with labels ``y`` (+-1): ``nn.svm_loss``, the
    lecture's mean hinge ``relu(1 + -y * score)`` + ``l2`` * L2.

    Inputs, labels and ``l2`` may be numbers or Values; returns the loss Value."""
    return svm_loss([model(x) for x in X], y, model.parameters(), alpha=l2)


def _check(key, v):
    """``v`` validated for config ``key``; a clear error otherwise."""
    def number(lo, hi, what):
        if isinstance(v, bool) or not isinstance(v, Real) or not lo <= v <= hi:
            raise ValueError(f"{key} must be {what}, got {v!r}")
        return float(v)

    def integer(lo, hi):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
            raise ValueError(f"{key} must be an int between {lo} and {hi}, got {v!r}")
        return int(v)

    if key == "dataset":
        if v not in DATASETS:
            raise ValueError(f"unknown dataset {v!r}; choose one of {', '.join(DATASETS)}")
        return v
    if key == "activation":
        if v not in ACTIVATIONS or v == "linear":
            raise ValueError(f"unknown activation {v!r}; choose one of tanh, relu, sigmoid")
        return v
    if key == "hidden":
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            v = [v]
        if not isinstance(v, (list, tuple)) or len(v) > 6 or any(
                isinstance(h, bool) or not isinstance(h, (int, np.integer)) or not 1 <= h <= 32 for h in v):
            raise ValueError(f"hidden must be a list of up to 6 layer sizes, each an int from 1 to 32 "
                             f"(e.g. [16, 16]), got {v!r}")
        return [int(h) for h in v]
    if key == "n":
        return integer(10, 2000)
    if key == "seed":
        return integer(0, 2**32 - 1)
    if key == "noise":
        return number(0, 2, "a number between 0 and 2")
    if key == "test_fraction":
        return number(0, 0.9, "a number between 0 and 0.9")
    if key == "lr":
        return number(0, 100, "a number between 0 and 100")
    if key == "l2":
        return number(0, 10, "a number between 0 and 10")
    if key == "batch_size":
        return None if v is None or v == 0 else integer(1, 2000)
    raise KeyError(f"unknown setting {key!r}; settings: {', '.join(CONFIG_KEYS)}")


class Trainer:
    """Dataset + MLP + SGD on Tape replay. See the module docstring; ``config`` holds the settings."""

    def __init__(self, dataset="moons", n=100, noise=0.1, test_fraction=0.2, hidden=(16, 16),
                 activation="relu", lr=0.1, l2=1e-4, batch_size=None, seed=0, grid=50):
        self.config = {}
        for key, v in zip(CONFIG_KEYS, (dataset, n, noise, test_fraction, hidden, activation, lr, l2,
                                        batch_size, seed)):
            self.config[key] = _check(key, v)
        if isinstance(grid, bool) or not isinstance(grid, int) or not 4 <= grid <= 200:
            raise ValueError(f"grid must be an int between 4 and 200 (points per side), got {grid!r}")
        self.grid = grid
        self._make_data()
        self._make_model()

    # ---- building ---------------------------------------------------------------------------

    def _make_data(self):
        c = self.config
        self.data = make_dataset(c["dataset"], c["n"], c["noise"], c["test_fraction"], c["seed"])
        x0, x1, y0, y1 = self.data.extent
        g = self.grid
        xs, ys = np.linspace(x0, x1, g), np.linspace(y1, y0, g)  # row 0 is the top of the picture
        gx, gy = np.meshgrid(xs, ys)
        self.grid_points = np.c_[gx.ravel(), gy.ravel()]
        self._tape = None

    def _seeded_model(self):
        """The model the settings start from: ``MLP`` drawn from ``random`` seeded with ``seed``
        (the caller's random state is kept)."""
        c = self.config
        state = random.getstate()
        random.seed(c["seed"])
        try:
            return MLP(2, c["hidden"] + [1], activation=c["activation"], linear_output=True)
        finally:
            random.setstate(state)

    def initial_param_data(self):
        """The parameters a reset returns to (the seeded start), in ``parameters()`` order."""
        return np.array([p.data for p in self._seeded_model().parameters()], dtype=np.float64)

    def _make_model(self):
        c = self.config
        self.model = self._seeded_model()
        self.params = self.model.parameters()
        self._rng = np.random.default_rng(c["seed"])
        self.steps = 0
        self.history = {"step": [], "train": [], "test": []}
        # the one-sample graph: inputs -> every neuron -> score, for batched forward passes
        x = [Value(0.0, label="x0"), Value(0.0, label="x1")]
        h, self._neuron_values = x, []
        for layer in self.model.layers:
            h = [nrn(h) for nrn in layer.neurons]
            self._neuron_values.append(h)
        score = h[0]
        self._one = Batched(score, x)
        index = {id(v): i for i, v in enumerate(self._one.graph.values)}
        self._neuron_ids = [index[id(v)] for layer in self._neuron_values for v in layer]
        self._one_params = np.array([index[id(p)] for p in self.params], dtype=np.intp)
        self._tape = None
        self._record()

    def _compile(self):
        """The loss graph of one batch, with leaves for inputs, labels and L2, as a Tape."""
        from ..replay.tape import Tape
        B = self.batch_size
        xs = [[Value(0.0, label=f"x[{k}].0"), Value(0.0, label=f"x[{k}].1")] for k in range(B)]
        ys = [Value(0.0, label=f"y[{k}]") for k in range(B)]
        l2 = Value(0.0, label="l2")
        loss = loss_graph(self.model, xs, ys, l2)
        tape = Tape(loss)
        index = {id(v): i for i, v in enumerate(tape.graph.values)}
        self._ids = {
            "x": np.array([[index[id(v)] for v in row] for row in xs], dtype=np.intp),
            "y": np.array([index[id(v)] for v in ys], dtype=np.intp),
            "l2": index[id(l2)],
            "params": np.array([index[id(p)] for p in self.params], dtype=np.intp),
        }
        self._buf = np.array(tape.graph.data, dtype=np.float64)
        self._tape = tape
        self._tape_b = B

    # ---- settings ---------------------------------------------------------------------------

    @property
    def batch_size(self):
        """Points per step: the setting, at most the training set (None: the whole set)."""
        m = len(self.data.y_train)
        b = self.config["batch_size"]
        return m if b is None else min(b, m)

    def configure(self, **changes):
        """Change settings. Data or model changes (dataset, n, noise, test_fraction, hidden,
        activation, seed) start training over; lr, l2 and batch_size apply from the next step.
        All are checked before any is applied."""
        new = {k: _check(k, v) for k, v in changes.items()}
        changed = {k for k, v in new.items() if self.config[k] != v}
        self.config.update(new)
        if changed & set(_DATA_KEYS):
            self._make_data()
        if changed & set(_MODEL_KEYS) or changed & set(_DATA_KEYS):
            self._make_model()
        return changed

    def reset(self):
        """The model back to its seeded start, step 0, empty history (same data)."""
        self._make_model()

    # ---- training ---------------------------------------------------------------------------

    def _batch(self):
        m = len(self.data.y_train)
        B = self.batch_size
        return np.arange(m) if B == m else np.sort(self._rng.choice(m, B, replace=False))

    def step(self, n=1, replay=True, budget=None):
        """``n`` SGD steps (or as many as fit in ``budget`` seconds, at least one); returns the
        number taken. ``replay=False`` builds each step's graph with the engine instead of Tape."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be an int >= 0, got {n!r}")
        t_end = None if budget is None else time.perf_counter() + budget
        lr, l2 = self.config["lr"], self.config["l2"]
        X, y = self.data.X_train, self.data.y_train
        taken = 0
        while taken < n:
            P = self.param_data()
            idx = self._batch()
            if replay:
                if self._tape is None or self._tape_b != self.batch_size:
                    self._compile()
                ids, d = self._ids, self._buf
                d[ids["params"]] = P
                d[ids["x"]] = X[idx]
                d[ids["y"]] = y[idx]
                d[ids["l2"]] = l2
                values, grad = self._tape.run(write_back=False, data=d)
                G = grad[ids["params"]]
                batch_loss = float(values[-1])
            else:
                loss = loss_graph(self.model, X[idx].tolist(), y[idx].tolist(), l2)
                self.model.zero_grad()
                loss.backward()
                G = np.array([p.grad for p in self.params])
                batch_loss = loss.data
            # a full batch's loss is the train loss at these parameters: no second evaluation
            self._record(P, train=batch_loss if len(idx) == len(y) else None)
            P = P - lr * G
            for p, v, gv in zip(self.params, P.tolist(), G.tolist()):
                p.data = v
                p.grad = gv
            self.steps += 1
            taken += 1
            if t_end is not None and time.perf_counter() >= t_end:
                break
        self._record()
        return taken

    def param_data(self):
        """The parameters' current data (read from the model's Values), in ``parameters()`` order."""
        return np.array([p.data for p in self.params], dtype=np.float64)

    # ---- what the page shows ----------------------------------------------------------------

    def scores(self, X):
        """The model's score for each row of ``X``, by batched forward (current parameters)."""
        d = self._one.leaf_data()
        return self._one.forward(X, d)

    def loss_of(self, X, y, P=None):
        """Mean hinge + L2 of the current model on ``X``, ``y`` (numpy; the engine's formula)."""
        P = self.param_data() if P is None else P
        if len(y) == 0:
            return float("nan")
        s = self.scores(X)
        return float(np.mean(np.maximum(1.0 - y * s, 0.0)) + self.config["l2"] * np.dot(P, P))

    def _record(self, P=None, train=None, again=False):
        """Note the train and test loss at the current step (once per step; ``again``: the
        parameters were changed outside training, so the current step's entry is measured anew)."""
        h = self.history
        if h["step"] and h["step"][-1] == self.steps:
            if not again:
                return
            for k in ("step", "train", "test"):
                h[k].pop()
        d = self.data
        h["step"].append(self.steps)
        h["train"].append(self.loss_of(d.X_train, d.y_train, P) if train is None else train)
        h["test"].append(self.loss_of(d.X_test, d.y_test, P))

    def accuracy(self):
        """(train, test) fraction of points whose score has the label's sign."""
        d = self.data
        out = []
        for X, y in ((d.X_train, d.y_train), (d.X_test, d.y_test)):
            out.append(float(np.mean(np.sign(self.scores(X)) == y)) if len(y) else float("nan"))
        return tuple(out)

    def heatmaps(self):
        """(1 + neurons, grid*grid) values over the input plane: the score, then every neuron."""
        leaf = self._one.leaf_data()
        V = self._one.forward(self.grid_points, leaf, nodes=[len(self._one.graph) - 1] + self._neuron_ids)
        return V

    def weights(self):
        """Per layer: (weights as nested lists [out][in], biases)."""
        out = []
        for layer in self.model.layers:
            out.append(([[w.data for w in nrn.w] for nrn in layer.neurons], [nrn.b.data for nrn in layer.neurons]))
        return out


def quantize(V):
    """Heatmap rows (``Trainer.heatmaps()``) as the page gets them, bytes 0..255 (127.5 is zero):
    the score clipped to the margin [-1, 1], each neuron scaled by its largest magnitude over the
    plane."""
    V = np.array(V, dtype=np.float64)
    out = np.empty_like(V)
    out[0] = np.clip(V[0], -1.0, 1.0)
    top = np.abs(V[1:]).max(axis=1, keepdims=True) if len(V) > 1 else np.ones((0, 1))
    out[1:] = V[1:] / np.where(top > 0, top, 1.0)
    out = np.nan_to_num(out, nan=0.0)
    return np.round((out + 1.0) * 127.5).astype(np.uint8).tobytes()
