"""The PyTorch bridge: mirror a gradviz graph into PyTorch and cross-check it.

``to_torch`` rebuilds a gradviz graph op for op in float64 PyTorch; ``compare_with_torch`` runs
both and compares every value and gradient (or builds the same network from ``torch.nn`` layers);
(``from_torch``, which reads a torch graph back, is in ``pytorch/autograd.py``.)
torch is optional: it is imported on first use, never by ``import gradviz``.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import ops as op_table
from ..comparison import (
    Comparison,
    ComparisonRow,
    TorchMismatchError,
    columns,
    grad_hints,
    gradviz_graph,
    prepared_graph,
)
from ..engine import Value
from ..engine import gc_paused as _gc_paused
from ..names import NodeLookupError, node_name, resolve_node
from ..nn import MLP, Layer, Neuron, mse_loss, svm_loss
from .autograd import INSTALL, from_torch
from .autograd import require_torch as _torch

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Literal

    import torch

    from ..graph.types import Root

__all__ = ["to_torch", "compare_with_torch", "from_torch", "INSTALL", "TorchMirror", "Comparison",
           "ComparisonRow", "TorchMismatchError"]

# ---- to_torch ---------------------------------------------------------------------------------



class TorchMirror(Mapping):
    """The tensors of a mirrored graph, by node: ``m[value]``, ``m[node_id]`` or ``m[label]``.

    ``root`` is the root tensor, ``graph`` the gradviz Graph it mirrors, ``tensors`` the tensors
    in node-id order. A label works when exactly one node carries it; a failed lookup raises
    ``gradviz.names.NodeLookupError`` (a KeyError), see ``gradviz.names.resolve_node``.
    """

    def __init__(self, graph, tensors):
        self.graph = graph
        self.tensors = tensors
        self.root = tensors[-1]

    def _index(self, key):
        return resolve_node(self.graph, key)

    def __contains__(self, key):
        try:
            self._index(key)
        except (NodeLookupError, TypeError):
            return False
        return True

    def __getitem__(self, key):
        return self.tensors[self._index(key)]

    def __iter__(self):
        return iter(range(len(self.tensors)))

    def __len__(self):
        return len(self.tensors)

    def __repr__(self):
        return f"<TorchMirror of {len(self)} tensors, root {self.graph.labels[-1] or self.graph.ops[-1]!r}>"


def _mirror(g, torch):
    """Build the float64 tensors of Graph ``g`` in id order (ids are topological). Iterative."""
    with _gc_paused():
        return _build(g, torch)


def _build(g, torch):
    f64 = torch.float64
    mirrors = {name: op_table.torch_fn(name, torch) for name in op_table.OPS}  # the table's torch column
    data, op_names, children = g.data.tolist(), g.ops, g.children
    tensors = []
    for i, cs in enumerate(children):
        if not cs:
            tensors.append(torch.tensor(data[i], dtype=f64, requires_grad=True))
            continue
        op = op_names[i]
        entry, k = op_table.lookup(op)
        custom = op_table.CUSTOM.get(op) if entry is None and isinstance(op, str) else None
        if custom is not None and custom.torch is not None:  # an op of the user's, with its mirror
            t = custom.torch(*[tensors[c] for c in cs])
            t.retain_grad()
            tensors.append(t)
            continue
        if entry is None:
            how = g.meta[i].get("backward") if g.meta[i] else None
            what = {"custom": "a custom op (its own _backward closure)",
                    "none": "not a gradviz op (and it has no _backward, so it passes no gradient)"
                    }.get(how, "an op")
            raise ValueError(f"{node_name(g, i)} has op {op!r}, {what} with no PyTorch "
                             f"counterpart here, so it cannot be mirrored; mirrored ops: "
                             f"{', '.join(o for o in op_table.OPS if o != '**k')}, '**k' with a number k, "
                             f"and ops registered with a torch mirror (gradviz.register_op({op!r}, forward, "
                             f"derivatives, torch=...))")
        if len(cs) != entry.arity:
            raise ValueError(f"{node_name(g, i)} has op {op!r} with {len(cs)} operands; "
                             f"{op!r} takes {entry.arity}")
        if k is not None:
            # a tensor exponent, not a Python number: PyTorch then differentiates with C's pow, as
            # gradviz does; with a number it takes sqrt/rsqrt shortcuts for k = +-0.5, whose slope
            # at -0.0 is -inf where pow's is +inf (a false mismatch for (-Value(0.0)) ** 0.5)
            k = torch.tensor(k, dtype=f64)
        t = mirrors[entry.name](tensors[cs[0]], tensors[cs[1]] if entry.arity == 2 else None, k)
        t.retain_grad()
        tensors.append(t)
    return tensors


def to_torch(x: Root) -> tuple[torch.Tensor, TorchMirror]:
    """Mirror a gradviz graph (a root Value or a Graph) into float64 PyTorch, op for op.

    Returns ``(root_tensor, mirror)``: leaves are tensors with ``requires_grad=True``, every other
    node calls ``retain_grad()``, so after ``root_tensor.backward()`` each ``mirror[node].grad``
    holds d(root)/d(node) as PyTorch computes it. ``mirror`` looks tensors up by Value, id or label.
    """
    torch = _torch("to_torch")
    g = gradviz_graph(x, "to_torch")
    tensors = _mirror(g, torch)
    return tensors[-1], TorchMirror(g, tensors)


# ---- compare_with_torch -----------------------------------------------------------------------

def compare_with_torch(x: Root | None = None, rtol: float = 1e-9, atol: float = 1e-12, backward: bool = False, *,
                       model: MLP | Layer | Neuron | None = None, inputs: Sequence[Sequence[float]] | None = None,
                       targets: Sequence[Any] | None = None, loss: Literal["mse", "sse", "svm"] | Callable[..., Any] | None = None,
                       ) -> Comparison:
    """Cross-check gradviz against PyTorch, node by node; returns a ``Comparison`` report.

    ``compare_with_torch(L)`` (a root Value or a Graph) mirrors L's graph into float64 PyTorch op
    for op and compares every node's data and grad as gradviz holds them now (call ``L.backward()``
    first, or pass ``backward=True`` to zero the grads and run it here). A value agrees when
    ``|gradviz - torch| <= atol + rtol * |torch|``; NaN agrees with NaN.

    ``compare_with_torch(model=mlp, inputs=xs, targets=ys, loss="mse")`` builds the same network
    from ``torch.nn.Linear`` layers and activations with the same weights, runs both on ``inputs``
    and compares the outputs, the loss and every parameter's grad by its dotted name. ``loss``:
    ``"mse"`` (mean squared error, the default with targets), ``"sse"`` (sum of squared errors, the
    lecture's loss), ``"svm"`` (``svm_loss`` with L2 alpha=1e-4), a callable ``loss(outputs,
    targets)`` that works on both frameworks' per-sample outputs, or None without targets (the
    sum of the outputs). The model's own grads are left as they were.
    """
    torch = _torch("compare_with_torch")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be >= 0, got rtol={rtol!r}, atol={atol!r}")
    if model is not None:
        if x is not None:
            raise TypeError("compare_with_torch takes either a graph (x) or model=..., not both")
        if backward:
            raise TypeError("backward=True applies to graphs; a model comparison always runs "
                            "backward on a fresh graph")
        return _compare_model(torch, model, inputs, targets, loss, rtol, atol)
    if inputs is not None or targets is not None or loss is not None:
        raise TypeError("inputs=, targets= and loss= go with model=...; to compare a graph, "
                        "pass its root: compare_with_torch(L)")
    if x is None:
        raise TypeError("compare_with_torch needs a graph (a root Value or a Graph) or model=...")
    with _gc_paused():
        return _compare_graph(torch, x, rtol, atol, backward)


def _compare_graph(torch, x, rtol, atol, backward):
    g = prepared_graph(x, backward, "compare_with_torch")
    tensors = _build(g, torch)
    tensors[-1].backward()
    t_data = [t.item() for t in tensors]
    t_grad = [0.0 if t.grad is None else t.grad.item() for t in tensors]
    cols = columns(range(len(g)), g.labels, g.ops, g.data, t_data, g.grad, t_grad, rtol, atol)
    return Comparison(cols, rtol, atol, "compare_with_torch", grad_hints(g))


def _layers_of(model):
    """[(neurons, activation)] of a Neuron, Layer or MLP; TypeError for other modules."""
    if isinstance(model, MLP):
        return [(layer.neurons, layer.neurons[0].activation) for layer in model.layers]
    if isinstance(model, Layer):
        return [(model.neurons, model.neurons[0].activation)]
    if isinstance(model, Neuron):
        return [([model], model.activation)]
    raise TypeError(f"compare_with_torch(model=...) rebuilds Neuron, Layer and MLP models as "
                    f"torch.nn layers, not {type(model).__name__!r}; for any other graph pass "
                    f"its root Value instead: compare_with_torch(loss)")


def _samples(inputs, nin):
    if inputs is None:
        raise TypeError("compare_with_torch(model=...) needs inputs=: a list of samples, each a "
                        f"list of {nin} numbers")
    try:
        arr = np.asarray(inputs, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"inputs must be numbers: a list of samples, each a list of {nin} "
                        f"numbers") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != nin or arr.shape[0] == 0:
        raise ValueError(f"inputs must be a non-empty list of samples of {nin} numbers each (the "
                         f"model takes {nin} inputs), got shape {arr.shape}")
    return arr


def _torch_net(torch, layers):
    """An nn.Sequential with the same weights; and for each gradviz parameter, (param, index, name)."""
    nn = torch.nn
    acts = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
    modules, where = OrderedDict(), {}
    for li, (neurons, activation) in enumerate(layers):
        lin = nn.Linear(len(neurons[0].w), len(neurons), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
            lin.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        modules[f"linear{li}"] = lin
        if activation in acts:
            modules[f"{activation}{li}"] = acts[activation]()
        for j, n in enumerate(neurons):
            for k, w in enumerate(n.w):
                where[id(w)] = (lin.weight, (j, k), f"linear{li}.weight[{j}, {k}]")
            where[id(n.b)] = (lin.bias, (j,), f"linear{li}.bias[{j}]")
    return nn.Sequential(modules), where


def _loss_kind(loss, targets):
    if loss is None:
        return "mse" if targets is not None else "sum"
    if callable(loss):
        return loss
    if loss in ("mse", "sse", "svm"):
        if targets is None:
            raise TypeError(f"loss={loss!r} needs targets=")
        return loss
    raise ValueError(f"unknown loss {loss!r}; use 'mse', 'sse', 'svm', a callable "
                     f"loss(outputs, targets), or None")


def _compare_model(torch, model, inputs, targets, loss, rtol, atol):
    layers = _layers_of(model)
    nin, nout = len(layers[0][0][0].w), len(layers[-1][0])
    X = _samples(inputs, nin)
    n = len(X)
    kind = _loss_kind(loss, targets)
    if targets is not None and not callable(kind):
        Y = np.asarray(targets, dtype=np.float64)
        if Y.shape not in ((n,), (n, nout)) or (nout > 1 and Y.shape != (n, nout)):
            raise ValueError(f"targets must match the outputs: {n} samples of "
                             f"{'one number' if nout == 1 else f'{nout} numbers'}, got shape {Y.shape}")
        Y = Y.reshape(n, nout)
    if kind == "svm" and nout != 1:
        raise ValueError("loss='svm' needs a model with one output (a score per sample)")

    # gradviz: a fresh graph; the model's grads are restored afterwards
    named = model.named_parameters()
    saved = [p.grad for _, p in named]
    try:
        for _, p in named:
            p.grad = 0.0
        outs = [model(list(map(float, row))) for row in X]
        flat = [o for out in outs for o in (out if isinstance(out, list) else [out])]
        if kind == "sum":
            L = sum(flat[1:], flat[0])
        elif kind in ("mse", "sse"):
            L = mse_loss(flat, Y.ravel().tolist(), reduction="mean" if kind == "mse" else "sum")
        elif kind == "svm":
            L = svm_loss(flat, Y.ravel().tolist(), model.parameters())
        else:
            L = kind(outs, targets)
            if not isinstance(L, Value):
                raise TypeError(f"the loss callable returned {type(L).__name__!r} for gradviz "
                                f"outputs; it must return a Value")
        L.backward()
        gv = [(name, id(p), p.data, p.grad) for name, p in named]
        out_grads, loss_grad = [o.grad for o in flat], L.grad
    finally:
        for (_, p), gr in zip(named, saved):
            p.grad = gr

    # torch: the same network as nn layers
    net, where = _torch_net(torch, layers)
    out = net(torch.tensor(X, dtype=torch.float64))
    out.retain_grad()
    if kind == "sum":
        TL = out.sum()
    elif kind in ("mse", "sse"):
        sq = (out - torch.tensor(Y, dtype=torch.float64)) ** 2
        TL = sq.mean() if kind == "mse" else sq.sum()
    elif kind == "svm":
        y = torch.tensor(Y[:, 0], dtype=torch.float64)
        TL = torch.relu(1 - y * out[:, 0]).mean() + 1e-4 * sum((p * p).sum() for p in net.parameters())
    else:
        t_outs = list(out[:, 0]) if nout == 1 else list(out)
        TL = kind(t_outs, targets)
        if not isinstance(TL, torch.Tensor) or TL.numel() != 1:
            raise TypeError("the loss callable must return a one-element tensor for torch outputs")
    TL.retain_grad()
    TL.backward()

    labels, ops, tnames = [], [], []
    a_data, b_data, a_grad, b_grad = [], [], [], []
    t_out = out.detach().numpy()
    t_out_grad = out.grad.numpy() if out.grad is not None else np.zeros_like(t_out)
    for i, o in enumerate(flat):
        s, j = divmod(i, nout)
        labels.append(f"out[{s}]" if nout == 1 else f"out[{s}][{j}]")
        ops.append(o._op or "leaf")
        tnames.append(f"output[{s}, {j}]")
        a_data.append(o.data); b_data.append(float(t_out[s, j]))
        a_grad.append(out_grads[i]); b_grad.append(float(t_out_grad[s, j]))
    labels.append("loss"); ops.append(kind if isinstance(kind, str) else "loss"); tnames.append("loss")
    a_data.append(L.data); b_data.append(TL.item())
    a_grad.append(loss_grad); b_grad.append(TL.grad.item())
    for name, key, d, gr in gv:
        param, idx, tname = where[key]
        labels.append(name); ops.append("parameter"); tnames.append(tname)
        a_data.append(d); b_data.append(param[idx].item())
        a_grad.append(gr); b_grad.append(0.0 if param.grad is None else param.grad[idx].item())
    cols = columns(range(len(labels)), labels, ops, a_data, b_data, a_grad, b_grad, rtol, atol,
                    tnames)
    return Comparison(cols, rtol, atol, f"compare_with_torch(model={type(model).__name__})")
