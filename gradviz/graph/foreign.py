"""Values of other engines (micrograd's, the class a learner writes along with the lecture): anything
with ``data``, ``_prev`` and ``_op`` is read into a Graph, its op names mapped to gradviz's."""
from __future__ import annotations

from .snapshot import Graph

__all__ = ["is_value_like", "trace_foreign", "FOREIGN_OPS"]


# _prev first: never touch a tensor's .grad. No ``grad`` needed: the lecture draws its Value before
# it has one (its grad then reads as 0).
VALUE_LIKE = ("_prev", "_op", "data")
# Op names other engines use for gradviz's ops: micrograd writes 'ReLU'; the lecture writes the rest
# as gradviz does ('+', '*', 'tanh', 'exp', '**2').
FOREIGN_OPS = {"ReLU": "relu", "Relu": "relu", "TanH": "tanh", "Tanh": "tanh", "Exp": "exp",
               "Log": "log", "Sigmoid": "sigmoid", "sub": "-", "mul": "*", "add": "+", "div": "/"}
_BINARY = ("+", "-", "*", "/", "**")


def is_value_like(x):
    """An object that quacks like the lecture's Value: ``data``, ``_prev``, ``_op`` (and ``grad``)."""
    return not isinstance(x, (type, Graph)) and all(hasattr(x, a) for a in VALUE_LIKE)


def _foreign_children(v):
    try:
        kids = list(v._prev)
    except TypeError:
        raise TypeError(f"{_foreign_name(v)} has a _prev that is not a collection of Values "
                        f"({type(v._prev).__name__!r})") from None
    return kids


def _foreign_name(v):
    t = type(v)
    label = getattr(v, "label", "")
    return f"{t.__module__}.{t.__qualname__}({'label=' + repr(label) + ', ' if label else ''}data={getattr(v, 'data', '?')!r})"


def _float_of(v, attr):
    x = getattr(v, attr)
    try:
        return float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{_foreign_name(v)} has {attr} {x!r:.60}, which is not a number") from None


def trace_foreign(root):
    """Trace a graph of Value-like objects (micrograd's, or a learner's own class). Iterative.

    Their ``_prev`` is often a set, so ``a + a`` lists ``a`` once: a binary op with one child is
    read as the op applied to that child twice, which is what its ``_backward`` computes. Op
    names map through ``FOREIGN_OPS``; any other name is kept as it is (it draws under its name,
    and replay, which knows only gradviz's ops, declines it with the reason).
    """
    order, kids_of, state = [], {}, {}  # id -> 1 while its children are being ordered, 2 when done
    stack = [root]
    while stack:
        v = stack[-1]
        k = id(v)
        st = state.get(k)
        if st is None:
            state[k] = 1
            kids = _foreign_children(v)
            for c in kids:
                if not is_value_like(c):
                    raise TypeError(f"{_foreign_name(v)} has a child that is not a Value: "
                                    f"{type(c).__name__!r} ({c!r:.40})")
            kids_of[k] = kids
            for c in reversed(kids):  # pushed last, explored first: operand order
                sc = state.get(id(c))
                if sc is None:
                    stack.append(c)
                elif sc == 1:  # c is still being ordered, so it depends on v: a cycle
                    raise ValueError(f"the graph has a cycle: {_foreign_name(c)} depends on itself "
                                     f"(through {_foreign_name(v)}); graphs must be acyclic")
        else:
            stack.pop()
            if st == 1:
                state[k] = 2
                order.append(v)
    index = {id(v): i for i, v in enumerate(order)}
    labels, ops, children, kinds = [], [], [], []
    for v in order:
        kids = kids_of[id(v)]
        op = getattr(v, "_op", "") or ""
        op = op if isinstance(op, str) else str(op)
        op = FOREIGN_OPS.get(op, op)
        ids = [index[id(c)] for c in kids]
        if op in _BINARY and len(ids) == 1:
            ids = ids * 2
        labels.append(_label_of(v))
        ops.append(op if ids else "")
        children.append(ids)
        kinds.append("intermediate" if ids else "input")
    kinds[-1] = "output"
    return Graph(labels, [_float_of(v, "data") for v in order],
                 [_float_of(v, "grad") if hasattr(v, "grad") else 0.0 for v in order],
                 ops, kinds, [""] * len(order), children, values=order)


def _label_of(v):
    label = getattr(v, "label", "")
    return label if isinstance(label, str) else str(label)
