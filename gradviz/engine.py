"""A scalar autograd engine: the lecture's ``Value``, made lean and iterative.

Each op builds one node and states its local derivative right beside it, in a
``@_rule(op)`` rule that pushes the node's gradient ``g`` into its children.
``backward()`` orders the graph once (iteratively, so a million-op chain is
fine) and applies the rules in reverse topological order. The op table (``gradviz.ops``) defines
every op once for the rest of gradviz; these rules are the engine's fast in-place form of it, and
``tests/test_ops.py`` checks them against it.

Numbers follow IEEE floats, as PyTorch does: a result beyond the float range is
``inf`` (``Value(1e308) * 10``, ``exp(1000)``, ``1e200 ** 2``, and gradients
alike) and NaN flows through every op (``relu``, ``log``, ``exp`` of NaN are NaN).
Only math with no real answer raises, naming the node: ``log`` of a number <= 0,
division by 0, 0 to a negative power, a negative base to a non-integer power.

Threads: a pass (``backward``, ``zero_grad``, ``topo``, ``trace``) marks nodes in their ``_g``
slot, so passes hold one per-process lock, ``PASS_LOCK``, and run one after the other (two threads
backpropagating through shared leaves add both passes). Building expressions takes no lock.

The lecture's names, here:
  ``_prev``       the children; kept in two slots, ``_a`` and ``_b`` (``_prev`` reads them back)
  ``_backward``   for a built-in op, the ``@_rule(op)`` beside it, found by ``_op`` in the rule
                  table (``_RULES``); a node given a lecture-style closure still runs its closure
  ``build_topo``  ``Value._ordered``: iterative, the same order as the lecture's recursion
  ``grad +=``     each pass sums into ``_g`` and stores ``.grad`` once, when the pass succeeded
"""
from __future__ import annotations

import gc
import math
import threading
from contextlib import contextmanager
from numbers import Real
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

from . import ops
from .closures import NO_RULE, NotReal, backward_error, float_grad, registered_rule, run_closure
from .names import node_name as _name  # how every message names a node
from .ops import CUSTOM, OPS, domain_error, split_op
from .ops import cpow as _pow
from .ops import dpow as _dpow
from .ops import pow_log as _pow_log
from .scopes import CONSTANT, Scope

__all__ = ["Value", "Scope", "no_scope"]

_RULES = {}          # op -> rule(out, g) adding d(out)/d(child) * g to each child's pass-gradient
_ARITY = {op.name: op.arity for op in OPS.values() if op.name != "**k"}  # built-in ops (gradviz.ops)
_ONGOING = object()  # marks a node whose descendants are still being ordered
PASS_LOCK = threading.RLock()  # held by every pass that uses the nodes' _g slot (see the docstring)


def _rule(op):
    def register(rule):
        _RULES[op] = rule
        return rule
    return register


