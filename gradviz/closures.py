"""How ``backward()`` runs the gradient of an op that is not built into the engine: a lecture-style
``_backward`` closure, or the derivatives given to ``gradviz.register_op``; what it does with a
gradient that is not a Python float (a ``.data`` or ``.grad`` set by hand to another type), and
how a failed pass names the node where it failed; and every op's gradient as pushes
``(child, local, amount, ...)``, which ``backprop_steps`` lists."""
from __future__ import annotations

from numbers import Real

from .names import node_name
from .ops import CUSTOM, dpow, pow_log, real_derivatives, split_op


def NO_RULE(out, g):
    """The rule of an op that is not built in and has no ``_backward``: it passes no gradient."""


def registered_rule(name, derivatives):
    """The rule of registered op ``name``: each child gets d out/d child * g, in operand order
    (exactly one real derivative per child, see ``ops.real_derivatives``)."""
    what = f"the derivatives of op {name!r}"

    def rule(out, g):
        kids = out._prev
        ds = real_derivatives(derivatives(*[c.data for c in kids], out.data), len(kids), what)
        for c, d in zip(kids, ds):
            c._g += d * g
    return rule


def run_closure(out, g):
    """Run ``out._backward`` (a lecture-style closure) for this pass's gradient ``g`` alone.

    The closure reads ``out.grad`` and adds into its children's ``.grad``; it sees ``g`` there and
    children at 0.0, and what it adds goes to the children's pass gradients. Every ``.grad`` is
    then as before, so ``backward()`` adds exactly one pass, as it does for built-in ops.
    """
    for c, x in zip(*closure_pushes(out, g)):
        c._g += x


def closure_pushes(out, g):
    """The distinct children of ``out`` and what its closure adds to each for the gradient ``g``
    (see ``run_closure``); every ``.grad`` is left as it was."""
    kids = list(dict.fromkeys(out._prev))
    saved = [c.grad for c in kids]
    total = out.grad
    try:
        for c in kids:
            c.grad = 0.0
        out.grad = g
        out._backward()
        added = [c.grad for c in kids]
    finally:
        for c, s in zip(kids, saved):
            c.grad = s
        out.grad = total
    return kids, added


class NotReal(TypeError):
    """A .data or .grad that is no real number: reported as it is, not as a failed rule."""


def float_grad(node, g, order, what="gradient"):
    """A pass gradient (or a node's ``.grad``) that is not a Python float, as a float: a ``.data``
    or ``.grad`` set by hand to another real number (numpy's float32, an int) is converted, so grads
    are always floats. Anything else (a complex number, an
    array) is a TypeError naming the node whose ``.data`` or ``.grad`` made it."""
    if isinstance(g, Real):
        return float(g)
    for n in order:
        for attr in ("data", "grad"):
            x = getattr(n, attr)
            if not isinstance(x, Real):
                t = type(x)
                raise NotReal(
                    f"backward: {node_name(n)}.{attr} is {x!r:.60} (a {t.__module__}.{t.__qualname__}), "
                    f"not a real number; Values hold floats: set .{attr} to a float (float(x), or "
                    f"x.item() for a 1-element array); no .grad was changed")
    return float(g)  # unreachable in practice: a non-real g comes from a non-real .data or .grad


def backward_error(node, e):
    """``e`` (raised while backpropagating at ``node``) as the same error type, naming the node."""
    if not isinstance(node.grad, Real):
        where = f"adding the gradient of {node_name(node)} to its .grad ({node.grad!r})"
    else:
        where = (f"the backward rule of {node_name(node)} (op {node._op!r}, operands "
                 f"{', '.join(node_name(c) + ' = ' + repr(c.data)[:40] for c in node._prev)})")
    try:
        return type(e)(f"backward failed in {where}: {e}; no .grad was changed. Check that every "
                       f".data and .grad in the graph is a float")
    except Exception:  # an exception type that does not take one message
        return e


# ---- every op as pushes, for backprop_steps: each as the engine's rule computes it (engine.py) -----
# Each function adds into the operands' ``_g`` as the engine does and returns the pushes, flat:
# ``(child, local, amount, child, local, amount, ...)``.

def _P(*p):
    for i in range(0, len(p), 3):
        p[i]._g += p[i + 2]
    return p


def _add(out, g):
    return _P(out._a, 1.0, g, out._b, 1.0, g)


def _sub(out, g):
    return _P(out._a, 1.0, g, out._b, -1.0, -g)


def _mul(out, g):
    a, b = out._a, out._b
    return _P(a, b.data, b.data * g, b, a.data, a.data * g)


def _div(out, g):
    a, b = out._a, out._b
    return _P(a, 1.0 / b.data, g / b.data, b, -(out.data / b.data), -(g * out.data / b.data))


def _neg(out, g):
    return _P(out._a, -1.0, -g)


def _exp(out, g):
    return _P(out._a, out.data, out.data * g)


def _log(out, g):
    a = out._a
    return _P(a, 1.0 / a.data, g / a.data)


def _tanh(out, g):
    loc = 1.0 - out.data * out.data
    return _P(out._a, loc, loc * g)


def _relu(out, g):
    a = out._a
    if not a.data <= 0.0:
        return _P(a, 1.0, g)
    return _P(a, 0.0, 0.0)


def _sigmoid(out, g):
    loc = out.data * (1.0 - out.data)
    return _P(out._a, loc, loc * g)


def _powk(out, g):
    a, k = out._a, split_op(out._op)[1]
    if k == 0.0:
        return _P(a, 0.0, 0.0)
    loc = dpow(a.data, k)
    return _P(a, loc, loc * g)


def _pow(out, g):
    a, b = out._a, out._b
    la = 0.0 if b.data == 0.0 else dpow(a.data, b.data)
    lb = pow_log(a.data, out.data)
    return _P(a, la, 0.0 if b.data == 0.0 else la * g, b, lb, lb * g)


def _none(out, g):
    return ()


PUSHES = {"+": _add, "-": _sub, "*": _mul, "/": _div, "neg": _neg, "exp": _exp, "log": _log,
           "tanh": _tanh, "relu": _relu, "sigmoid": _sigmoid, "**": _pow}


def _registered(name, derivatives):
    what = f"the derivatives of op {name!r}"

    def pushes(out, g):
        kids = out._prev
        p = []
        for c, d in zip(kids, real_derivatives(derivatives(*[c.data for c in kids], out.data), len(kids), what)):
            p += (c, d, d * g)
        return _P(*p)
    return pushes


def pushes_of(op):
    """The push function of an op missing from ``PUSHES``: a power by a constant, an op registered
    with derivatives, or none (passes no gradient), as ``engine._rule_of`` decides."""
    custom = CUSTOM.get(op) if isinstance(op, str) else None
    if custom is not None and custom.derivatives is not None:
        return _registered(op, custom.derivatives)
    return _powk if split_op(op)[1] is not None else _none
