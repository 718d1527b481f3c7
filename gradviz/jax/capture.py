"""``capture_jax(fn, *args)``: a JAX function's jaxpr as a gradviz Graph, with the value and the
gradient of every variable.

::

    g = gradviz.capture_jax(loss, params, x, y)   # a Graph (source "jax"), drawn like a capture

How: ``jax.make_jaxpr`` gives the function's equations. Calls are inlined as scopes, so the widget
folds them: ``jit``-ed functions (``pjit``), ``custom_jvp``/``custom_vjp`` functions (named by the
function), and each iteration of a ``lax.scan`` (``scan#1/0``, ``scan#1/1``, ...; its ``xs`` are
sliced and its ``ys`` stacked by nodes of their own). The flat list of nodes is then evaluated
again, equation by equation (``primitive.bind``), with a zero added to every floating-point
intermediate; ``jax.vjp`` of the scalar output with respect to those zeros gives the cotangent of
every variable (and of the inputs), in one backward pass. A ``custom_jvp``/``custom_vjp`` call is
bound as a whole, so its own rule makes the gradient (as ``jax.grad`` does); the equations inside
are shown with their values and no gradient (the rule does not pass through them). ``while`` and
``cond`` stay single nodes. Only summaries are kept (as ``capture_torch`` keeps them): shape,
dtype, mean, std, min, max, norm, and the whole value of small arrays.
"""
from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..graph.snapshot import Graph

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["capture_jax", "INSTALL", "np_stats"]

INSTALL = 'pip install "gradviz-explorer[jax]"'
FEW = 6  # arrays of at most this many elements keep their whole value (as capture_torch)
CALLS = ("pjit", "jit", "closed_call", "core_call", "remat", "checkpoint", "custom_lin")
CUSTOM = ("custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr")
SCAN_UNROLL_MAX = 1000  # longer scans stay one node (their iterations would drown the picture)


def _jax(what):
    """Import jax, or fail with the install command (checked on every call, never cached)."""
    try:
        import jax
        import jax.numpy  # noqa: F401
    except ImportError as e:
        raise ImportError(f"{what} needs JAX, which is not installed; install it with {INSTALL} "
                          f"(jax>=0.4.30)") from e
    return jax


def np_stats(a, few=FEW):
    """Summary of an array as ``capture_torch`` keeps it: numel, mean, std (n-1), min, max, norm,
    and ``values`` when it has at most ``few`` elements. Integer arrays count too; others: numel."""
    a = np.asarray(a)
    n = int(a.size)
    if not n or not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)
                     or a.dtype == np.bool_):
        return {"numel": n}
    f = a.astype(np.float64).reshape(-1)
    with np.errstate(all="ignore"):
        s = {"mean": float(f.mean()), "min": float(f.min()), "max": float(f.max()),
             "norm": float(np.sqrt(np.dot(f, f))) if np.isfinite(f).all() else float(np.linalg.norm(f))}
        if n >= 2:
            s["std"] = float(f.std(ddof=1))
    s["numel"] = n
    if n <= few:
        s["values"] = f.tolist()
    return s


def _one(s):
    if s and s.get("numel") == 1 and "values" in s:
        return float(s["values"][0])
    return math.nan


class _Node:
    """One variable of the flattened jaxpr: how to compute it and how to show it."""

    __slots__ = ("spec", "atoms", "kids", "label", "op", "scope", "aval", "meta", "no_grad", "kind")

    def __init__(self, spec, atoms, label, op, scope, aval, kind="intermediate", no_grad=False, extra=()):
        self.spec = spec      # ("leaf", i) | ("const", value) | ("eqn", eqn, instance, k) | ("index", t) | ("stack",)
        self.atoms = atoms    # the inputs: node ids (int) or ("lit", value)
        self.kids = [a for a in atoms if isinstance(a, int)] + [e for e in extra if isinstance(e, int)]
        self.label, self.op, self.scope, self.aval, self.kind = label, op, scope, aval, kind
        self.meta = {}
        self.no_grad = no_grad


def _sub_jaxpr(eqn):
    """(jaxpr, consts) of a call-like equation's body."""
    p = eqn.params
    j = p.get("jaxpr", p.get("call_jaxpr", p.get("fun_jaxpr")))
    if hasattr(j, "jaxpr"):  # a ClosedJaxpr
        return j.jaxpr, list(j.consts)
    return j, []


def _debug_name(jaxpr):
    """The function a body was traced from (``softplus at file.py:3`` -> ``softplus``), or ""."""
    info = getattr(getattr(jaxpr, "debug_info", None), "func_src_info", None) or ""
    return info.split(" ", 1)[0] if info else ""


def _source(eqn):
    try:
        from jax._src import source_info_util
        return source_info_util.summarize(eqn.source_info)
    except Exception:  # private API: the source line is a nicety
        return ""


