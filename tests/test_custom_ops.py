"""Ops written the lecture's way on gradviz's own Value: ``out._backward = _backward``."""
import pytest

import gradviz
import learner
from gradviz import Tape, Value, trace
from testenv import need

# ---- the lecture's op definitions, typed as a learner types them (tests/learner.py) -------------

def my_tanh(self):
    return learner.tanh(self, "my_tanh")


def my_exp(self):
    return learner.exp(self, "my_exp")


def my_pow(self, other):
    return learner.power(self, other, "my**")


def fma(a, b, c):
    """A custom op with three children: a * b + c."""
    out = Value(a.data * b.data + c.data, (a, b, c), "fma")

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad
        c.grad += out.grad
    out._backward = _backward
    return out


def custom_expression():
    a, b, c = Value(0.3, label="a"), Value(-1.2, label="b"), Value(0.7, label="c")
    y = my_tanh(fma(a, b, c)) + my_pow(my_exp(a * c), 2) * b
    y.label = "y"
    return y, (a, b, c)


def finite_difference(build, i, h=1e-6):
    """d f / d leaf i by a central difference, rebuilding the expression at shifted leaf values."""
    def f(shift):
        y, leaves = build()
        vals = [v.data for v in leaves]
        vals[i] += shift
        y, leaves = build(vals)
        return y.data
    return (f(h) - f(-h)) / (2 * h)


def build(vals=None):
    a, b, c = [Value(x, label=n) for x, n in zip(vals or (0.3, -1.2, 0.7), "abc")]
    y = my_tanh(fma(a, b, c)) + my_pow(my_exp(a * c), 2) * b
    return y, (a, b, c)


def test_custom_ops_backprop_like_finite_differences():
    y, leaves = build()
    y.backward()
    for i, v in enumerate(leaves):
        assert v.grad == pytest.approx(finite_difference(build, i), rel=1e-7, abs=1e-9)


def test_custom_ops_agree_with_torch(torch):
    y, (a, b, c) = build()
    y.backward()
    ta, tb, tc = (torch.tensor(v.data, dtype=torch.float64, requires_grad=True) for v in (a, b, c))
    ty = torch.tanh(ta * tb + tc) + torch.exp(ta * tc) ** 2 * tb
    ty.backward()
    assert y.data == pytest.approx(ty.item(), rel=1e-12)
    for v, t in ((a, ta), (b, tb), (c, tc)):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-9)


def test_backward_adds_exactly_one_pass_through_closures():
    y, leaves = build()
    y.backward()
    once = [v.grad for v in leaves]
    y.backward()
    assert [v.grad for v in leaves] == [2 * g for g in once]
    y.zero_grad()
    y.backward()
    assert [v.grad for v in leaves] == once


def test_lecture_neuron_with_its_own_tanh():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = my_tanh(x1 * w1 + x2 * w2 + b)
    o.backward()
    assert round(o.data, 4) == 0.7071
    assert (round(x1.grad, 4), round(w1.grad, 4), round(x2.grad, 4), w2.grad) == (-1.5, 1.0, 0.5, 0.0)


def test_the_lectures_a_plus_a_bug_is_reproduced_faithfully():
    a = Value(3.0, label="a")
    out = Value(a.data + a.data, (a, a), "buggy+")

    def _backward():  # '=' instead of '+=': the lecture's bug
        a.grad = 1.0 * out.grad
        a.grad = 1.0 * out.grad
    out._backward = _backward
    out.backward()
    assert a.grad == 1.0   # the bug: should be 2


def test_no_invented_gradients():
    x = Value(2.0, label="x")
    Value(x.data ** 3, (x,), "op2").backward()
    assert x.grad == 0.0                        # micrograd's rule: no _backward, no gradient
    Value(x.data ** 3, (x,), "cube").backward()
    assert x.grad == 0.0
    y = Value(x.data ** 3, (x,), "**3")         # the name of a built-in op: the power rule
    y.backward()
    assert x.grad == 12.0
    g = trace(Value(1.0, (x,), "op2") + Value(8.0, (x,), "cube"))
    marks = [m.get("backward") for m in g.meta]
    assert marks.count("none") == 2


def test_constructor_takes_the_lectures_forms():
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    assert Value(2.0, (), "", "a").label == "a"                 # the lecture's positional label
    assert Value(3.0, [a, b], "+")._prev == (a, b)               # a list
    s = Value(3.0, {a}, "neg")                                   # micrograd's set
    assert s._prev == (a,)
    f = fma(a, b, c)
    assert f._prev == (a, b, c)
    with pytest.raises(TypeError, match="child 1 .* 'float'"):
        Value(3.0, (a, 3.0), "*")
    with pytest.raises(TypeError, match="iterable of Values"):
        Value(3.0, 7, "+")
    with pytest.raises(ValueError, match="'\\+' takes 2 operand"):
        Value(3.0, (a, b, c), "+")
    with pytest.raises(ValueError, match="'tanh' takes 1 operand"):
        Value(3.0, (a, b), "tanh")


def test_built_in_ops_still_checked_against_the_lecture():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    f = Value(-2.0, label="f")
    L = (a * b + c) * f
    L.backward()
    assert (L.data, a.grad, b.grad, c.grad, f.grad) == (-8.0, 6.0, -4.0, -2.0, 4.0)


def test_trace_and_drawings_show_custom_ops_under_their_names():
    y, _ = custom_expression()
    g = trace(y)
    assert {"fma", "my_tanh", "my_exp", "my**2"} <= set(g.ops)
    fma_id = g.ops.index("fma")
    assert len(g.children[fma_id]) == 3
    assert g.meta[fma_id]["backward"] == "custom"
    svg = gradviz.to_svg(y)
    assert "fma" in svg and "custom op" in svg
    nx = need("networkx", "to_networkx")
    G = gradviz.to_networkx(y)
    assert G.nodes[fma_id]["op"] == "fma" and G.in_degree(fma_id) == 3 and isinstance(G, nx.DiGraph)
    dot = need("graphviz", "draw_dot") and gradviz.draw_dot(y)
    assert "fma" in dot.source


def test_replay_and_checks_say_what_they_cannot_do(torch):
    y, _ = custom_expression()
    with pytest.raises(ValueError, match="custom op with its own _backward"):
        Tape(y)
    with pytest.raises(ValueError, match="custom op"):
        gradviz.grad_check(y)
    with pytest.raises(ValueError, match="cannot be mirrored"):
        gradviz.compare_with_torch(y)


def test_widget_over_a_custom_op_is_a_read_only_picture():
    need("anywidget", "the widget")
    y, (a, b, c) = custom_expression()
    y.backward()
    w = gradviz.GraphWidget(y)
    assert w.readonly and "custom op" in w._structure["readonly"]
    with pytest.raises(RuntimeError, match="custom op"):
        w.nudge("a", 1.0)
    assert a.data == 0.3 and a.grad != 0.0   # nothing changed


def test_deep_chain_of_custom_ops_backprops_iteratively():
    x = Value(0.5, label="x")
    y = x
    for _ in range(200_000):
        y = my_exp(y * 0.0)       # each link: y = exp(0 * y) = 1
    y.backward()
    assert y.data == 1.0 and x.grad == 0.0


def test_a_child_of_another_value_class_is_named_with_its_module():
    class Value:  # a learner's class, shadowed by gradviz's name in the same notebook
        def __init__(self, data):
            self.data, self._prev, self._op = data, set(), ""
    with pytest.raises(TypeError, match=r"test_custom_ops\..*Value .*another class than gradviz\.Value"):
        gradviz.Value(2.0, (Value(1.0), gradviz.Value(1.0)), "*")
