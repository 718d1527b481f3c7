"""A small neural-net library on ``Value``, as built in the lecture: Neuron, Layer, MLP, losses.

Parameters are labelled with their dotted names (``layers.0.neurons.3.w.1``) and every Value
created during a module call carries a ``Scope`` naming that call, so drawings can group them.
"""
from __future__ import annotations

import random
from typing import TYPE_CHECKING

from . import engine
from .engine import Value

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Literal

__all__ = ["Module", "Neuron", "Layer", "MLP", "mse_loss", "svm_loss", "ACTIVATIONS"]

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


class Module:
    """Base class: parameters, dotted names, zero_grad, and scoped calls."""

    def _own_parameters(self):
        """(name, Value) of the parameters held directly by this module."""
        return ()

    def _submodules(self):
        """(name, Module) of the modules held directly by this module."""
        return ()

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[(dotted name, Value)] in a stable order, e.g. ``layers.0.neurons.3.w.1``."""
        out, stack = [], [("", self)]
        while stack:
            prefix, m = stack.pop()
            out.extend((prefix + n, p) for n, p in m._own_parameters())
            stack.extend((prefix + n + ".", sub) for n, sub in reversed(list(m._submodules())))
        return out

    def parameters(self) -> list[Value]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def _name_parameters(self):
        """Label every parameter with its dotted name and mark it as owned by its module."""
        stack = [("", self)]
        while stack:
            prefix, m = stack.pop()
            for n, p in m._own_parameters():
                p.label = prefix + n
                engine.own_parameter(p, m)
            stack.extend((prefix + n + ".", sub) for n, sub in m._submodules())
        self._path = ""
        stack = [self]
        while stack:
            m = stack.pop()
            for n, sub in m._submodules():
                sub._path = f"{m._path}.{n}" if m._path else n
                stack.append(sub)

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """Run ``forward`` inside a Scope, so the Values it creates know which call made them."""
        self._calls = getattr(self, "_calls", 0) + 1
        prev = engine.enter_call(self, self._calls)
        try:
            if not isinstance(x, Value) and set(map(type, x)) != {Value}:  # numbers become input leaves
                x = [xi if isinstance(xi, Value) else Value(xi, label=f"x{i}") for i, xi in enumerate(x)]
            return self.forward(x)
        finally:
            engine.exit_call(prev)

    def forward(self, x: Sequence[Value]) -> Value | list[Value]:
        raise NotImplementedError


def _activate(v, activation):
    return v if activation == "linear" else getattr(v, activation)()


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; use one of {', '.join(ACTIVATIONS)}")


def _activation_of(activation, nonlin):
    """``activation``, or micrograd's ``nonlin`` flag read as micrograd means it: True is ReLU,
    False is linear. Without either, tanh, as in the lecture."""
    if nonlin is None:
        activation = "tanh" if activation is None else activation
    elif not isinstance(nonlin, bool):
        raise TypeError(f"nonlin must be True or False (micrograd's flag), got {nonlin!r}")
    elif activation is None:
        activation = "relu" if nonlin else "linear"
    elif (activation != "linear") != nonlin:
        raise ValueError(f"nonlin={nonlin} contradicts activation={activation!r}; give one of them")
    _check_activation(activation)
    return activation


class Neuron(Module):
    """``activation(b + sum(w_i * x_i))``, one graph node per ``*`` and per ``+`` as in the lecture.

    ``activation``: tanh (the lecture's default), relu, sigmoid or linear; micrograd's
    ``nonlin=True/False`` is accepted too (True is micrograd's ReLU, False is linear).
    """

    def __init__(self, nin: int, activation: str | None = None, nonlin: bool | None = None) -> None:
        activation = _activation_of(activation, nonlin)
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))
        self.activation = activation
        self._name_parameters()

    def _own_parameters(self):
        return [(f"w.{i}", w) for i, w in enumerate(self.w)] + [("b", self.b)]

    def forward(self, x: Sequence[Value]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"this Neuron takes {len(self.w)} inputs, got {len(x)}")
        act = self.b
        for wi, xi in zip(self.w, x):
            act = act + wi * xi
        return _activate(act, self.activation)

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; returns a list (a single Value if ``nout == 1``)."""

    def __init__(self, nin: int, nout: int, activation: str | None = None,
                 nonlin: bool | None = None) -> None:
        activation = _activation_of(activation, nonlin)
        self.neurons = [Neuron(nin, activation) for _ in range(nout)]
        self._name_parameters()

    def _submodules(self):
        return [(f"neurons.{i}", n) for i, n in enumerate(self.neurons)]

    def forward(self, x: Sequence[Value]) -> Value | list[Value]:
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def __repr__(self):
        return f"Layer({len(self.neurons[0].w)}, {len(self.neurons)}, activation={self.neurons[0].activation!r})"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs; ``linear_output`` drops the last activation."""

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "tanh",
                 linear_output: bool = False) -> None:
        _check_activation(activation)
        sizes = [nin] + list(nouts)
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             "linear" if linear_output and i == len(nouts) - 1 else activation)
                       for i in range(len(nouts))]
        self._name_parameters()

    def _submodules(self):
        return [(f"layers.{i}", l) for i, l in enumerate(self.layers)]

    def forward(self, x: Sequence[Value]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self):
        return f"MLP of [{', '.join(map(repr, self.layers))}]"


def mse_loss(preds: Sequence[Value | float], targets: Sequence[Value | float],
             reduction: Literal["mean", "sum"] = "mean") -> Value:
    """Squared error ``(pred - target) ** 2`` over pairs; ``reduction="sum"`` is the lecture's loss."""
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if len(preds) != len(targets):
        raise ValueError(f"{len(preds)} predictions but {len(targets)} targets")
    total = sum((yp - yt) ** 2 for yp, yt in zip(preds, targets))
    loss = total * (1.0 / len(preds)) if reduction == "mean" else total
    loss.label = "loss"
    return loss


def svm_loss(scores: Sequence[Value], labels: Sequence[float], parameters: Iterable[Value] = (),
             alpha: float | Value = 1e-4) -> Value:
    """micrograd's demo loss: mean of ``relu(1 + -y * score)`` plus ``alpha * sum(p * p)`` (L2).

    Built as the lecture builds it (``1 + -yi * scorei``: a ``neg`` node per sample), the graph the
    playground trains on too. ``alpha`` may be a Value (the playground's L2 leaf)."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    data_loss.label = "data loss"
    params = list(parameters)
    if not params:
        return data_loss
    penalty = alpha * sum(p * p for p in params)
    penalty.label = "L2 penalty"
    loss = data_loss + penalty
    loss.label = "loss"
    return loss