class Value:
    """A scalar in an expression graph: ``data``, ``grad``, ``label``, ``_prev`` (children), ``_op``.

    Ops are built in (``+ - * / ** neg exp log tanh relu sigmoid``, each with its rule below) or
    written the lecture's way: ``out = Value(t, (self,), 'cube')``, then ``out._backward = fn``, a
    closure doing ``self.grad += local_derivative * out.grad``; ``backward()`` runs it so that it
    adds exactly this pass's gradient. A node whose op is not built in and that has no
    ``_backward`` passes no gradient, as in micrograd: none is made up from its name.
    """

    # Children live in two slots rather than a tuple: one allocation per node instead of two,
    # which is a third less memory and garbage-collector work on big graphs. A node with more
    # than two children, or with a ``_backward`` closure (a custom op), keeps its children as a
    # tuple in ``_a``, and then ``_b`` holds the closure (eight slots: 96 bytes a Value, not 112).
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_scope", "_g")

    def __init__(self, data: float, _children: Iterable[Value] = (), _op: str = "", label: str = "") -> None:
        """``Value(2.0, label="a")``, or as the lecture builds a node: ``Value(t, (a, b), '+')``.
        ``_children`` is any iterable of Values (a tuple, a list, a set)."""
        self.data = data if type(data) is float else _number(data, "Value(data)")
        self.grad = 0.0
        self.label = label
        self._op = _op
        if type(_children) is not tuple:
            _children = _children_of(_children)
        n = len(_children)
        if _ARITY.get(_op, n) != n:
            raise ValueError(f"op {_op!r} takes {_ARITY[_op]} operand(s), got {n}; for an op of "
                             f"your own, give it a name of its own and set out._backward")
        if n == 2:
            a, b = _children
            if type(a) is not Value or type(b) is not Value:
                _check_children(_children)
            self._a, self._b = a, b
        elif n == 0:
            self._a = self._b = None
        elif n == 1:
            a, = _children
            if type(a) is not Value:
                _check_children(_children)
            self._a, self._b = a, None
        else:
            _check_children(_children)
            self._a, self._b = _children, None
        self._scope = _scope
        self._g = None  # this backward pass's gradient (None outside of one); also a visit mark

    @property
    def _prev(self):
        """The children, in operand order."""
        a = self._a
        if a is None:
            return ()
        if type(a) is tuple:
            return a
        return (a,) if self._b is None else (a, self._b)

    @_prev.setter
    def _prev(self, children):
        children = _children_of(children)
        _check_children(children)
        closure = self._backward
        if len(children) > 2 or closure is not None:
            self._a, self._b = children, closure
        else:
            self._a, self._b = (children + (None, None))[:2]

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data!r}, grad={self.grad!r})"

    # ---- ops: forward here, local derivative in the rule beside it -------------------------

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _operand(other, "+")
        return _node(self.data + other.data, self, "+", other)

    @_rule("+")
    def _(out, g):
        a, b = out._a, out._b
        a._g += g
        b._g += g

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _operand(other, "*")
        return _node(self.data * other.data, self, "*", other)

    @_rule("*")
    def _(out, g):
        a, b = out._a, out._b
        a._g += b.data * g
        b._g += a.data * g

    def __sub__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _operand(other, "-")
        return _node(self.data - other.data, self, "-", other)

    @_rule("-")
    def _(out, g):
        a, b = out._a, out._b
        a._g += g
        b._g -= g

    def __truediv__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = _operand(other, "/")
        if other.data == 0.0:
            raise domain_error("div_zero", _name(other), other.data)
        return _node(self.data / other.data, self, "/", other)

    @_rule("/")
    def _(out, g):
        a, b = out._a, out._b
        a._g += g / b.data
        b._g -= g * out.data / b.data

    def __neg__(self) -> Value:
        return _node(-self.data, self, "neg")

    @_rule("neg")
    def _(out, g):
        out._a._g -= g

    def __pow__(self, other: Value | float) -> Value:
        if isinstance(other, Value):
            return _node(_power(self, other.data), self, "**", other)
        k = _number(other, "unsupported exponent for **")
        return _node(_power(self, k), self, f"**{k!r}")

    @_rule("**k")  # a ** k, k a number kept in the op's name: d/da = k * a**(k-1)
    def _(out, g):
        a, k = out._a, split_op(out._op)[1]
        a._g += 0.0 if k == 0.0 else _dpow(a.data, k) * g  # a ** 0 is constant: 0 even for a NaN g

    @_rule("**")  # a ** b, b a Value: d/da = b * a**(b-1), d/db = a**b * ln(a)
    def _(out, g):
        a, b = out._a, out._b
        a._g += 0.0 if b.data == 0.0 else _dpow(a.data, b.data) * g
        b._g += _pow_log(a.data, out.data) * g

    def exp(self) -> Value:
        try:
            r = math.exp(self.data)
        except OverflowError:
            r = math.inf  # beyond the float range: inf, as in PyTorch
        return _node(r, self, "exp")

    @_rule("exp")
    def _(out, g):
        out._a._g += out.data * g

    def log(self) -> Value:
        if self.data <= 0.0:  # NaN is not: log(nan) is nan
            raise domain_error("log_domain", _name(self), self.data)
        return _node(math.log(self.data), self, "log")

    @_rule("log")
    def _(out, g):
        a = out._a
        a._g += g / a.data

    def tanh(self) -> Value:
        return _node(math.tanh(self.data), self, "tanh")  # math.tanh: no overflow for any x

    @_rule("tanh")
    def _(out, g):
        out._a._g += (1.0 - out.data * out.data) * g

    def relu(self) -> Value:
        return _node(0.0 if self.data <= 0.0 else self.data, self, "relu")  # relu(nan) is nan

    @_rule("relu")
    def _(out, g):
        a = out._a
        if not a.data <= 0.0:  # NaN passes the gradient on, as in PyTorch
            a._g += g

    def sigmoid(self) -> Value:
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # exp of a positive number could overflow; this form cannot
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, self, "sigmoid")

    @_rule("sigmoid")
    def _(out, g):
        out._a._g += out.data * (1.0 - out.data) * g

    del _

    # ---- reflected forms: the number becomes the left operand ------------------------------

    def __radd__(self, other: float) -> Value:
        return _operand(other, "+") + self

    def __rsub__(self, other: float) -> Value:
        return _operand(other, "-") - self

    def __rmul__(self, other: float) -> Value:
        return _operand(other, "*") * self

    def __rtruediv__(self, other: float) -> Value:
        return _operand(other, "/") / self

    def __rpow__(self, other: float) -> Value:
        return _operand(other, "**") ** self

    @property
    def _backward(self):
        """A lecture-style closure (a custom op) that ``backward()`` runs, or None."""
        return self._b if type(self._a) is tuple else None

    @_backward.setter
    def _backward(self, fn):
        if type(self._a) is not tuple:
            self._a = self._prev
        self._b = fn

    # ---- the graph --------------------------------------------------------------------------

    def _ordered(self):
        """Topological order of the graph, leaving every node's ``_g`` at 0.0 for a backward pass
        (the caller resets it to None). Iterative; reports a cycle instead of looping.

        A depth-first post-order, operand ``a`` explored before ``b``. ``_g`` is the visit mark:
        None (not seen), ``_ONGOING`` (its descendants are being ordered: meeting it again is a
        cycle), 0.0 (ordered, and the zero the backward pass then adds into). One slot for both
        needs no ``seen`` set (a hash per node on a million-node graph) and no second pass to zero
        every pass-gradient. A node none of whose children needs a visit is ordered at once rather
        than on a second trip through the loop (most nodes of a wide graph).

        The lecture's recursive ``build_topo``, made iterative: ``tests/engine`` checks the two
        give the same order on random small graphs."""
        order, stack = [], [self]
        push, pop, done = stack.append, stack.pop, order.append
        ongoing = _ONGOING
        try:
            while stack:
                node = stack[-1]
                mark = node._g
                if mark is not None:  # second visit, or a node pushed twice and already ordered
                    pop()
                    if mark is ongoing:
                        node._g = 0.0
                        done(node)
                    continue
                while True:  # visit node (the top of the stack), going down its a-children at once
                    node._g = ongoing
                    a = node._a
                    if a is None:  # a leaf
                        pop()
                        node._g = 0.0
                        done(node)
                        break
                    if type(a) is tuple:  # a custom op's children (``_b`` is its closure)
                        pushed = False
                        for c in reversed(a):  # pushed last to first: explored in operand order
                            mark = c._g
                            if mark is None:
                                push(c)
                                pushed = True
                            elif mark is ongoing:
                                self._cycle(c, node)
                        if not pushed:
                            pop()
                            node._g = 0.0
                            done(node)
                        break
                    b = node._b
                    if b is not None:  # b pushed first, a explored first: operand order
                        mark = b._g
                        if mark is None:
                            push(b)
                        elif mark is ongoing:
                            self._cycle(b, node)
                        else:
                            b = None  # already ordered
                    mark = a._g
                    if mark is None:
                        push(a)
                        node = a
                        continue
                    if mark is ongoing:
                        self._cycle(a, node)
                    if b is None:  # every child ordered: so is node
                        pop()
                        node._g = 0.0
                        done(node)
                        break
                    node = b  # a is ordered: visit b, on top of the stack
        except BaseException:  # a cycle, or an interrupt: leave no visit marks behind
            for n in order:
                n._g = None
            for n in stack:
                n._g = None
            raise
        return order

    @staticmethod
    def _cycle(c, node):
        raise ValueError(f"the graph has a cycle: {_name(c)} depends on itself (through "
                         f"{_name(node)}); graphs must be acyclic, so do not edit _prev by hand")

    def topo(self) -> list[Value]:
        """Every node this one depends on, children before parents (itself last)."""
        with PASS_LOCK:
            order = self._ordered()
            for node in order:
                node._g = None
        return order

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node of the graph (root seeded with 1).

        All or nothing: the pass keeps each node's new ``.grad`` in ``_g`` (once a node is reached
        its gradient is complete: its parents came first) and stores them all only when the pass
        is complete, so an error, named after the node where it happened, changes no ``.grad``.
        Passes from several threads run one at a time (``PASS_LOCK``).
        """
        with PASS_LOCK:
            self._backward_pass()

    def _backward_pass(self):
        order = self._ordered()
        self._g = 1.0
        rules, copysign, zero = _RULE_CACHE, _copysign, 0.0
        node = self
        try:
            for node in reversed(order):
                g = node._g
                if type(g) is not float: g = node._g = float_grad(node, g, order)  # a hand-set .data
                a = node._a
                if a is not None:
                    if type(a) is tuple and node._b is not None:  # a closure: see _backward
                        if a:  # (a leaf given a closure has no children to run it for)
                            run_closure(node, g)
                    else:
                        try:
                            rule = rules[node._op]
                        except KeyError:
                            rule = _rule_of(node._op)
                        rule(node, g)
                # the new .grad, grad + g, into _g. A zero grad keeps g itself (no new float) or,
                # for a zero g, the one shared 0.0 (a wide graph has many): this pass's zero floats
                # are freed as it goes. Only -0.0 + -0.0 is -0.0; ``grad is zero`` (the 0.0 every
                # new node starts with) spares most of them the sign test.
                grad = node.grad
                if type(grad) is not float: grad = float_grad(node, grad, order, "grad")
                if grad == 0.0:
                    if not g:
                        node._g = 0.0 if grad is zero or copysign(1.0, g) > 0.0 else grad + g
                else:
                    node._g = grad + g
        except BaseException as e:
            for n in order:
                n._g = None
            if isinstance(e, Exception) and not isinstance(e, NotReal):  # NotReal names its node
                raise backward_error(node, e) from e
            raise
        for node in order:
            node.grad = node._g
            node._g = None

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on every node reachable from this one."""
        with PASS_LOCK:
            for node in self._ordered():  # topo() without its own pass to clear the visit marks
                node.grad = 0.0
                node._g = None


