"""How ``backward()`` runs the gradient of an op that is not built into the engine: a lecture-style
``_backward`` closure, or the derivatives given to ``gradviz.register_op``."""
from __future__ import annotations


def NO_RULE(out, g):
    """The rule of an op that is not built in and has no ``_backward``: it passes no gradient."""


def registered_rule(derivatives):
    """The rule of a registered op: each child gets d out/d child * g, in operand order."""
    def rule(out, g):
        kids = out._prev
        for c, d in zip(kids, derivatives(*[c.data for c in kids], out.data)):
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
