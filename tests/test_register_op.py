"""Ops of your own as op-table entries (``gradviz.register_op``): every consumer knows them, and
``Tape`` re-runs graphs holding the lecture's closure ops once a forward is registered for them."""
import math

import pytest

import gradviz
from gradviz import Tape, Value, register_op, unregister_op
from test_custom_ops import fma, my_exp, my_tanh
from testenv import need


@pytest.fixture
def registered():
    """Register ops for one test, and forget them after it."""
    names = []

    def reg(name, *args, **kwargs):
        register_op(name, *args, **kwargs)
        names.append(name)
    yield reg
    for n in names:
        unregister_op(n)


def cube_graph(x0=1.3, y0=-0.4):
    x, y = Value(x0, label="x"), Value(y0, label="y")
    c = Value(x.data ** 3, (x,), "cube")           # no closure: the registered rule backpropagates
    h = Value(math.hypot(c.data, y.data), (c, y), "hypot")
    L = h * x + c.tanh()
    L.label = "L"
    return L, (x, y)


def finite_differences(build, vals, h=1e-6):
    out = []
    for i in range(len(vals)):
        up, down = list(vals), list(vals)
        up[i] += h
        down[i] -= h
        out.append((build(*up)[0].data - build(*down)[0].data) / (2 * h))
    return out


def register_cube_and_hypot(reg):
    reg("cube", lambda x: x ** 3, lambda x, out: (3 * x * x,), torch=lambda t: t ** 3)
    reg("hypot", math.hypot, lambda a, b, out: (a / out, b / out),
        torch=lambda a, b: (a * a + b * b).sqrt())


def test_a_registered_op_backpropagates_in_the_engine(registered):
    L, (x, y) = cube_graph()
    L.backward()
    h = L._prev[0]._prev[0]
    assert x.grad == h.data and y.grad == 0.0  # unknown ops pass nothing (as in micrograd): x gets h
    register_cube_and_hypot(registered)
    L, leaves = cube_graph()
    L.backward()
    fd = finite_differences(cube_graph, [1.3, -0.4])
    assert [v.grad for v in leaves] == pytest.approx(fd, rel=1e-6)
    assert not any(m.get("backward") for m in gradviz.trace(L).meta)  # known ops now: none marked


@pytest.mark.parametrize("mode", ["auto", "vector", "scalar"])
def test_the_tape_replays_registered_ops_like_the_engine(registered, mode):
    register_cube_and_hypot(registered)
    L, (x, y) = cube_graph()
    tape = Tape(L, mode=mode)
    x.data, y.data = 0.7, 2.1
    d, g = tape.run()
    L2, (x2, y2) = cube_graph(0.7, 2.1)
    L2.backward()
    assert L.data == L2.data and (x.grad, y.grad) == (x2.grad, y2.grad)  # the engine's, bit for bit
    assert d[-1] == L2.data


def test_the_tape_replays_the_lectures_closure_ops_with_a_registered_forward(registered):
    def build(a0=0.3, b0=-1.2, c0=0.7):
        a, b, c = Value(a0, label="a"), Value(b0, label="b"), Value(c0, label="c")
        y = my_tanh(fma(a, b, c)) + my_exp(a * c) * b
        return y, (a, b, c)
    y, leaves = build()
    with pytest.raises(ValueError, match=r"register one with gradviz\.register_op\('fma', forward\)"):
        Tape(y)
    registered("fma", lambda a, b, c: a * b + c)      # backward: its closure (reads .data)
    registered("my_exp", math.exp)                     # backward: its closure (reads out.data)
    registered("my_tanh", math.tanh, lambda x, out: (1 - out * out,))  # its closure keeps t: derivatives
    tape = Tape(y)
    new = [0.9, 0.4, -1.5]
    before = [(v.data, v.grad) for v in leaves]
    data = tape.leaf_data()
    for v, x in zip(leaves, new):
        data[tape.graph.values.index(v)] = x
    d, g = tape.run(write_back=False, data=data)
    assert [(v.data, v.grad) for v in leaves] == before  # nothing written, every .data given back
    y2, leaves2 = build(*new)
    y2.backward()
    ids = [tape.graph.values.index(v) for v in leaves]
    assert d[-1] == y2.data and [g[i] for i in ids] == [v.grad for v in leaves2]
    assert [g[i] for i in ids] == pytest.approx(finite_differences(build, new), rel=1e-6)
    # run() adds nothing twice: a second run gives the same grads, written this time
    tape.run(data=data)
    assert [v.grad for v in leaves] == [g[i] for i in ids]


def test_grad_check_and_torch_take_registered_ops(registered):
    torch = need("torch", "compare_with_torch")
    L, _ = cube_graph()
    with pytest.raises(ValueError, match="register_op"):
        gradviz.compare_with_torch(L)
    register_cube_and_hypot(registered)
    L, _ = cube_graph()
    L.backward()
    assert gradviz.grad_check(L).ok
    assert gradviz.compare_with_torch(L).ok
    assert torch is not None


def test_a_widget_over_a_registered_op_nudges_with_the_kernel(registered):
    need("anywidget", "the widget")
    register_cube_and_hypot(registered)
    L, (x, y) = cube_graph()
    L.backward()
    w = gradviz.GraphWidget(L)
    assert not w.readonly
    w.set("x", 0.5)
    L2, (x2, _) = cube_graph(0.5, -0.4)
    L2.backward()
    assert x.data == 0.5 and L.data == L2.data and x.grad == x2.grad


def test_register_op_refuses_what_it_cannot_use():
    with pytest.raises(ValueError, match="built-in op"):
        register_op("tanh", math.tanh)
    with pytest.raises(ValueError, match="built-in op"):
        register_op("**3", lambda x: x ** 3)
    with pytest.raises(TypeError, match="non-empty str"):
        register_op("", math.tanh)
    with pytest.raises(TypeError, match="derivatives must be a function"):
        register_op("twice", lambda x: 2 * x, derivatives=2.0)
    assert "twice" not in gradviz.ops.CUSTOM


def test_a_failing_forward_names_the_node(registered):
    registered("inv", lambda x: 1 / x, lambda x, out: (-out * out,))
    x = Value(2.0, label="x")
    y = Value(0.5, (x,), "inv") * 3.0
    tape = Tape(y)
    x.data = 0.0
    with pytest.raises(ZeroDivisionError, match=r"the forward of op 'inv' at node 1"):
        tape.run()
    assert x.data == 0.0 and y.data == 1.5  # nothing written
