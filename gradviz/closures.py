"""How ``backward()`` runs the gradient of an op that is not built into the engine: a lecture-style
``_backward`` closure, or the derivatives given to ``gradviz.register_op``; and what it does with a
gradient that is not a Python float (a ``.data`` or ``.grad`` set by hand to another type), and
how a failed pass names the node where it failed."""
from __future__ import annotations

from numbers import Real

from .names import node_name
from .ops import real_derivatives


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
