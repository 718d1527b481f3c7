"""``compare_with_jax``: mirror a gradviz graph into ``jax.numpy`` in float64, op for op, and
cross-check every value and gradient, with the report ``compare_with_torch`` gives.

float64: JAX computes in float32 unless ``jax_enable_x64`` is set. Setting it globally
(``jax.config.update``) would change every array the user's own JAX code makes afterwards, so the
mirror runs inside the ``jax.enable_x64(True)`` context manager, which sets it for this thread
only and restores the user's setting on the way out.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from .. import ops as op_table
from ..comparison import Comparison, columns, grad_hints, prepared_graph
from ..engine import gc_paused
from .capture import _jax

if TYPE_CHECKING:
    from ..graph.types import Root

__all__ = ["compare_with_jax"]


class _AsTorch:
    """The op table's mirror expressions name ``torch.exp`` and the like: here they are jax's."""

    def __init__(self, jax):
        jnp = jax.numpy
        self.exp, self.log, self.tanh, self.pow = jnp.exp, jnp.log, jnp.tanh, jnp.power
        self.relu, self.sigmoid = jax.nn.relu, jax.nn.sigmoid


def _plan(g, jax):
    """Per node: (function of its operands, child ids); leaves: None. Errors name the node."""
    from ..names import node_name
    shim = _AsTorch(jax)
    mirrors = {name: op_table.torch_fn(name, shim) for name in op_table.OPS}
    plan = []
    for i, cs in enumerate(g.children):
        if not cs:
            plan.append(None)
            continue
        op = g.ops[i]
        entry, k = op_table.lookup(op)
        if entry is None:
            raise ValueError(f"{node_name(g, i)} has op {op!r}, which has no JAX counterpart here, "
                             f"so it cannot be mirrored; mirrored ops: "
                             f"{', '.join(o for o in op_table.OPS if o != '**k')} and '**k' with a number k")
        if len(cs) != entry.arity:
            raise ValueError(f"{node_name(g, i)} has op {op!r} with {len(cs)} operands; "
                             f"{op!r} takes {entry.arity}")
        fn = mirrors[entry.name]
        if k is not None and math.isfinite(k) and k == int(k) and abs(k) < 2 ** 31:
            # x ** 2 in JAX is lax.integer_pow (what jnp's ** does with a Python int): its slope at
            # k = 0 is 0 as gradviz's and PyTorch's, where jnp.power(0.0, 0.0)'s is NaN
            n = int(k)
            fn = lambda a, b, kk, n=n: jax.lax.integer_pow(a, n)  # noqa: E731
        plan.append((fn, tuple(cs), k))
    return plan


def _mirror_values_and_grads(g, jax):
    """JAX's value and d(root)/d(node) of every node, float64 (inside enable_x64)."""
    jnp = jax.numpy
    plan = _plan(g, jax)
    leaves = [i for i, p in enumerate(plan) if p is None]
    data = g.data.tolist()
    f64 = jnp.float64

    def run(leaf_vals, perts):
        vals = [None] * len(plan)
        for i, v in zip(leaves, leaf_vals):
            vals[i] = v
        for i, p in enumerate(plan):
            if p is None:
                continue
            fn, cs, k = p
            a = vals[cs[0]]
            b = vals[cs[1]] if len(cs) == 2 else None
            vals[i] = fn(a, b, None if k is None else jnp.asarray(k, f64)) + perts[i]
        return vals[-1], vals

    leaf_vals = [jnp.asarray(data[i], f64) for i in leaves]
    perts = {i: jnp.zeros((), f64) for i, p in enumerate(plan) if p is not None}
    _, vjp, vals = jax.vjp(run, leaf_vals, perts, has_aux=True)
    ct_leaves, ct_perts = vjp(jnp.ones((), f64))
    grads = dict(ct_perts)
    grads.update(zip(leaves, ct_leaves))
    return [float(v) for v in vals], [float(grads[i]) for i in range(len(plan))]


def compare_with_jax(x: Root, rtol: float = 1e-9, atol: float = 1e-12, backward: bool = False) -> Comparison:
    """Cross-check gradviz against JAX, node by node; returns the ``Comparison`` report that
    ``compare_with_torch`` returns (``ok``, ``max_abs_err``, ``rows``, a table in notebooks).

    ``x``: a root Value or a Graph. Its graph is mirrored into ``jax.numpy`` in float64 op for op
    (the op table's mirrors), and every node's data and grad as gradviz holds them now is compared
    with JAX's value and d(root)/d(node) (``jax.vjp``; call ``L.backward()`` first, or pass
    ``backward=True``). A value agrees when ``|gradviz - jax| <= atol + rtol * |jax|``; NaN agrees
    with NaN. The user's ``jax_enable_x64`` setting is left as it was. jax is needed
    (``pip install "gradviz-explorer[jax]"``).
    """
    jax = _jax("compare_with_jax")
    if not (rtol >= 0 and atol >= 0):
        raise ValueError(f"rtol and atol must be >= 0, got rtol={rtol!r}, atol={atol!r}")
    with gc_paused():
        g = prepared_graph(x, backward, "compare_with_jax")
        with jax.enable_x64(True):
            j_data, j_grad = _mirror_values_and_grads(g, jax)
    cols = columns(range(len(g)), g.labels, g.ops, g.data, j_data, g.grad, j_grad, rtol, atol)
    return Comparison(cols, rtol, atol, "compare_with_jax", grad_hints(g), framework="JAX")