# ---- below: what Value leans on ------------------------------------------------------------

# ---- the rules of op names that are not built in

# op name -> rule, for every name backward() has met: the built-ins, ``**<number>``, registered ops,
# names with no rule. ``register_op`` changes what a name means, so the op table tells the engine
# (through the hook installed below) to forget it.
_RULE_CACHE = {op: r for op, r in _RULES.items() if op != "**k"}
ops.on_change(lambda name: _RULE_CACHE.pop(name, None))


def _rule_of(op):
    """The rule for an op name missing from ``_RULES``: ``**<number>`` (a power by a constant, named
    as micrograd names it), an op registered with derivatives (``gradviz.register_op``), or none.
    Remembered, so each name is read once (``register_op`` makes it read again)."""
    custom = CUSTOM.get(op) if isinstance(op, str) else None
    if custom is not None and custom.derivatives is not None:
        rule = registered_rule(op, custom.derivatives)
    else:
        rule = _RULES["**k"] if split_op(op)[1] is not None else NO_RULE
    _RULE_CACHE[op] = rule
    return rule


def _power(a, k):
    x = a.data
    if x < 0.0 and math.isfinite(k) and not k.is_integer():
        raise domain_error("pow_negative_base", _name(a), x, k)
    if x == 0.0 and k < 0.0:
        raise domain_error("pow_zero_negative", _name(a), x, k)
    return _pow(x, k)  # C's pow (gradviz.ops.cpow): an overflow is a signed inf


