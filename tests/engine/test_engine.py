"""The engine: every op's value and gradient, the lecture's numbers, accumulation, deep graphs, errors."""
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradviz import Value
from testenv import lecture_L, micrograd_readme_expression


def fd(f, x, h=1e-6):
    """Central finite difference of a float function."""
    return (f(x + h) - f(x - h)) / (2 * h)


# op name -> (build from Values, same function on floats, valid input points)
UNARY = {
    "neg": (lambda a: -a, lambda x: -x, [-1.7, 0.3, 2.5]),
    "exp": (lambda a: a.exp(), math.exp, [-2.0, 0.1, 1.5]),
    "log": (lambda a: a.log(), math.log, [0.2, 1.0, 3.7]),
    "tanh": (lambda a: a.tanh(), math.tanh, [-2.0, 0.0, 0.8813735870195432]),
    "relu": (lambda a: a.relu(), lambda x: max(x, 0.0), [-1.2, 0.7, 3.0]),
    "sigmoid": (lambda a: a.sigmoid(), lambda x: 1 / (1 + math.exp(-x)), [-3.0, 0.0, 2.2]),
    "**2": (lambda a: a ** 2, lambda x: x ** 2, [-1.5, 0.5, 3.0]),
    "**3": (lambda a: a ** 3, lambda x: x ** 3, [-1.5, 0.5, 3.0]),
    "**-1": (lambda a: a ** -1, lambda x: x ** -1, [-2.0, 0.5, 4.0]),
    "**0.5": (lambda a: a ** 0.5, lambda x: x ** 0.5, [0.3, 1.0, 9.0]),
    "2**a": (lambda a: 2 ** a, lambda x: 2 ** x, [-1.0, 0.5, 3.0]),
    "r+": (lambda a: 3 + a, lambda x: 3 + x, [-1.0, 2.0]),
    "r-": (lambda a: 1 - a, lambda x: 1 - x, [-1.0, 2.0]),
    "r*": (lambda a: 2 * a, lambda x: 2 * x, [-1.0, 2.0]),
    "r/": (lambda a: 2 / a, lambda x: 2 / x, [-1.0, 2.0]),
}
BINARY = {
    "+": (lambda a, b: a + b, lambda x, y: x + y),
    "-": (lambda a, b: a - b, lambda x, y: x - y),
    "*": (lambda a, b: a * b, lambda x, y: x * y),
    "/": (lambda a, b: a / b, lambda x, y: x / y),
    "**": (lambda a, b: a ** b, lambda x, y: x ** y),
}
PAIRS = [(1.5, 2.0), (0.7, -1.3), (3.0, 0.25)]


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_value_and_grad_match_finite_differences(name):
    build, f, points = UNARY[name]
    for x in points:
        a = Value(x, label="a")
        out = build(a)
        out.backward()
        assert out.data == pytest.approx(f(x), rel=1e-12, abs=1e-15)
        assert a.grad == pytest.approx(fd(f, x), rel=1e-6, abs=1e-8), (name, x)


@pytest.mark.parametrize("name", BINARY)
def test_binary_op_value_and_grads_match_finite_differences(name):
    build, f = BINARY[name]
    for x, y in PAIRS:
        a, b = Value(x, label="a"), Value(y, label="b")
        out = build(a, b)
        out.backward()
        assert out._prev == (a, b)
        assert out.data == pytest.approx(f(x, y), rel=1e-12)
        assert a.grad == pytest.approx(fd(lambda t: f(t, y), x), rel=1e-6, abs=1e-8)
        assert b.grad == pytest.approx(fd(lambda t: f(x, t), y), rel=1e-6, abs=1e-8)


def test_every_op_agrees_with_torch_in_float64(torch):
    for name, (build, _, points) in UNARY.items():
        for x in points:
            a = Value(x)
            out = build(a)
            out.backward()
            ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            tout = build(ta) if name not in ("tanh", "exp", "log", "relu", "sigmoid") else \
                getattr(torch, name)(ta)
            tout.backward()
            assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-15), name
            assert a.grad == pytest.approx(ta.grad.item(), rel=1e-9, abs=1e-12), name
    for name, (build, _) in BINARY.items():
        for x, y in PAIRS:
            a, b = Value(x), Value(y)
            out = build(a, b)
            out.backward()
            ta = torch.tensor(x, requires_grad=True, dtype=torch.float64)
            tb = torch.tensor(y, requires_grad=True, dtype=torch.float64)
            build(ta, tb).backward()
            assert a.grad == pytest.approx(ta.grad.item(), rel=1e-9, abs=1e-12), name
            assert b.grad == pytest.approx(tb.grad.item(), rel=1e-9, abs=1e-12), name


def test_micrograd_readme_expression():
    a, b, *_, g = micrograd_readme_expression(Value)
    assert f"{g.data:.4f}" == "24.7041"
    g.backward()
    assert f"{a.grad:.4f}" == "138.8338"
    assert f"{b.grad:.4f}" == "645.5773"


