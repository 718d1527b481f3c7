"""PyTorch's autograd graph, read: ``from_torch`` walks the backward functions (``grad_fn``) below a
tensor into a gradviz ``Graph``; the walkers here are shared with ``capture_torch``.
torch is optional: it is imported on first use (``require_torch``), never by ``import gradviz``.
"""
from __future__ import annotations

import contextlib
import math
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..graph.snapshot import Graph

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import torch

__all__ = ["from_torch", "walk_grad_fns", "next_fns", "op_name", "require_torch", "INSTALL"]

INSTALL = 'pip install "gradviz-explorer[torch]"'


def require_torch(what):
    """Import torch, or fail with the install command (checked on every call, never cached)."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(f"{what} needs PyTorch, which is not installed; install it with "
                          f"{INSTALL} (torch>=2.2)") from e
    return torch


_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")


def op_name(fn_name):
    """``AddmmBackward0`` -> ``addmm``; names without the suffix are lowercased as they are."""
    short = _BACKWARD_SUFFIX.sub("", fn_name)
    return (short or fn_name).lower()


def _shape_label(shape):
    return f"tensor[{', '.join(map(str, shape))}]" if len(shape) else "scalar"


def _summary(prefix, t, meta, share=None):
    """Scalars as floats; tensors summarised (mean, norm) in ``meta``. Returns the scalar or NaN.

    Computed in the tensor's own dtype (half types accumulate in float32), never on a float64
    copy: a ResNet's parameters would be copied whole (88 MB) for two numbers each. ``share``
    (a ``_Shared``) may hand a big tensor's summary to its second thread."""
    if t is None:
        return math.nan
    t = t.detach()
    if t.numel() == 1:
        return float(t.item())
    if t.numel() and (t.is_floating_point() or t.is_complex()):
        if share is None or not share.handed(prefix, t, meta):
            _mean_norm(prefix, t, meta)
    return math.nan


def _mean_norm(prefix, t, meta):
    torch = require_torch("from_torch")
    f = t if t.is_floating_point() else t.abs()
    acc = torch.float32 if f.element_size() < 4 else None
    meta[f"{prefix}_mean"] = float(f.sum(dtype=acc)) / f.numel()  # sum: a quarter faster than mean
    meta[f"{prefix}_norm"] = float(torch.linalg.vector_norm(f, dtype=acc))


class _Shared:
    """The summaries of big tensors, left until the walk is done and then shared with a second
    thread, each tensor to the thread with fewer elements so far. Both run whole reductions on one
    core (``_one_thread``), so neither waits on the other: on a busy machine this is no slower than
    one thread, on an idle one about half the time (a ResNet-18: mean and norm of 11M parameters
    and of their grads). Not during the walk: the helper would wait for the GIL after each op."""

    BIG = 65_536  # elements: a summary worth handing over

    def __init__(self):
        self.jobs = []

    def handed(self, prefix, t, meta):
        """True if ``t``'s summary is left for ``run`` (the caller does it now otherwise)."""
        if t.numel() <= self.BIG:
            return False
        self.jobs.append((prefix, t, meta))
        return True

    def run(self):
        halves, sizes = ([], []), [0, 0]
        for job in sorted(self.jobs, key=lambda j: -j[1].numel()):
            k = int(sizes[1] < sizes[0])
            halves[k].append(job)
            sizes[k] += job[1].numel()
        mine, theirs = halves
        failed = []

        def theirs_run():
            try:
                for job in theirs:
                    _mean_norm(*job)
            except BaseException as e:  # raised again on the caller's thread
                failed.append(e)

        helper = threading.Thread(target=theirs_run, name="gradviz-summaries", daemon=True) if theirs else None
        if helper is not None:
            helper.start()
        try:
            for job in mine:
                _mean_norm(*job)
        finally:
            if helper is not None:
                helper.join()
        if failed:
            raise failed[0]