class _Flattener:
    """The jaxpr as a flat list of _Nodes, calls inlined as scopes. Iterative over nesting: each
    body is a work item that resumes its parent when done."""

    def __init__(self, jax, root_scope):
        import jax.extend.core as jcore
        self.jax, self.core = jax, jcore
        self.nodes = []
        self.instances = 0
        self.calls = {}  # scope -> {name: times called}
        self.root_scope = root_scope

    def add(self, node):
        self.nodes.append(node)
        return len(self.nodes) - 1

    def atom(self, env, v, scope=""):
        """A variable's node; a literal (``mul x 0.5``) becomes a constant leaf, as gradviz draws
        ``x * 0.5``."""
        if isinstance(v, self.core.Literal):
            val = np.asarray(v.val)
            label = repr(val.item()) if val.size == 1 else f"const{list(val.shape)}"
            return self.add(_Node(("const", v.val), [], label, "", scope, v.aval, kind="constant"))
        return env[v]

    def scope_of(self, parent, name):
        k = self.calls.setdefault(parent, {})
        k[name] = k.get(name, 0) + 1
        return f"{parent}/{name}#{k[name]}" if parent else f"{name}#{k[name]}"

    def run(self, jaxpr, consts, leaves):
        """Flatten ``jaxpr`` (consts as constant leaves, invars bound to ``leaves``); its outputs' atoms."""
        env = {}
        for v, c in zip(jaxpr.constvars, consts):
            env[v] = self.add(_Node(("const", c), [], "const", "", "", v.aval, kind="constant"))
        for v, a in zip(jaxpr.invars, leaves):
            env[v] = a
        # a frame: (jaxpr, env, scope, no_grad, next equation, what to do with its outputs when done)
        frames = [[jaxpr, env, self.root_scope, False, 0, None]]
        result = None
        while frames:
            fr = frames[-1]
            jp, env, scope, no_grad, pos, done = fr
            if pos == len(jp.eqns):
                frames.pop()
                outs = [self.atom(env, v, scope) for v in jp.outvars]
                if done is None:
                    result = outs
                else:
                    done(outs)
                continue
            fr[4] = pos + 1
            eqn = jp.eqns[pos]
            name = eqn.primitive.name
            ins = [self.atom(env, v, scope) for v in eqn.invars]
            if name in CALLS or name in CUSTOM:
                frames.append(self._call(eqn, env, ins, scope, no_grad))
            elif name == "scan" and eqn.params.get("length", 0) <= SCAN_UNROLL_MAX:
                self._scan(eqn, env, ins, scope, no_grad, frames)
            else:
                self._eqn(eqn, env, ins, scope, no_grad)
        return result

    def _eqn(self, eqn, env, ins, scope, no_grad, extra=()):
        inst = self.instances = self.instances + 1
        name = eqn.primitive.name
        for k, v in enumerate(eqn.outvars):
            if isinstance(v, self.core.DropVar):
                continue
            n = _Node(("eqn", eqn, inst, k), ins, "", name, scope, v.aval, no_grad=no_grad, extra=extra)
            n.meta["primitive"] = name
            if not n.kids:  # made from nothing (iota, a random key): a constant, drawn as a leaf
                n.label, n.op, n.kind = name, "", "constant"
            src = _source(eqn)
            if src:
                n.meta["source"] = src
            env[v] = self.add(n)

    def _call(self, eqn, env, ins, scope, no_grad):
        """A frame for a call's body; when it ends, its outputs become the call's outvars."""
        name = eqn.primitive.name
        body, consts = _sub_jaxpr(eqn)
        label = str(eqn.params.get("name") or _debug_name(body) or name)
        inner = self.scope_of(scope, label)
        benv = {}
        for v, c in zip(body.constvars, consts):
            benv[v] = self.add(_Node(("const", c), [], "const", "", inner, v.aval, kind="constant"))
        for v, a in zip(body.invars, ins):
            benv[v] = a
        custom = name in CUSTOM

        def done(outs):
            if not custom:
                for v, a in zip(eqn.outvars, outs):
                    if not isinstance(v, self.core.DropVar):
                        env[v] = a
                return
            # the custom rule makes the gradient: the call is one node over the call's inputs,
            # drawn with the body's outputs as operands too (they show what it computed)
            self._eqn(eqn, env, ins, inner, no_grad, extra=[a for a in outs if isinstance(a, int) and a not in ins])
            for v in eqn.outvars:
                if v in env:
                    self.nodes[env[v]].label = label
        return [body, benv, inner, no_grad or custom, 0, done]

    def _scan(self, eqn, env, ins, scope, no_grad, frames):
        """Unroll a scan: one frame per iteration, pushed so that they run in order."""
        p = eqn.params
        body, consts = _sub_jaxpr(eqn)
        length, nc, ncarry = p["length"], p["num_consts"], p["num_carry"]
        inner = self.scope_of(scope, "scan")
        cvals, carry, xs = ins[:nc], ins[nc:nc + ncarry], ins[nc + ncarry:]
        order = list(range(length))[::-1] if p.get("reverse") else list(range(length))
        state = {"carry": carry, "ys": {}}
        benv_consts = {}
        for v, c in zip(body.constvars, consts):
            benv_consts[v] = self.add(_Node(("const", c), [], "const", "", inner, v.aval, kind="constant"))
        xs_vars = body.invars[nc + ncarry:]

        def start(t):
            it = f"{inner}/{t}"
            benv = dict(benv_consts)
            for v, a in zip(body.invars[:nc], cvals):
                benv[v] = a
            for v, a in zip(body.invars[nc:nc + ncarry], state["carry"]):
                benv[v] = a
            for v, a in zip(xs_vars, xs):
                benv[v] = a if not isinstance(a, int) else self.add(
                    _Node(("index", t), [a], "", "index", it, v.aval, no_grad=no_grad))
                if isinstance(a, int):
                    self.nodes[benv[v]].meta["index"] = t
            return [body, benv, it, no_grad, 0, finish(t)]

        def finish(t):
            def f(outs):
                state["carry"] = outs[:ncarry]
                state["ys"][t] = outs[ncarry:]
                rest = order[order.index(t) + 1:]
                if rest:
                    frames.append(start(rest[0]))
                else:
                    self._scan_outputs(eqn, env, state, length, inner, no_grad)
            return f

        if length == 0:
            self._eqn(eqn, env, ins, scope, no_grad)
            return
        frames.append(start(order[0]))

    def _scan_outputs(self, eqn, env, state, length, inner, no_grad):
        ncarry = eqn.params["num_carry"]
        for v, a in zip(eqn.outvars[:ncarry], state["carry"]):
            if not isinstance(v, self.core.DropVar):
                env[v] = a
        for j, v in enumerate(eqn.outvars[ncarry:]):
            if isinstance(v, self.core.DropVar):
                continue
            parts = [state["ys"][t][j] for t in range(length)]
            env[v] = self.add(_Node(("stack",), parts, "", "stack", inner, v.aval, no_grad=no_grad))


