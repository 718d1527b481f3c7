"""``from_torch`` on PyTorch 2's graphs: an ``ExportedProgram`` (``torch.export``) or an
``fx.GraphModule`` (``torch.fx.symbolic_trace``), as a gradviz ``Graph`` that reads like a capture.

The nodes are the FX graph's nodes (only those the output depends on). Placeholders of lifted
parameters and buffers become parameter leaves under their original names (``conv.weight``,
``bn.running_mean``); user inputs become input leaves. Scopes come from each node's
``nn_module_stack`` (``CNN#1/bn``), so the widget folds by module as it does for ``capture_torch``;
shapes and dtypes from ``meta["val"]``; the user's source line from ``stack_trace``.

Values and gradients come from running the graph once on its example inputs (or the user's) with an
``fx.Interpreter`` that summarises every node's result as it is made (as the capture does), and
hooks that summarise the gradient reaching each tensor on ``backward()``. The run uses copies of the
parameters, buffers and inputs: the exported program, the model and the user's tensors are left
exactly as they were (no ``.grad`` set, no running statistics updated).
"""
from __future__ import annotations

import copy
import os
import re
from typing import TYPE_CHECKING, Any

from ..graph.snapshot import Graph
from .stats import FEW, _one, _stats

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import torch

__all__ = ["is_fx_graph", "from_fx"]

_TORCH_DIR = None  # the installed torch package's folder: frames in it are not the user's


def is_fx_graph(torch, x) -> bool:
    """True for an ``ExportedProgram`` or an ``fx.GraphModule``."""
    return isinstance(x, (torch.export.ExportedProgram, torch.fx.GraphModule))


def _short_type(qualname):
    return str(qualname).rsplit(".", 1)[-1]


_PREFIX = re.compile(r"^L\['self'\]\.?|^L__self__\.?|^self\.?")
_MODULES = re.compile(r"\._modules\[['\"]([^'\"]+)['\"]\]")


def _module_path(path):
    """A ``nn_module_stack`` path as a dotted module path (``layers.0.linear1``)."""
    path = _MODULES.sub(r".\1", _PREFIX.sub("", str(path)))
    return path.strip(".")


def _scope(root, path):
    return root + ("/" + path.replace(".", "/") if path else "")


def _source_line(stack_trace):
    """``file.py:7 in forward: return self.fc(x)``: the innermost frame outside torch itself."""
    global _TORCH_DIR
    if not stack_trace:
        return ""
    if _TORCH_DIR is None:
        import torch
        _TORCH_DIR = os.path.dirname(torch.__file__) + os.sep
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)\n\s*(.*)', stack_trace)
    mine = [f for f in frames if not f[0].startswith(_TORCH_DIR)] or frames
    if not mine:
        return ""
    file, line, func, code = mine[-1]
    return f"{os.path.basename(file)}:{line} in {func}: {code.strip()}"


def _op_of(node, gm):
    """The op name of an FX node: ``aten.conv2d.default`` -> ``conv2d``; a module call -> its type."""
    t = node.target
    if node.op == "call_module":
        return type(gm.get_submodule(t)).__name__.lower()
    if node.op == "call_method":
        return str(t)
    name = getattr(t, "__name__", None) or str(t)
    if hasattr(t, "_schema") or hasattr(t, "overloadpacket"):  # an aten OpOverload: aten.x.default
        name = str(t).split(".")[1] if str(t).count(".") >= 2 else name
    return name.split(".")[-1].replace("<", "").replace(">", "")