def test_lecture_expression_graph():
    L, v = lecture_L()
    assert L.data == -8.0
    L.backward()
    grads = {k: x.grad for k, x in v.items()}
    assert grads == dict(a=6.0, b=-4.0, c=-2.0, e=-2.0, d=-2.0, f=4.0, L=1.0)
    assert v["d"]._prev == (v["e"], v["c"]) and v["d"]._op == "+"


def lecture_neuron(tanh_from_exp=False):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x2w2 = x2 * w2
    n = x1w1 + x2w2 + b; n.label = "n"
    if tanh_from_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.label = "o"
    o.backward()
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n, o=o)


@pytest.mark.parametrize("from_exp", [False, True])
def test_lecture_neuron(from_exp):
    v = lecture_neuron(from_exp)
    assert f"{v['o'].data:.4f}" == "0.7071"
    assert f"{v['n'].grad:.4f}" == "0.5000"
    assert (f"{v['x1'].grad:.4f}", f"{v['w1'].grad:.4f}") == ("-1.5000", "1.0000")
    assert (f"{v['x2'].grad:.4f}", f"{v['w2'].grad:.4f}") == ("0.5000", "0.0000")


def test_tanh_from_exp_gives_the_same_grads_as_tanh():
    a, b = lecture_neuron(False), lecture_neuron(True)
    for k in ("x1", "x2", "w1", "w2", "b"):
        assert a[k].grad == pytest.approx(b[k].grad, rel=1e-12, abs=1e-15)


def test_reused_node_accumulates():
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a2 = Value(-2.0); b2 = Value(3.0)
    d = a2 * b2; e = a2 + b2; f = d * e
    f.backward()
    assert (a2.grad, b2.grad) == (-3.0, -8.0)


def test_backward_twice_adds_like_pytorch_and_zero_grad_resets():
    L, v = lecture_L()
    L.backward()
    L.backward()
    assert (v["a"].grad, v["e"].grad, L.grad) == (12.0, -4.0, 2.0)
    L.zero_grad()
    assert all(x.grad == 0.0 for x in v.values())
    L.backward()
    assert v["a"].grad == 6.0


def test_operand_order_and_reflected_forms():
    a = Value(4.0, label="a")
    for out, expect in [(2 * a, 8.0), (1 - a, -3.0), (2 / a, 0.5), (2 ** a, 16.0), (3 + a, 7.0)]:
        const, self_ = out._prev
        assert self_ is a and const._prev == () and out.data == expect


def test_deep_chain_backpropagates_without_recursion():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0, label="x")
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    y.zero_grad()
    assert x.grad == 0.0


def test_cycle_is_reported_and_graph_left_clean():
    a = Value(1.0, label="a")
    b = a * 2; b.label = "b"
    c = b + 1; c.label = "c"
    a._prev, a._op = (c,), "neg"
    with pytest.raises(ValueError, match="cycle"):
        c.backward()
    a._prev, a._op = (), ""
    c.backward()  # still works once the cycle is removed: no stale marks left behind
    assert a.grad == 2.0


@pytest.mark.parametrize("bad, op", [("x", "*"), (None, "+"), ([1.0], "-"), ("2", "/")])
def test_non_numeric_operand_is_a_clear_type_error(bad, op):
    names = {"a": Value(1.0), "bad": bad}
    with pytest.raises(TypeError, match=rf"\{op}.*{type(bad).__name__}"):
        eval(f"a {op} bad", {}, names)
    with pytest.raises(TypeError, match=type(bad).__name__):
        eval(f"bad {op} a", {}, names)


def test_value_rejects_non_numbers_and_accepts_numpy_scalars():
    with pytest.raises(TypeError, match="str"):
        Value("2.0")
    np = pytest.importorskip("numpy")
    assert Value(np.float32(1.5)).data == 1.5 and type(Value(np.int64(2)).data) is float


def test_log_of_non_positive_names_value_and_label():
    x = Value(-2.0, label="x")
    with pytest.raises(ValueError, match=r"'x'.*-2\.0"):
        x.log()
    with pytest.raises(ValueError, match="0.0"):
        Value(0.0, label="z").log()


def test_division_by_zero_value():
    with pytest.raises(ZeroDivisionError, match="'d'"):
        Value(1.0) / Value(0.0, label="d")
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0


def test_negative_base_non_integer_power():
    with pytest.raises(ValueError, match="non-integer"):
        Value(-2.0, label="q") ** 0.5
    with pytest.raises(ValueError, match="non-integer"):
        Value(-2.0) ** Value(0.5)
    assert (Value(-2.0) ** 3).data == -8.0


def test_overflow_is_inf_as_in_pytorch():
    # one rule for every op: a result beyond the float range is a (signed) inf, never an error
    assert Value(1000.0, label="big").exp().data == math.inf
    assert (Value(1e308) * 10).data == math.inf and (Value(-1e308) - 1e308).data == -math.inf
    assert (Value(1e200) ** 2).data == math.inf and (Value(-1e200) ** 3).data == -math.inf
    assert (Value(1e308) / 1e-10).data == math.inf and (Value(10.0) ** Value(400.0)).data == math.inf
    x = Value(1e-300, label="x")  # forward fine (1e300); d/dx = -x**-2 overflows: -inf
    y = x ** -1
    z = y * 2.0
    z.backward()
    assert (x.grad, y.grad, z.grad) == (-math.inf, 2.0, 1.0)
    zero = -Value(0.0)  # 0 to a power below 1: an infinite slope, signed as C's pow signs it
    (zero ** 0.5).backward()
    assert zero.grad == math.inf
    with pytest.raises(ZeroDivisionError, match="0 to a negative power"):
        zero ** -2  # no real answer: an error