@contextlib.contextmanager
def _one_thread(torch):
    """Summaries on one thread: ATen splits a big reduction across its threads, and on busy cores
    each split waits for a descheduled thread (see gradviz.pytorch.capture._SERIAL_MAX)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


_SAVED_NAMES = {}  # backward-function type -> its ``_saved_*`` attribute names


def _saved_scalars(fn):
    """The non-tensor arguments a backward function saved (exponents, dims, sizes), for meta."""
    names = _SAVED_NAMES.get(type(fn))
    if names is None:
        names = _SAVED_NAMES[type(fn)] = [n for n in dir(fn) if n.startswith("_saved_")
                                          and "_sym_" not in n]
    out, tensors = {}, []
    for name in names:
        try:
            v = getattr(fn, name)
        except Exception:  # a saved tensor, freed after backward
            tensors.append(name)
            continue
        if isinstance(v, (bool, int, float, str)):
            out[name[len("_saved_"):]] = v
        elif isinstance(v, (tuple, list)) and all(isinstance(e, (bool, int, float)) for e in v):
            out[name[len("_saved_"):]] = list(v)
        elif hasattr(v, "grad_fn"):
            tensors.append(name)
    if tensors:  # a name holds a tensor in every graph: skip it from now on (raising costs ~20 µs)
        _SAVED_NAMES[type(fn)] = [n for n in names if n not in tensors]
    return out


def next_fns(fn):
    """A backward function's children: its ``next_functions`` without the Nones."""
    return [n for n, _ in fn.next_functions if n is not None]


def walk_grad_fns(root, children=next_fns):
    """The backward functions below ``root`` children first, and each one's child indices.

    Iterative (autograd graphs may be a million deep). ``children(fn)`` is called once per node:
    reading ``next_functions`` is costly, and ``capture_torch`` answers it from its cache.
    Returns ``(order, kids)``: ``kids[i]`` indexes ``order`` for the children of ``order[i]``.
    """
    order, index, kids = [], {}, []
    ongoing = {root}
    stack = [(root, children(root), 0)]
    while stack:
        fn, nexts, pos = stack[-1]
        while pos < len(nexts) and (nexts[pos] in index or nexts[pos] in ongoing):
            pos += 1
        if pos < len(nexts):
            nxt = nexts[pos]
            stack[-1] = (fn, nexts, pos + 1)
            ongoing.add(nxt)
            stack.append((nxt, children(nxt), 0))
            continue
        stack.pop()
        ongoing.discard(fn)
        index[fn] = len(order)
        order.append(fn)
        kids.append(tuple(index[n] for n in nexts))
    return order, kids


def _param_names(params, torch):
    """{id(tensor): name} from a name -> tensor mapping, an iterable of pairs, or an nn.Module."""
    if isinstance(params, torch.nn.Module):
        params = params.named_parameters()
    items = params.items() if isinstance(params, Mapping) else params
    names = {}
    try:
        for name, p in items:
            if not isinstance(p, torch.Tensor):
                raise TypeError
            names[id(p)] = str(name)
    except (TypeError, ValueError):
        raise TypeError("params must map names to tensors, e.g. dict(model.named_parameters()) "
                        "(an nn.Module or its named_parameters() work too)") from None
    return names