def _program_parts(torch, x, inputs):
    """(graph module to run, flat argument tensors, {placeholder: (kind, name)}, root type name)."""
    if isinstance(x, torch.export.ExportedProgram):
        gm = x.graph_module
        sig = x.graph_signature
        kinds = {}
        lifted = []
        user = []
        for spec in sig.input_specs:
            name = spec.arg.name
            k = spec.kind.name
            if k == "USER_INPUT":
                kinds[name] = ("input", name)
                user.append(name)
            elif k in ("PARAMETER", "BUFFER"):
                kinds[name] = ("parameter", spec.target, k.lower())
                src = x.state_dict.get(spec.target)
                if src is None:
                    src = x.constants[spec.target]
                # buffers take no grad (BatchNorm updates them), nor do frozen parameters
                lifted.append((src, k == "PARAMETER" and getattr(src, "requires_grad", True)))
            else:  # CONSTANT_TENSOR, CUSTOM_OBJ, TOKEN
                kinds[name] = ("constant", spec.target or name, k.lower())
                lifted.append((x.constants.get(spec.target) if spec.target else None, False))
        flat_user = _user_inputs(torch, x, inputs, user)
        args = [_copy(torch, t, grad) for t, grad in lifted] + flat_user
        return gm, args, kinds, _root_type(gm)
    gm = copy.deepcopy(x)  # call_module nodes run the submodules: run a copy, not the user's
    names = [n.name for n in gm.graph.nodes if n.op == "placeholder"]
    if inputs is None:
        raise ValueError("from_torch(graph_module) needs inputs=(x, ...): an fx.GraphModule carries "
                         "no example inputs to run it on")
    flat = _flatten_inputs(torch, inputs)
    if len(flat) != len(names):
        raise ValueError(f"the GraphModule takes {len(names)} inputs ({', '.join(names)}); "
                         f"inputs= holds {len(flat)} tensors")
    for p in gm.parameters():
        p.requires_grad_(True)
    return gm, [_copy(torch, t) for t in flat], {n: ("input", n) for n in names}, type(x).__name__


def _root_type(gm):
    for node in gm.graph.nodes:
        stack = node.meta.get("nn_module_stack")
        if stack:
            path, qual = next(iter(stack.values()))
            if not _module_path(path):
                return _short_type(qual if isinstance(qual, str) else getattr(qual, "__name__", qual))
    return "Model"


def _flatten_inputs(torch, inputs):
    from torch.utils._pytree import tree_flatten
    if isinstance(inputs, torch.Tensor):
        inputs = (inputs,)
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(f"inputs must be a tuple of the model's positional inputs, e.g. (x,), "
                        f"got {type(inputs).__name__!r}")
    return tree_flatten(list(inputs))[0]


def _user_inputs(torch, ep, inputs, user):
    if inputs is None:
        ex = ep.example_inputs
        if ex is None:
            raise ValueError("this ExportedProgram carries no example inputs (it was saved or built "
                             "without them), so there is nothing to run it on: pass "
                             "from_torch(ep, inputs=(x, ...)) with tensors of the exported shapes")
        args, kwargs = ex
        from torch.utils._pytree import tree_flatten
        flat = tree_flatten((list(args), kwargs))[0]
    else:
        flat = _flatten_inputs(torch, inputs)
    if len(flat) != len(user):
        raise ValueError(f"the exported program takes {len(user)} input tensors ({', '.join(user)}); "
                         f"inputs= holds {len(flat)}")
    places = {n.name: n for n in ep.graph_module.graph.nodes if n.op == "placeholder"}
    out = []
    for name, t in zip(user, flat):
        want = places[name].meta.get("val")
        if isinstance(t, torch.Tensor) and isinstance(want, torch.Tensor):
            dims = list(want.shape)
            if len(dims) != t.dim() or any(isinstance(d, int) and d != s for d, s in zip(dims, t.shape)):
                raise ValueError(f"input {name!r} has shape {list(t.shape)}; the program was exported "
                                 f"for shape {dims}")
        out.append(_copy(torch, t))
    return out


def _copy(torch, t, grad=True):
    """A detached copy; floating ones require grad (if ``grad``) so every node gets its gradient."""
    if not isinstance(t, torch.Tensor):
        return t
    c = t.detach().clone()
    if grad and c.is_floating_point():
        c.requires_grad_(True)
    return c


def _ancestors(children, roots):
    """Every node the roots depend on. Iterative."""
    seen = set(roots)
    todo = list(roots)
    while todo:
        for c in children[todo.pop()]:
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return seen