def _evaluate(jax, nodes, order, leaf_values, perts):
    """Every kept node's value (``order``: node ids, ascending), with ``perts[i]`` added to node i."""
    jnp = jax.numpy
    vals, memo = {}, {}

    def read(a):
        return a[1] if isinstance(a, tuple) else vals[a]

    for i in order:
        n = nodes[i]
        kind = n.spec[0]
        if kind == "leaf":
            v = leaf_values[n.spec[1]]
        elif kind == "const":
            v = n.spec[1]
        elif kind == "index":
            v = read(n.atoms[0])[n.spec[1]]
        elif kind == "stack":
            v = jnp.stack([read(a) for a in n.atoms])
        else:
            _, eqn, inst, k = n.spec
            outs = memo.get(inst)
            if outs is None:
                params = eqn.primitive.get_bind_params(eqn.params)
                with eqn.ctx.manager:
                    outs = eqn.primitive.bind(*[read(a) for a in n.atoms], **params)
                outs = memo[inst] = outs if eqn.primitive.multiple_results else [outs]
            v = outs[k]
        p = perts.get(i)
        vals[i] = v if p is None else v + p
    return vals


def _arg_labels(jax, fn, args):
    """A label per flat argument: the parameter's name and the path inside it (``params['w1']``)."""
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    labels = []
    for j, a in enumerate(args):
        base = names[j] if j < len(names) and not names[j].startswith("*") else f"arg{j}"
        for path, _ in jax.tree_util.tree_flatten_with_path(a)[0]:
            labels.append(base + jax.tree_util.keystr(path))
    return labels


def _floating(jnp, aval):
    return hasattr(aval, "dtype") and jnp.issubdtype(aval.dtype, jnp.inexact)


