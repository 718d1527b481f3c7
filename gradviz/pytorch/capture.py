"""``capture_torch``: record a real PyTorch run (forward and backward) as a gradviz Graph.

::

    with gradviz.capture_torch(model) as cap:
        loss = loss_fn(model(x), y)
        loss.backward()
    cap.graph()            # a Graph (source "torch"): every autograd node, scoped by module
    cap.gradient_flow()    # per-parameter and per-layer gradient norms

How: a ``TorchFunctionMode`` sees every torch call of the forward pass and summarises each output
that autograd tracks (shape, dtype, mean, std, min, max, norm; the whole value when it has at most
``few`` elements), keyed by its ``grad_fn``; forward hooks on the model's modules say which module
made it. When ``backward()`` (or ``torch.autograd.backward``/``grad``) is called inside the block,
the autograd graph below the loss is walked once (iteratively) and a pre-hook is put on every
node: it summarises the gradient flowing into that node. Pre-hooks only read, so no
``retain_grad()`` is needed and every ``.grad`` ends up exactly as without the capture; they are
removed when the block ends. Only summaries are kept, never copies of tensors
(the capture holds autograd's nodes, whose saved tensors backward frees as usual).

Nodes autograd creates inside one torch call (e.g. the gates inside ``nn.LSTM``'s ``lstm``, the
transpose inside ``linear``) get their shape, their gradient and, where autograd saved its result,
their value; others read "—".
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..draw.grouping import module_level
from ..graph.snapshot import Graph
from .autograd import next_fns, op_name, walk_grad_fns
from .autograd import require_torch as _torch
from .stats import FEW, _one, _stats

if TYPE_CHECKING:
    import torch

    from .gradflow import GradientFlow

__all__ = ["capture_torch", "TorchCapture", "module_groups"]

def _fn_name(func):
    name = getattr(func, "__name__", None) or str(func)
    if name == "__get__":  # a property such as Tensor.T or Tensor.mT: name the property
        name = getattr(getattr(func, "__self__", None), "__name__", name)
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
    return name


class TorchCapture:
    """A recording of a PyTorch run; make one with ``capture_torch(model)`` and use it as a
    context manager. See the module docstring."""

    def __init__(self, model: torch.nn.Module | None = None, few: int = FEW) -> None:
        torch = _torch("capture_torch")
        if model is not None and not isinstance(model, torch.nn.Module):
            raise TypeError(f"capture_torch(model) takes a torch.nn.Module (or None to record "
                            f"without module scopes), got {type(model).__name__!r}")
        if isinstance(few, bool) or not isinstance(few, int) or few < 0:
            raise ValueError(f"few must be an int >= 0 (tensors of at most that many elements "
                             f"keep their whole value), got {few!r}")
        self._torch = torch
        self.model = model
        self.few = few
        self._records = {}    # grad_fn -> (function name, scope, module path, shape, dtype, stats)
        self._grads = {}      # grad_fn -> stats of the gradient flowing into it
        self._leaf_stats = {}  # AccumulateGrad -> stats of its tensor's value at backward time
        self._saved = {}      # grad_fn recorded by no call -> stats of the result autograd saved
        self._nexts = {}      # grad_fn -> its children (next_functions without the Nones)
        self._roots = []      # root tensors' grad_fns, one per backward call
        self._last = None     # the last grad_fn recorded (the root when backward never ran)
        self._hooks = []
        self._stack = []      # (scope, module path) of the module calls under way
        self._calls = {}      # scope -> times entered
        self._outputs = {}    # module path -> grad_fn of its first call's output
        self._root_scope = None
        self._mode = None
        self._active = False
        self._param_names = {}
        self._module_of = {}
        self._types = {}      # module path -> its class name ("features.0" -> "Conv2d")
        if model is not None:
            self._param_names = {id(p): n for n, p in model.named_parameters()}
            self._module_of = {n: n.rsplit(".", 1)[0] if "." in n else "" for n in self._param_names.values()}
            self._types = {n: type(mod).__name__ for n, mod in model.named_modules()}

    # ---- recording ------------------------------------------------------------------------------

    def __enter__(self) -> TorchCapture:
        if self._active:
            raise RuntimeError("this capture is already recording; use a new capture_torch(...)")
        torch = self._torch
        if self.model is not None:
            for name, mod in self.model.named_modules():
                self._hooks.append(mod.register_forward_pre_hook(self._enter_hook(name)))
                self._hooks.append(mod.register_forward_hook(self._exit_hook(name), always_call=True))
        self._mode = _mode_class(torch)(self)
        self._mode.__enter__()
        self._active = True
        return self

    def __exit__(self, *exc):
        self._active = False
        try:
            self._mode.__exit__(*exc)
        finally:
            for h in self._hooks:
                h.remove()
            self._hooks.clear()
            self._stack.clear()
        return False

    def _enter_hook(self, name):
        def hook(module, args):
            if self._stack:
                pscope, pname = self._stack[-1]
                if pname == "" or name.startswith(pname + "."):
                    rel = name[len(pname) + 1:] if pname else name
                    scope = pscope + "/" + rel.replace(".", "/")
                else:  # called from outside its parent: place it by where it lives
                    scope = (self._root_scope or type(self.model).__name__) + "/" + name.replace(".", "/")
            elif name == "":
                scope = type(module).__name__
            else:
                scope = type(self.model).__name__ + "/" + name.replace(".", "/")
            k = self._calls[scope] = self._calls.get(scope, 0) + 1
            if name == "":
                scope = f"{scope}#{k}"
                if self._root_scope is None:
                    self._root_scope = scope
            elif k > 1:
                scope = f"{scope}#{k}"
            self._stack.append((scope, name))
        return hook

    def _exit_hook(self, name):
        def hook(module, args, output):
            if self._stack:
                self._stack.pop()
            t = output[0] if isinstance(output, (tuple, list)) and output else output
            if name not in self._outputs and isinstance(t, self._torch.Tensor) and t.grad_fn is not None:
                self._outputs[name] = t.grad_fn  # the module's (first call's) output, for gradient_flow
        return hook

    def _record(self, func, out):
        Tensor = self._torch.Tensor
        outs = (out,) if isinstance(out, Tensor) else out if isinstance(out, (tuple, list)) else ()
        for t in outs:
            if not isinstance(t, Tensor):
                continue
            fn = t.grad_fn
            if fn is None or fn in self._records:
                continue
            scope, module = self._stack[-1] if self._stack else ("", "")
            self._records[fn] = (_fn_name(func), scope, module, list(t.shape),
                                 str(t.dtype).replace("torch.", ""), _stats(self._torch, t, self.few))
            self._last = fn

    def _before_backward(self, roots):
        """Walk the graph below ``roots`` once and hook every node not hooked yet. Iterative."""
        torch = self._torch
        stack = []
        for r in roots:
            if isinstance(r, torch.Tensor) and r.grad_fn is not None:
                self._roots.append(r.grad_fn)
                if r.grad_fn not in self._records:
                    self._record(_Named("output"), r)
                stack.append(r.grad_fn)
        nexts = self._nexts
        while stack:
            fn = stack.pop()
            if fn in nexts:
                continue
            kids = nexts[fn] = next_fns(fn)
            stack.extend(k for k in kids if k not in nexts)
            try:
                self._hooks.append(fn.register_prehook(self._grad_hook(fn)))
            except (AttributeError, RuntimeError):  # a node that takes no hooks: no grad shown
                pass
            if not kids and hasattr(fn, "variable"):  # AccumulateGrad: the leaf's value now
                self._leaf_stats[fn] = _stats(torch, fn.variable, self.few)
            elif fn not in self._records:
                try:
                    res = fn._saved_result
                except (AttributeError, RuntimeError):
                    res = None
                if isinstance(res, torch.Tensor):
                    self._saved[fn] = _stats(torch, res, self.few)

    def _grad_hook(self, fn):
        torch, grads, few = self._torch, self._grads, self.few

        def hook(grad_outputs):
            for g in grad_outputs:
                if g is not None:
                    grads[fn] = _stats(torch, g, few)
                    break
        return hook

    # ---- results --------------------------------------------------------------------------------

    def graph(self, root: torch.Tensor | None = None) -> Graph:
        """The recorded run as a gradviz ``Graph`` (``source="torch"``), children before parents.

        ``root``: the tensor to draw the graph below; by default the tensor ``backward()`` was last
        called on inside the block (else the last tensor recorded). One node per autograd node, as
        in ``from_torch``: label the torch function that made it (``linear``, ``conv2d``; "" for
        nodes made inside a call), op the autograd name (``addmm``); leaves are the parameters
        (labelled by dotted name) and inputs. ``scopes`` are module call paths
        (``ResNet#1/layer1/0/conv1``); ``meta`` holds shape, dtype, ``value`` and ``grad``
        summaries (mean, std, min, max, norm, numel, ``values`` when few), ``function``,
        ``grad_fn`` and ``module``. ``data``/``grad`` hold one-element values, NaN otherwise.
        """
        torch = self._torch
        if root is not None:
            if not isinstance(root, torch.Tensor):
                raise TypeError(f"root must be a torch.Tensor, got {type(root).__name__!r}")
            top = root.grad_fn
            if top is None:
                raise ValueError("root has no grad_fn: it was not computed from tensors that "
                                 "require grad, so there is no graph below it")
        else:
            top = self._roots[-1] if self._roots else self._last
            if top is None:
                raise ValueError("nothing was recorded: run the forward pass (and backward()) "
                                 "inside `with capture_torch(model) as cap:`, on tensors that "
                                 "require grad (the model's parameters do)")
        order, kids = walk_grad_fns(top, self._children)
        return self._build(order, kids)

    def _children(self, fn):
        kids = self._nexts.get(fn)
        if kids is None:
            kids = self._nexts[fn] = next_fns(fn)
        return kids

    def _param_scope(self, name):
        module = self._module_of.get(name, "")
        base = self._root_scope or (type(self.model).__name__ + "#1")
        return base + ("/" + module.replace(".", "/") if module else "")

    def _build(self, order, kids):
        n = len(order)
        last = n - 1
        labels, data, grad, ops, kinds, scopes, meta = [], [], [], [], [], [], []
        inherit = [False] * n
        for i, fn in enumerate(order):
            g = self._grads.get(fn)
            full = type(fn).__name__
            if full == "AccumulateGrad":
                leaf = fn.variable
                name = self._param_names.get(id(leaf))
                v = self._leaf_stats.get(fn) or _stats(self._torch, leaf, self.few)
                m = {"shape": list(leaf.shape), "dtype": str(leaf.dtype).replace("torch.", ""),
                     "grad_fn": full, "value": v}
                if name is not None:
                    m["name"] = name
                    m["module"] = self._module_of.get(name, "")
                labels.append(name if name is not None else "input")
                ops.append("")
                kinds.append("output" if i == last else "parameter" if name is not None else "input")
                scopes.append(self._param_scope(name) if name is not None else "")
            else:
                rec = self._records.get(fn)
                m = {"grad_fn": full}
                if rec is not None:
                    func, scope, module, shape, dtype, v = rec
                    m.update(function=func, shape=shape, dtype=dtype, value=v)
                    if module:
                        m["module"] = module
                    labels.append(func)
                    scopes.append(scope)
                else:
                    try:
                        md = fn._input_metadata
                        if md:
                            m["shape"] = list(md[0].shape)
                            m["dtype"] = str(md[0].dtype).replace("torch.", "")
                    except (AttributeError, RuntimeError):
                        pass
                    v = self._saved.get(fn)
                    if v is not None:
                        m["value"] = v
                    labels.append("")
                    scopes.append("")
                    inherit[i] = True
                ops.append(op_name(full))
                kinds.append("output" if i == last else "intermediate")
            v = m.get("value")
            if g is not None:
                m["grad"] = g
            data.append(_one(v))
            grad.append(_one(g))
            meta.append(m)
        # nodes made inside a call sit in the scope of the op that uses them (parents come later)
        for i in range(n - 1, -1, -1):
            if scopes[i]:
                for c in kids[i]:
                    if inherit[c] and not scopes[c]:
                        scopes[c] = scopes[i]
                        if "module" in meta[i]:
                            meta[c]["module"] = meta[i]["module"]
        for m in meta:
            kind = self._types.get(m.get("module"))
            if kind:
                m["module_type"] = kind
        return Graph(labels, data, grad, ops, kinds, scopes, kids, meta=meta, values=None,
                     source="torch")

    def gradient_flow(self) -> GradientFlow:
        """Per-parameter and per-layer gradient norms and grad/weight ratios of the recorded
        backward, and per layer the norm of the gradient that reached its output (what vanishes
        or explodes layer by layer). A ``GradientFlow``: a table in notebooks, ``.plot()``."""
        from .gradflow import GradientFlow
        if not self._param_names:
            raise ValueError("gradient_flow needs the model: capture_torch(model), so parameters "
                             "have names")
        rows = {}
        for fn, kids in self._nexts.items():
            if not kids and type(fn).__name__ == "AccumulateGrad":
                name = self._param_names.get(id(fn.variable))
                if name is not None:
                    g = self._grads.get(fn)
                    v = self._leaf_stats.get(fn)
                    rows[name] = (list(fn.variable.shape), v["norm"] if v and "norm" in v else math.nan,
                                  g["norm"] if g and "norm" in g else math.nan)
        if not any(r[2] == r[2] for r in rows.values()):  # only NaN norms: graph() walked a forward
            raise ValueError("no gradient was recorded: call loss.backward() inside the "
                             "`with capture_torch(model) as cap:` block")
        order = [n for n, _ in self.model.named_parameters() if n in rows]
        out = {}
        for name, fn in self._outputs.items():
            g = self._grads.get(fn)
            if g is not None and "norm" in g:
                out[name or "(model)"] = g["norm"]
        return GradientFlow([(n, *rows[n]) for n in order], out_grads=out)

    def __repr__(self):
        state = "recording" if self._active else "done"
        return (f"<TorchCapture {state}: {len(self._records)} ops, {len(self._grads)} gradients, "
                f"{len(self._roots)} backward call(s)>")


def module_groups(graph: Graph, depth: int = 1) -> list[str]:
    """Group keys that fold a captured graph by module ``depth`` levels below the model
    (1: the model's children, ``features``, ``classifier``; 2: their children, and a child with
    none at its own level), for ``GraphWidget(g, collapsed=...)`` and ``to_svg(g, collapsed=...)``.
    Like torchview's depth (``gradviz.draw.grouping.module_level``, one level deeper)."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth must be an int >= 0 (0 folds the whole model), got {depth!r}")
    return module_level(graph, depth + 1)


class _Named:
    def __init__(self, name):
        self.__name__ = name


_MODE = {}


def _mode_class(torch):
    """The TorchFunctionMode subclass (built once: torch is imported lazily)."""
    cls = _MODE.get("cls")
    if cls is None:
        from torch.overrides import TorchFunctionMode
        backward = {torch.Tensor.backward, torch.autograd.backward, torch.autograd.grad}

        class _CaptureMode(TorchFunctionMode):
            def __init__(self, cap):
                super().__init__()
                self.cap = cap

            def __torch_function__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                if func in backward:
                    first = args[0] if args else kwargs.get("tensors", kwargs.get("outputs"))
                    roots = first if isinstance(first, (tuple, list)) else (first,)
                    self.cap._before_backward(roots)
                    return func(*args, **kwargs)
                out = func(*args, **kwargs)
                if torch.is_grad_enabled():
                    self.cap._record(func, out)
                return out

        cls = _MODE["cls"] = _CaptureMode
    return cls


def capture_torch(model: torch.nn.Module | None = None, few: int = FEW) -> TorchCapture:
    """Record a PyTorch run: ``with capture_torch(model) as cap: loss = ...; loss.backward()``.

    ``model``: the ``nn.Module`` whose parameters and submodules name the graph (scopes are module
    call paths); None records without module names. ``few``: tensors of at most this many elements
    keep their whole value. Then ``cap.graph()`` is a gradviz Graph (draw it with ``to_svg`` or
    ``GraphWidget``) and ``cap.gradient_flow()`` the per-layer gradient norms. Call ``backward()``
    inside the block: gradients are recorded only there. torch is needed (``pip install
    "gradviz-explorer[torch]"``).
    """
    return TorchCapture(model, few=few)
