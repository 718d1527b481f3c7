"""A scalar autograd engine: the lecture's ``Value``, made lean and iterative.

Each op builds one node and states its local derivative right beside it, in a
``@_backward(op)`` rule that pushes the node's gradient ``g`` into its children.
``backward()`` orders the graph once (iteratively, so a million-op chain is
fine) and applies the rules in reverse topological order.
"""
from __future__ import annotations

import gc
import math
from contextlib import contextmanager
from numbers import Real

__all__ = ["Value", "Scope", "no_scope"]

_RULES = {}          # op -> rule(out, g) adding d(out)/d(child) * g to each child's pass-gradient
_ONGOING = object()  # marks a node whose descendants are still being ordered


def _backward(op):
    def register(rule):
        _RULES[op] = rule
        return rule
    return register


class Scope:
    """Which module call created a Value: ``module``, its ``call`` number, the enclosing scope."""

    __slots__ = ("module", "call", "parent")

    def __init__(self, module, call, parent):
        self.module, self.call, self.parent = module, call, parent

    def chain(self):
        """The scopes from the outermost call to this one."""
        out, s = [], self
        while s is not None:
            out.append(s)
            s = s.parent
        return out[::-1]

    def __repr__(self):
        return "/".join(f"{type(s.module).__name__}#{s.call}" for s in self.chain())


_scope = None  # the Scope of the module call being evaluated, stamped on every new Value
CONSTANT = "constant"  # scope of numbers wrapped by an op (``2 * a``): marks them as constants


def _enter_scope(s):
    global _scope
    prev, _scope = _scope, s
    return prev


def _exit_scope(prev):
    global _scope
    _scope = prev


class no_scope:
    """Context manager: Values created inside belong to no module call."""

    def __enter__(self):
        self._prev = _enter_scope(None)

    def __exit__(self, *exc):
        _exit_scope(self._prev)