def test_nan_flows_through_every_op_as_in_pytorch():
    nan = math.nan
    r = Value(nan, label="n").relu()
    r.backward()
    assert math.isnan(r.data) and r._prev[0].grad == 1.0  # PyTorch: relu(nan) = nan, grad passes
    for f in (lambda v: v.log(), lambda v: v.exp(), lambda v: v.tanh(), lambda v: v.sigmoid(),
              lambda v: v ** 2, lambda v: v * v, lambda v: 2 ** v):
        out = f(Value(nan))
        out.backward()
        assert math.isnan(out.data) and math.isnan(out._prev[0].grad)
    with pytest.raises(ValueError, match="log of a non-positive number: 'z' has data -0.0"):
        Value(-0.0, label="z").log()


def test_backward_is_all_or_nothing_and_names_the_node():
    x = Value(2.0, label="x")
    y = x * x; y.label = "y"
    z = y * 3.0; z.label = "z"
    z.backward()
    before = [(v.grad, v._g) for v in (x, y, z)]
    x.data = None  # a user error: the rule of y cannot multiply
    with pytest.raises(TypeError, match=r"backward failed in the backward rule of 'y' \(op '\*', operands "
                                        r"'x' = None, 'x' = None\).*no \.grad was changed"):
        z.backward()
    assert [(v.grad, v._g) for v in (x, y, z)] == before == [(12.0, None), (3.0, None), (1.0, None)]
    x.data = 2.0
    z.backward()
    assert (x.grad, y.grad, z.grad) == (24.0, 6.0, 2.0)
    y.grad = "oops"  # a grad set to a non-number: nothing is added anywhere
    with pytest.raises(TypeError, match=r"'y'\.grad is 'oops' \(a builtins\.str\), not a real number.*no \.grad was changed"):
        z.backward()
    assert (x.grad, y.grad, z.grad) == (24.0, "oops", 2.0)


def test_failed_op_builds_nothing():
    x = Value(-1.0, label="x")
    y = x * 2
    with pytest.raises(ValueError):
        y.log()
    y.backward()  # the graph of y is intact and has no dangling node
    assert x.grad == 2.0 and y._prev[0] is x


def test_tanh_and_sigmoid_are_stable_for_huge_inputs():
    for x in (-1e4, -800.0, 800.0, 1e4):
        t, s = Value(x).tanh(), Value(x).sigmoid()
        t.backward(); s.backward()
        assert math.isfinite(t.data) and math.isfinite(s.data)
        assert abs(t.data) == 1.0 and s.data in (0.0, 1.0)
        assert t._prev[0].grad == 0.0 and s._prev[0].grad == 0.0


def test_nan_and_inf_are_allowed_and_shown():
    n = Value(float("nan"), label="n")
    i = Value(float("inf"), label="i")
    assert "nan" in repr(n) and "inf" in repr(i)
    assert math.isnan((n + 1).data)


def test_repr_shows_data_and_grad():
    L, v = lecture_L()
    L.backward()
    assert repr(v["a"]) == "Value(label='a', data=2.0, grad=6.0)"


ops = st.sampled_from(["+", "-", "*", "tanh", "sigmoid", "relu", "exp", "sq"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=2, max_size=4), st.lists(st.tuples(ops, st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=12))
def test_random_expressions_match_finite_differences(xs, program):
    """Random DAGs (with reuse) over the ops: gradient of every leaf against finite differences."""
    def run(vals, make):
        nodes = [make(x) for x in vals]
        for op, i, j in program:
            a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
            if op in "+-*":
                nodes.append({"+": a + b, "-": a - b, "*": a * b}[op] if make is Value else
                             {"+": a + b, "-": a - b, "*": a * b}[op])
            elif op == "sq":
                nodes.append(a ** 2)
            elif op == "exp":
                nodes.append(a.tanh().exp() if make is Value else math.exp(math.tanh(a)))
            else:
                nodes.append(getattr(a, op)() if make is Value else
                             {"tanh": math.tanh, "sigmoid": lambda t: 1 / (1 + math.exp(-t)),
                              "relu": lambda t: max(t, 0.0)}[op](a))
        return nodes[-1], nodes
    out, nodes = run(xs, Value)
    out.backward()
    for k, x in enumerate(xs):
        def f(t):
            ys = list(xs); ys[k] = t
            return run(ys, float)[0]
        num = fd(f, x, 1e-6)
        if any(op == "relu" for op, _, _ in program):
            continue  # finite differences are unreliable at relu's kink
        assert nodes[k].grad == pytest.approx(num, rel=1e-4, abs=1e-6)
