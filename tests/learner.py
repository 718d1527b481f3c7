"""The lecture's hand-written ``Value``, as a learner types it along with the lecture, shared by the
tests that show gradviz a Value class of another engine (import as ``from learner import ...``).

``LectureValue`` is the lecture's class when it is right: data, grad, a set of children, ``_op``,
a label, one ``_backward`` closure per op and ``backward()`` over the lecture's ``build_topo``.
Its subclasses keep the lecture's bug, ``self.grad = ...`` where ``+=`` belongs: ``SetsInAdd`` in
'+' only, ``SetsGrads`` in '+' and '*'. The op functions ``tanh``, ``exp`` and ``power`` are the
lecture's closures for any class with the lecture's constructor (gradviz's own Value too).
"""
import math


def build_topo(root):
    """The lecture's ``build_topo``: every node once, after its children, in ``_prev``'s order."""
    topo, visited = [], set()

    def build(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)
    build(root)
    return topo


def tanh(self, op="tanh", of=None):
    """The lecture's tanh, from exp (``of``: another function for t), its closure keeping t."""
    x = self.data
    t = of(x) if of else (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = type(self)(t, (self,), op)

    def _backward():
        self.grad += (1 - t ** 2) * out.grad
    out._backward = _backward
    return out


def exp(self, op="exp"):
    out = type(self)(math.exp(self.data), (self,), op)

    def _backward():
        self.grad += out.data * out.grad
    out._backward = _backward
    return out


def power(self, k, op="**"):
    """``self ** k`` for a number k, named ``op`` followed by k (``**2``)."""
    assert isinstance(k, (int, float)), "only supporting int/float powers for now"
    out = type(self)(self.data ** k, (self,), f"{op}{k}")

    def _backward():
        self.grad += k * self.data ** (k - 1) * out.grad
    out._backward = _backward
    return out


class LectureValue:
    """The lecture's Value as a learner types it: a set of children, closures, a label."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def _value(self, other):
        return other if isinstance(other, LectureValue) else type(self)(other)

    def __add__(self, other):
        other = self._value(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._value(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    __pow__ = power
    tanh = tanh
    exp = exp

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def backward(self):
        topo = build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class SetsInAdd(LectureValue):
    """The lecture's Value before the fix: '+' sets its operands' grads (``=`` where ``+=``
    belongs), so ``a + a`` gives a one gradient, not two."""

    def __add__(self, other):
        other = self._value(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = 1.0 * out.grad
            other.grad = 1.0 * out.grad
        out._backward = _backward
        return out


class SetsGrads(SetsInAdd):
    """The lecture's Value with its bug in '+' and '*' alike: both set their operands' grads."""

    def __mul__(self, other):
        other = self._value(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad = other.data * out.grad
            other.grad = self.data * out.grad
        out._backward = _backward
        return out


def lecture_neuron(V):
    """The lecture's neuron, o = tanh(x1*w1 + x2*w2 + b) = 0.7071, in class V."""
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)