# ---- making nodes: the fast factory of built-in ops, and the checks a call from user code needs

_new = object.__new__
_copysign = math.copysign


def _node(data, a, op, b=None):
    """A new node of a built-in op over operands ``a`` (and ``b``): ``Value(data, (a, b), op)``
    without the checks a call from user code needs (a fifth of an op's time)."""
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


def _number(x, what, fix="convert it with float(...)"):
    if type(x) is float:
        return x
    if isinstance(x, Real):
        return float(x)
    t = type(x)
    if all(hasattr(x, a) for a in ("data", "grad", "_prev", "_op")):
        raise TypeError(f"{what}: got a {t.__module__}.{t.__qualname__}, a Value of another engine; "
                        f"gradviz Values combine only with gradviz Values and numbers: build the whole "
                        f"expression with one engine (gradviz.trace draws either)")
    if hasattr(x, "item") and hasattr(x, "numel"):
        raise TypeError(f"{what}: got a {t.__module__}.{t.__qualname__}; gradviz works on Python "
                        f"floats: take the number out with .item() (e.g. Value(3.0) * t.item())")
    raise TypeError(f"{what}: expected a number (int or float), got {t.__name__!r} "
                    f"({x!r:.40}); {fix}")


def _operand(x, op):
    if isinstance(x, Value):
        return x
    v = Value(_number(x, f"unsupported operand for {op}", "use a number or a Value"))
    v._scope = CONSTANT
    return v