def _tensor_args(torch, node):
    """The FX nodes among a node's arguments, in order, each once."""
    out = []
    todo = [list(node.args) + list(node.kwargs.values())]
    while todo:
        for a in todo.pop(0):
            if isinstance(a, torch.fx.Node):
                if a not in out:
                    out.append(a)
            elif isinstance(a, (list, tuple, dict)):
                todo.insert(0, list(a.values()) if isinstance(a, dict) else list(a))
    return out


def _record_run(torch, gm, args, few):
    """Run ``gm`` on ``args``; summaries of every node's result and, after backward, its gradient."""
    values, results, grads = {}, {}, {}

    def hook_for(name):
        def hook(g):
            grads[name] = _stats(torch, g, few)
        return hook

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n):
            r = super().run_node(n)
            if isinstance(r, torch.Tensor):
                values[n.name] = _stats(torch, r, few)
                results[n.name] = r
                if r.requires_grad:
                    r.register_hook(hook_for(n.name))
            elif isinstance(r, (bool, int, float)):
                values[n.name] = _stats(torch, torch.tensor(float(r)), few)
            return r

    with torch.enable_grad():
        out = Recorder(gm).run(*args)
    return out, values, results, grads


def _user_outputs(torch, x, gm):
    """The output node's user outputs (FX nodes), leaving out mutated buffers an export returns."""
    out = next(n for n in reversed(gm.graph.nodes) if n.op == "output")
    flat = out.args[0]
    flat = list(flat) if isinstance(flat, (tuple, list)) else [flat]
    if isinstance(x, torch.export.ExportedProgram):
        specs = x.graph_signature.output_specs
        flat = [n for n, s in zip(flat, specs) if s.kind.name in ("USER_OUTPUT", "LOSS_OUTPUT")]
    return [n for n in flat if isinstance(n, torch.fx.Node)]