def from_torch(tensor: torch.Tensor | torch.export.ExportedProgram | torch.fx.GraphModule,
               params: Mapping[str, torch.Tensor] | None = None, *, inputs: Sequence[Any] | None = None,
               loss: Callable[..., torch.Tensor] | None = None) -> Graph:
    """Walk a PyTorch autograd graph into a gradviz ``Graph`` (``source="torch"``). Iterative.

    One node per backward function (``grad_fn``), op its name without ``Backward0``
    (``AddmmBackward0`` -> ``"addmm"``; the full name is in ``meta["grad_fn"]``), and one leaf node
    per leaf tensor (``AccumulateGrad``), labelled by its name in ``params`` (e.g.
    ``dict(model.named_parameters())``) or by its shape. ``data``/``grad`` hold scalars where known
    and NaN otherwise; ``meta`` has shapes and, for tensors, mean and norm of data and grad.

    An ``ExportedProgram`` (``torch.export.export``) or ``fx.GraphModule`` is run once on its example
    inputs (or ``inputs``) and read like a ``capture_torch`` graph: module scopes, shapes, value and
    gradient summaries, lifted parameters under their names (``gradviz.pytorch.export``). ``loss``
    turns its outputs into the scalar to differentiate when the output is not a scalar.
    """
    torch = require_torch("from_torch")
    if not isinstance(tensor, torch.Tensor):
        from .export import from_fx, is_fx_graph
        if is_fx_graph(torch, tensor):
            if params is not None:
                raise TypeError("params= names the leaves of an autograd graph; an exported program "
                                "names its parameters itself: leave params out")
            return from_fx(tensor, inputs=inputs, loss=loss)
        raise TypeError(f"from_torch takes a torch.Tensor (e.g. a loss), a torch.export.ExportedProgram "
                        f"or an fx.GraphModule, got {type(tensor).__name__!r}")
    if inputs is not None or loss is not None:
        raise TypeError("inputs= and loss= are for exported programs and fx graphs; a tensor's "
                        "autograd graph has already run")
    names = _param_names(params, torch) if params is not None else {}

    root = tensor.grad_fn
    if root is None:  # a leaf: a graph of one node
        order, kids = [tensor], [()]
    else:
        order, kids = walk_grad_fns(root)
    with _one_thread(torch):
        return _torch_graph(torch, tensor, order, kids, names)


def _torch_graph(torch, tensor, order, kids, names):
    """from_torch's Graph of the walked backward functions ``order`` (children ``kids``)."""
    last = len(order) - 1
    labels, data, grad, ops, kinds, scopes, meta = [], [], [], [], [], [], []
    share = _Shared()
    for i, fn in enumerate(order):
        if isinstance(fn, torch.Tensor) or type(fn).__name__ == "AccumulateGrad":
            leaf = fn if isinstance(fn, torch.Tensor) else fn.variable
            m = {"grad_fn": type(fn).__name__ if fn is not leaf else None,
                 "shape": list(leaf.shape), "dtype": str(leaf.dtype).replace("torch.", ""),
                 "requires_grad": bool(leaf.requires_grad)}
            name = names.get(id(leaf))
            if name is not None:
                m["name"] = name
            labels.append(name if name is not None else _shape_label(leaf.shape))
            ops.append("")
            kinds.append("output" if i == last else "parameter" if name is not None else "input")
            scopes.append(name.rsplit(".", 1)[0] if name and "." in name else "")
            data.append(_summary("data", leaf, m, share))
            grad.append(_summary("grad", leaf.grad, m, share))
        else:
            full = fn.name()
            m = {"grad_fn": full}
            try:
                shapes = [list(im.shape) for im in fn._input_metadata]
            except (AttributeError, RuntimeError):
                shapes = []
            if shapes:
                m["shape"] = shapes[0]
                if len(shapes) > 1:
                    m["shapes"] = shapes
            saved = _saved_scalars(fn)
            if saved:
                m["saved"] = saved
            if i == last:
                value = tensor
                g = tensor.grad if tensor.retains_grad else None
            else:
                try:
                    value = fn._saved_result if hasattr(fn, "_saved_result") else None
                except RuntimeError:
                    value = None
                g = None
            if value is not None and not isinstance(value, torch.Tensor):
                value = None
            labels.append("")
            ops.append(op_name(full))
            kinds.append("output" if i == last else "intermediate")
            scopes.append("")
            data.append(_summary("data", value, m, share))
            grad.append(_summary("grad", g, m, share))
        meta.append(m)
    share.run()
    return Graph(labels, data, grad, ops, kinds, scopes, kids, meta=meta, values=None,
                 source="torch")