def capture_jax(fn: Callable[..., Any], *args: Any, few: int = FEW) -> Graph:
    """Record ``fn(*args)`` (a JAX function with a scalar output) as a gradviz ``Graph``
    (``source="jax"``): one node per variable of its jaxpr, the value and the gradient of each.

    Leaves are the flat arguments, labelled by parameter name and path (``params['w1']``); ops are
    primitive names (``dot_general``, ``tanh``); ``scopes`` are the call paths (``loss#1/layer#2``,
    ``loss#1/scan#1/3``); ``meta`` holds shape, dtype, ``value`` and ``grad`` summaries (mean, std,
    min, max, norm, numel, ``values`` when at most ``few``), ``primitive``, ``literals`` and
    ``source``. The gradient is d(output)/d(variable), as ``jax.grad`` computes it. jax is needed
    (``pip install "gradviz-explorer[jax]"``).
    """
    jax = _jax("capture_jax")
    jnp = jax.numpy
    if not callable(fn):
        raise TypeError(f"capture_jax(fn, *args) takes a function first, got {type(fn).__name__!r}")
    if isinstance(few, bool) or not isinstance(few, int) or few < 0:
        raise ValueError(f"few must be an int >= 0 (arrays of at most that many elements keep their "
                         f"whole value), got {few!r}")
    closed, out_shape = jax.make_jaxpr(fn, return_shape=True)(*args)
    outs = jax.tree_util.tree_leaves(out_shape)
    if len(outs) != 1 or outs[0].shape != () or not jnp.issubdtype(outs[0].dtype, jnp.inexact):
        got = ", ".join(f"{o.dtype}{list(o.shape)}" for o in outs) or "nothing"
        raise ValueError(f"capture_jax needs fn to return one floating-point scalar (the value whose "
                         f"gradients are shown), but it returns {got}; reduce it, e.g. "
                         f"capture_jax(lambda *a: fn(*a).sum(), ...)")
    flat = jax.tree_util.tree_leaves(args)
    labels = _arg_labels(jax, fn, args)
    if not any(jnp.issubdtype(jnp.result_type(a), jnp.inexact) for a in flat):
        raise ValueError("capture_jax needs at least one floating-point input to differentiate "
                         "with respect to; all of fn's inputs are integers or booleans")
    name = getattr(fn, "__name__", "") or "fn"
    if name == "<lambda>":
        name = "lambda"
    fl = _Flattener(jax, f"{name}#1")
    leaves = []
    for j, v in enumerate(closed.jaxpr.invars):
        leaves.append(fl.add(_Node(("leaf", j), [], labels[j] if j < len(labels) else f"arg{j}", "",
                                   "", v.aval, kind="input")))
    (root,) = fl.run(closed.jaxpr, list(closed.consts), leaves)
    if not isinstance(root, int) or fl.nodes[root].spec[0] == "const":
        raise ValueError("fn's output does not depend on its inputs, so it has no gradients to show")
    return _finish(jax, fl.nodes, root, flat, few)


def _kept(nodes, root):
    """The ids ``root`` depends on, ascending (ids are topological). Iterative."""
    seen, todo = {root}, [root]
    while todo:
        for c in nodes[todo.pop()].kids:
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return sorted(seen)


def _finish(jax, nodes, root, flat, few):
    jnp = jax.numpy
    order = _kept(nodes, root)
    diff = [j for j, a in enumerate(flat) if jnp.issubdtype(jnp.result_type(a), jnp.inexact)]
    perts = {i: jnp.zeros(nodes[i].aval.shape, nodes[i].aval.dtype) for i in order
             if nodes[i].spec[0] not in ("leaf", "const") and nodes[i].kind != "constant" and not nodes[i].no_grad
             and _floating(jnp, nodes[i].aval)}

    def f(dvals, perts):
        values = list(flat)
        for j, v in zip(diff, dvals):
            values[j] = v
        vals = _evaluate(jax, nodes, order, values, perts)
        return vals[root], vals

    _, vjp, vals = jax.vjp(f, [flat[j] for j in diff], perts, has_aux=True)
    ct_leaves, ct_perts = vjp(jnp.ones((), vals[root].dtype))
    grads = dict(ct_perts)
    leaf_ct = dict(zip(diff, ct_leaves))
    renum = {old: new for new, old in enumerate(order)}
    labels, data, grad, ops, kinds, scopes, kids, meta = [], [], [], [], [], [], [], []
    for old in order:
        n = nodes[old]
        g = leaf_ct.get(n.spec[1]) if n.spec[0] == "leaf" else grads.get(old)
        m = dict(n.meta)
        m["shape"] = [int(d) for d in getattr(n.aval, "shape", ())]
        m["dtype"] = str(getattr(n.aval, "dtype", ""))
        v = m["value"] = np_stats(vals[old], few)
        gs = None
        if g is not None:
            gs = m["grad"] = np_stats(g, few)
        if n.no_grad:
            m["grad_note"] = "inside a custom_jvp/custom_vjp function: its own rule makes the gradient"
        labels.append(n.label)
        ops.append(n.op)
        kinds.append("output" if old == root else n.kind)
        scopes.append(n.scope)
        kids.append([renum[c] for c in n.kids])
        meta.append(m)
        data.append(_one(v))
        grad.append(_one(gs))
    return Graph(labels, data, grad, ops, kinds, scopes, kids, meta=meta, values=None, source="jax")