@contextmanager
def gc_paused():
    """Hold off Python's cyclic garbage collector for a block that allocates many objects but
    frees no cycles (ordering, tracing or compiling a big graph), then restore it as it was.

    Each collection walks every tracked object in its generations, and a graph holds hundreds of
    thousands of Values: without this, a full collection would walk them all, again and again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _number(x, what, fix="convert it with float(...)"):
    if type(x) is float:
        return x
    if isinstance(x, Real):
        return float(x)
    raise TypeError(f"{what}: expected a number (int or float), got {type(x).__name__!r} "
                    f"({x!r:.40}); {fix}")


def _operand(x, op):
    if isinstance(x, Value):
        return x
    v = Value(_number(x, f"unsupported operand for {op}", "use a number or a Value"))
    v._scope = CONSTANT
    return v


_new = object.__new__
_copysign = math.copysign


def _node(data, a, op, b=None):
    """A new op node over operands ``a`` (and ``b``): ``Value(data, a, op, b)`` without the
    checks a call from user code needs (a fifth of an op's time)."""
    v = _new(Value)
    v.data = data if type(data) is float else _number(data, f"the result of {op}")
    v.grad = 0.0
    v.label = ""
    v._op = op
    v._a = a
    v._b = b
    v._scope = _scope
    v._g = None
    return v


def _name(v):
    return repr(v.label) if v.label else f"unlabelled {v._op or 'leaf'} node"


class Value:
    """A scalar in an expression graph: ``data``, ``grad``, ``label``, ``_prev`` (children), ``_op``."""

    # Children live in two slots rather than a tuple: one allocation per node instead of two,
    # which is a third less memory and garbage-collector work on big graphs.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_scope", "_g")

    def __init__(self, data, _children=(), _op="", _b=None, label=""):
        """``Value(2.0, label="a")``. Ops pass their operands as ``Value(data, a, op, b)``
        (the lecture's ``Value(data, (a, b), op)`` works too)."""
        self.data = data if type(data) is float else _number(data, "Value(data)")
        self.grad = 0.0
        self.label = label
        self._op = _op
        if type(_children) is tuple:
            _children, _b = (_children + (None, None))[:2]
        self._a = _children
        self._b = _b
        self._scope = _scope
        self._g = None  # gradient of this backward pass; None outside of one

    @property
    def _prev(self):
        """The children, in operand order."""
        return () if self._a is None else (self._a,) if self._b is None else (self._a, self._b)

    @_prev.setter
    def _prev(self, children):
        children = tuple(children)
        if len(children) > 2 or not all(isinstance(c, Value) for c in children):
            raise ValueError("_prev holds at most two Values")
        self._a, self._b = (children + (None, None))[:2]

    def __repr__(self):
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data!r}, grad={self.grad!r})"

    # ---- ops: forward here, local derivative in the rule beside it -------------------------

    def __add__(self, other):
        if not isinstance(other, Value):
            other = _operand(other, "+")
        return _node(self.data + other.data, self, "+", other)

    @_backward("+")
    def _(out, g):
        a, b = out._a, out._b
        a._g += g
        b._g += g

    def __mul__(self, other):
        if not isinstance(other, Value):
            other = _operand(other, "*")
        return _node(self.data * other.data, self, "*", other)

    @_backward("*")
    def _(out, g):
        a, b = out._a, out._b
        a._g += b.data * g
        b._g += a.data * g

    def __sub__(self, other):
        if not isinstance(other, Value):
            other = _operand(other, "-")
        return _node(self.data - other.data, self, "-", other)

    @_backward("-")
    def _(out, g):
        a, b = out._a, out._b
        a._g += g
        b._g -= g

    def __truediv__(self, other):
        if not isinstance(other, Value):
            other = _operand(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: the divisor {_name(other)} has data 0.0")
        return _node(self.data / other.data, self, "/", other)

    @_backward("/")
    def _(out, g):
        a, b = out._a, out._b
        a._g += g / b.data
        b._g -= g * out.data / b.data

    def __neg__(self):
        return _node(-self.data, self, "neg")

    @_backward("neg")
    def _(out, g):
        out._a._g -= g

    def __pow__(self, other):
        if isinstance(other, Value):
            return _node(_power(self, other.data), self, "**", other)
        k = _number(other, "unsupported exponent for **")
        return _node(_power(self, k), self, f"**{k!r}")

    @_backward("**k")  # a ** k, k a number kept in the op's name: d/da = k * a**(k-1)
    def _(out, g):
        a, k = out._a, float(out._op[2:])
        a._g += 0.0 if k == 0.0 else _dpow(a.data, k) * g  # a ** 0 is constant: 0 even for a NaN g

    @_backward("**")  # a ** b, b a Value: d/da = b * a**(b-1), d/db = a**b * ln(a)
    def _(out, g):
        a, b = out._a, out._b
        a._g += 0.0 if b.data == 0.0 else _dpow(a.data, b.data) * g
        b._g += _pow_log(a.data, out.data) * g

    def exp(self):
        try:
            return _node(math.exp(self.data), self, "exp")
        except OverflowError:
            raise OverflowError(f"exp overflow at {_name(self)} with data {self.data!r}: the result "
                                f"exceeds the largest float (exp of more than ~709.78)") from None

    @_backward("exp")
    def _(out, g):
        out._a._g += out.data * g

    def log(self):
        if not self.data > 0.0:
            raise ValueError(f"log of a non-positive number: {_name(self)} has data {self.data!r}; "
                             f"log needs data > 0")
        return _node(math.log(self.data), self, "log")

    @_backward("log")
    def _(out, g):
        a = out._a
        a._g += g / a.data

    def tanh(self):
        return _node(math.tanh(self.data), self, "tanh")  # math.tanh: no overflow for any x

    @_backward("tanh")
    def _(out, g):
        out._a._g += (1.0 - out.data * out.data) * g

    def relu(self):
        return _node(self.data if self.data > 0.0 else 0.0, self, "relu")

    @_backward("relu")
    def _(out, g):
        a = out._a
        if a.data > 0.0:
            a._g += g

    def sigmoid(self):
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # exp of a positive number could overflow; this form cannot
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, self, "sigmoid")

    @_backward("sigmoid")
    def _(out, g):
        out._a._g += out.data * (1.0 - out.data) * g

    del _

    # ---- reflected forms: the number becomes the left operand ------------------------------

    def __radd__(self, other):
        return _operand(other, "+") + self

    def __rsub__(self, other):
        return _operand(other, "-") - self

    def __rmul__(self, other):
        return _operand(other, "*") * self

    def __rtruediv__(self, other):
        return _operand(other, "/") / self

    def __rpow__(self, other):
        return _operand(other, "**") ** self

    # ---- the graph --------------------------------------------------------------------------

    def _ordered(self):
        """Topological order of the graph, leaving every node's ``_g`` at 0.0 for a backward pass
        (the caller resets it to None). Iterative; reports a cycle instead of looping."""
        order, stack = [], [self]
        push, pop, done = stack.append, stack.pop, order.append
        while stack:
            node = stack[-1]
            if node._g is None:  # first visit: schedule the children, finish the node later
                node._g = _ONGOING
                b, a = node._b, node._a  # b pushed first, a explored first: operand order
                if b is not None:
                    if b._g is None:
                        push(b)
                    elif b._g is _ONGOING:
                        self._cycle(b, node, order + stack)
                if a is not None:
                    if a._g is None:
                        push(a)
                    elif a._g is _ONGOING:
                        self._cycle(a, node, order + stack)
            else:
                pop()
                if node._g is _ONGOING:
                    node._g = 0.0
                    done(node)
        return order

    @staticmethod
    def _cycle(c, node, seen):
        for n in seen:
            n._g = None
        raise ValueError(f"the graph has a cycle: {_name(c)} depends on itself (through "
                         f"{_name(node)}); graphs must be acyclic, so do not edit _prev by hand")

    def topo(self):
        """Every node this one depends on, children before parents (itself last)."""
        order = self._ordered()
        for node in order:
            node._g = None
        return order

    def backward(self):
        """Add d(self)/d(node) to ``node.grad`` for every node of the graph (root seeded with 1)."""
        order = self._ordered()
        self._g = 1.0
        rules, pow_k = _RULES, _RULES["**k"]
        pop = order.pop  # popping (rather than iterating) frees the order as the grads fill in
        try:
            while order:
                node = pop()
                g = node._g
                node._g = None
                grad = node.grad
                # grad + g; a zero grad takes g itself (the same number, one float less a node),
                # unless g is -0.0 (0.0 + -0.0 is 0.0)
                node.grad = g if not grad and (g or _copysign(1.0, g) > 0.0) else grad + g
                if node._a is not None:
                    rules.get(node._op, pow_k)(node, g)
        except BaseException:
            node._g = None
            for node in order:
                node._g = None
            raise

    def zero_grad(self):
        """Set ``grad`` to 0 on every node reachable from this one."""
        for node in self.topo():
            node.grad = 0.0


def _power(a, k):
    x = a.data
    if x < 0.0 and k != int(k):
        raise ValueError(f"a negative base to a non-integer power is not real: {_name(a)} has data "
                         f"{x!r} and the exponent is {k!r}; use an integer exponent or a positive base")
    if x == 0.0 and k < 0.0:
        raise ZeroDivisionError(f"0 to a negative power: {_name(a)} has data 0.0, exponent {k!r}")
    try:
        return float(x ** k)
    except OverflowError:
        raise OverflowError(f"power overflow at {_name(a)}: {x!r} ** {k!r} exceeds the largest float") from None


def _dpow(x, k):
    """d(x**k)/dx = k * x**(k-1); 0 for k == 0, and inf (as PyTorch) for 0 to a power below 1."""
    if k == 0.0:
        return 0.0
    try:
        return k * x ** (k - 1.0)
    except ZeroDivisionError:
        return math.copysign(math.inf, k)


def _pow_log(a, out):
    """d(a**b)/db = a**b * ln(a); 0 for a zero base (as PyTorch), NaN for a negative base."""
    if a > 0.0:
        return out * math.log(a)
    return 0.0 if a == 0.0 else math.nan