def _children_of(children):
    try:
        return tuple(children)
    except TypeError:
        raise TypeError(f"_children must be an iterable of Values, such as a tuple (a, b), got "
                        f"{type(children).__name__!r}") from None


def _check_children(children):
    for i, c in enumerate(children):
        if not isinstance(c, Value):
            t = type(c)
            if all(hasattr(c, a) for a in ("data", "_prev", "_op")):
                raise TypeError(
                    f"child {i} of the new node is a {t.__module__}.{t.__qualname__} ({c!r:.40}), a "
                    f"Value of another class than gradviz.Value; build the whole expression with "
                    f"one class (if your own class's methods call Value(...), the name Value now "
                    f"means gradviz's: import gradviz under another name, or rename your class)")
            raise TypeError(f"child {i} of the new node is a {t.__name__!r} ({c!r:.40}), not a "
                            f"Value; children must be Values (wrap numbers as Value(x))")


# ---- scopes: the module call being evaluated

# A Value's ``_scope`` says where it came from: the Scope of the module call that created it, the
# Module holding it (a parameter, see ``own_parameter``), CONSTANT (a number an op wrapped), or None.
_scope = None  # the Scope of the module call being evaluated, stamped on every new Value


def _enter_scope(s):
    global _scope
    prev, _scope = _scope, s
    return prev


def _exit_scope(prev):
    global _scope
    _scope = prev


def enter_call(module, call):
    """Start call number ``call`` of ``module``: Values created until ``exit_call(prev)`` carry
    ``Scope(module, call, <the enclosing call's Scope>)``. Returns ``prev``."""
    return _enter_scope(Scope(module, call, _scope))


exit_call = _exit_scope  # end a module call: ``exit_call(prev)`` with what ``enter_call`` returned


def own_parameter(v, module):
    """Mark Value ``v`` as a parameter held by ``module`` (drawings group it with its module)."""
    v._scope = module


class no_scope:
    """Context manager: Values created inside belong to no module call."""

    def __enter__(self):
        self._prev = _enter_scope(None)

    def __exit__(self, *exc):
        _exit_scope(self._prev)


@contextmanager
def gc_paused():
    """Hold off Python's cyclic garbage collector for a block that allocates many objects but
    frees no cycles (tracing or compiling a big graph), then restore it as it was.

    Each collection walks every tracked object in its generations, and a graph holds hundreds of
    thousands of Values: without this, a full collection would walk them all, again and again."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