def _root_tensor(torch, outs, loss, results):
    """The scalar to differentiate: the program's one scalar output, or ``loss(*outputs)``."""
    tensors = [results.get(n.name) for n in outs]
    if loss is not None:
        t = loss(*tensors)
        if not isinstance(t, torch.Tensor) or t.numel() != 1:
            raise ValueError(f"loss(...) must return a one-element tensor (the scalar to "
                             f"differentiate), got {type(t).__name__}"
                             + (f" of shape {list(t.shape)}" if isinstance(t, torch.Tensor) else ""))
        return t.reshape(())
    if len(outs) != 1 or not isinstance(tensors[0], torch.Tensor) or tensors[0].numel() != 1:
        shapes = [list(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in tensors]
        raise ValueError(f"gradients need a scalar output, but the program returns {len(outs)} "
                         f"output(s) of shape {', '.join(map(str, shapes))}; pass loss=, e.g. "
                         f"from_torch(ep, loss=lambda out: torch.nn.functional.cross_entropy(out, y)) "
                         f"or loss=lambda out: out.sum()")
    return tensors[0].reshape(())


def from_fx(x: Any, inputs: Sequence[Any] | None = None, loss: Callable[..., torch.Tensor] | None = None,
            few: int = FEW) -> Graph:
    """An ``ExportedProgram`` or ``fx.GraphModule`` as a Graph (``source="torch"``); see the module
    docstring. ``inputs``: the positional inputs to run it on (default: the program's example
    inputs); ``loss``: turns the outputs into the scalar whose gradients are shown (needed when the
    program's output is not a scalar)."""
    import torch
    gm, args, kinds, root_type = _program_parts(torch, x, inputs)
    out, values, results, grads = _record_run(torch, gm, args, few)
    outs = _user_outputs(torch, x, gm)
    root_t = _root_tensor(torch, outs, loss, results)
    if not root_t.requires_grad:
        raise ValueError("the output does not depend on any parameter or floating-point input, so "
                         "it has no gradients to show")
    loss_stats = _stats(torch, root_t, few) if loss is not None else None
    root_t.backward()

    nodes = [n for n in gm.graph.nodes if n.op != "output"]
    index = {n: i for i, n in enumerate(nodes)}
    kids = [[index[a] for a in _tensor_args(torch, n) if a in index] for n in nodes]
    keep = sorted(_ancestors(kids, [index[n] for n in outs]))
    renum = {old: new for new, old in enumerate(keep)}
    root_scope = f"{root_type}#1"
    cols = {k: [] for k in ("labels", "data", "grad", "ops", "kinds", "scopes", "children", "meta")}
    for old in keep:
        n = nodes[old]
        label, op, kind, scope, m = _describe(torch, n, gm, kinds, root_scope)
        if op and not kids[old]:  # made from no tensor (arange, zeros): a constant, drawn as a leaf
            op, kind = "", "constant"
        v, g = values.get(n.name), grads.get(n.name)
        r = results.get(n.name)
        if "shape" not in m and r is not None:  # no meta["val"] (symbolic_trace): the run's tensor
            m["shape"], m["dtype"] = list(r.shape), str(r.dtype).replace("torch.", "")
        if v is not None:
            m["value"] = v
        if g is not None:
            m["grad"] = g
        for col, item in (("labels", label), ("ops", op), ("kinds", kind), ("scopes", scope), ("meta", m),
                          ("data", _one(v)), ("grad", _one(g)), ("children", [renum[c] for c in kids[old]])):
            cols[col].append(item)
    if loss is not None:
        cols["labels"].append("loss"); cols["ops"].append("loss"); cols["kinds"].append("output")
        cols["scopes"].append(""); cols["children"].append([renum[index[n]] for n in outs])
        g1 = _stats(torch, torch.ones((), dtype=root_t.dtype), few)
        cols["meta"].append({"shape": [], "dtype": str(root_t.dtype).replace("torch.", ""),
                             "value": loss_stats, "grad": g1, "function": "loss(...)"})
        cols["data"].append(_one(loss_stats)); cols["grad"].append(1.0)
    else:
        cols["kinds"][-1] = "output"  # the one output: the last of its own ancestors
    return Graph(cols["labels"], cols["data"], cols["grad"], cols["ops"], cols["kinds"], cols["scopes"],
                 cols["children"], meta=cols["meta"], values=None, source="torch")


def _describe(torch, n, gm, kinds, root_scope):
    """(label, op, kind, scope, meta) of one FX node."""
    val = n.meta.get("val")
    m = {"fx_node": n.name}
    if isinstance(val, torch.Tensor):
        m["shape"] = [int(d) if isinstance(d, int) else str(d) for d in val.shape]
        m["dtype"] = str(val.dtype).replace("torch.", "")
    if n.op == "placeholder":
        kind, name, *lifted = kinds.get(n.name, ("input", n.name))
        scope = ""
        if kind == "parameter":
            module = name.rsplit(".", 1)[0] if "." in name else ""
            m.update(name=name, module=module, lifted=lifted[0])
            scope = _scope(root_scope, module)
        elif lifted:
            m["lifted"] = lifted[0]
        return name, "", kind, scope, m
    if n.op == "get_attr":  # a parameter an fx.GraphModule reads itself
        name = str(n.target)
        module = name.rsplit(".", 1)[0] if "." in name else ""
        m.update(name=name, module=module)
        return name, "", "parameter", _scope(root_scope, module), m
    stack = n.meta.get("nn_module_stack") or {}
    path, qual = next(reversed(stack.values())) if stack else ("", "")
    path = _module_path(path)
    if n.op == "call_module" and not stack:
        path, qual = str(n.target), type(gm.get_submodule(n.target)).__name__
    if path:
        m["module"] = path
        m["module_type"] = _short_type(qual if isinstance(qual, str) else getattr(qual, "__name__", qual))
    m["function"] = str(n.target) if n.op != "call_module" else f"{m.get('module_type', '')}({n.target})"
    src = _source_line(n.meta.get("stack_trace"))
    if src:
        m["source"] = src
    return n.name, _op_of(n, gm), "intermediate", _scope(root_scope, path), m
