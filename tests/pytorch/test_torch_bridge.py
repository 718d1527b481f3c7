"""The PyTorch bridge: to_torch, compare_with_torch, from_torch, and life without torch.

Tests that need torch take the session ``torch`` fixture (conftest.py): skipped with the reason
when torch is missing, failed instead under CI=true.
"""
import collections
import functools
import math
import os
import random
import subprocess
import sys
import textwrap
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradviz
from gradviz import MLP, Layer, Neuron, Value, engine, mse_loss, trace
from gradviz.pytorch.bridge import INSTALL, TorchMismatchError
from testenv import labelled_neuron

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---- the lecture's neuron, in both frameworks ---------------------------------------------------

def test_lecture_neuron_in_gradviz_and_in_pytorch(torch):
    o, v = labelled_neuron()
    o.backward()
    assert f"{o.data:.4f}" == "0.7071"
    assert [v[k].grad for k in ("x1", "w1", "x2", "w2")] == pytest.approx([-1.5, 1.0, 0.5, 0.0], abs=1e-12)

    # the lecture's "same thing in PyTorch", written by hand
    x1 = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    w1 = torch.tensor([-3.0], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([6.8813735870195432], dtype=torch.float64, requires_grad=True)
    t = torch.tanh(x1 * w1 + x2 * w2 + b)
    t.backward()
    assert f"{t.item():.4f}" == "0.7071"
    assert [x1.grad.item(), w1.grad.item(), x2.grad.item(), w2.grad.item()] == \
        pytest.approx([-1.5, 1.0, 0.5, 0.0], abs=1e-12)

    # and the bridge's mirror agrees with both
    root, mirror = gradviz.to_torch(o)
    root.backward()
    assert root.item() == pytest.approx(t.item(), rel=1e-12)
    for name, ref in (("x1", x1), ("w1", w1), ("x2", x2), ("w2", w2), ("b", b)):
        assert mirror[name].grad.item() == pytest.approx(ref.grad.item(), abs=1e-12)
        assert mirror[name].grad.item() == pytest.approx(v[name].grad, abs=1e-12)
    assert mirror[v["n"]].grad.item() == pytest.approx(0.5, abs=1e-12)

    report = gradviz.compare_with_torch(o)
    assert report.ok and len(report.rows) == len(trace(o))
    assert report.max_abs_err <= 1e-12


# ---- to_torch -----------------------------------------------------------------------------------

def test_to_torch_leaves_require_grad_and_intermediates_retain_it(torch):
    o, v = labelled_neuron()
    root, mirror = gradviz.to_torch(o)
    g = mirror.graph
    assert root is mirror.root is mirror[len(g) - 1] and len(mirror) == len(g)
    for i, cs in enumerate(g.children):
        t = mirror[i]
        assert t.dtype == torch.float64
        if cs:
            assert t.grad_fn is not None and t.retains_grad
        else:
            assert t.is_leaf and t.requires_grad
        assert t.item() == pytest.approx(g.data[i], rel=1e-15)
    assert mirror[v["w1"]] is mirror["w1"]
    # the same graph from trace() mirrors the same way
    root2, mirror2 = gradviz.to_torch(trace(o))
    assert root2.item() == root.item() and len(mirror2) == len(mirror)


def test_to_torch_lookup_errors_are_clear(torch):
    a = Value(1.0, label="a")
    c = Value(2.0, label="a")  # the same label twice
    _, mirror = gradviz.to_torch((a * c).exp())
    with pytest.raises(KeyError, match="names 2 nodes"):
        mirror["a"]
    with pytest.raises(KeyError, match="out of range"):
        mirror[99]
    with pytest.raises(KeyError, match="not a node"):
        mirror[Value(3.0)]


def test_to_torch_rejects_what_it_cannot_mirror(torch):
    with pytest.raises(TypeError, match="takes a root Value .*or a Graph"):
        gradviz.to_torch(3.0)
    a = Value(2.0, label="a")
    odd = Value(5.0, (a,), "cube", label="odd")  # an op the engine does not have
    with pytest.raises(ValueError, match="'odd' has op 'cube'"):
        gradviz.to_torch(odd)
    t = torch.tensor(2.0, requires_grad=True)
    with pytest.raises(ValueError, match="from_torch"):
        gradviz.to_torch(gradviz.from_torch(t * 3))


def test_every_engine_op_is_mirrored(torch):
    """Each op the engine knows (its backward rules) is mirrored and agrees with PyTorch."""
    a, b = Value(0.7, label="a"), Value(1.3, label="b")
    made = {
        "+": a + b, "-": a - b, "*": a * b, "/": a / b, "**": a ** b, "neg": -a,
        "exp": a.exp(), "log": a.log(), "tanh": a.tanh(), "relu": a.relu(), "sigmoid": a.sigmoid(),
        "**k": a ** 2,
    }
    assert set(engine._RULES) == set(made), "a new engine op needs a PyTorch counterpart in to_torch"
    for k in (2, 3, -1, 0.5, 0, -2.5):
        made[f"**{k}"] = a ** k
    made["2 ** b"] = 2 ** b
    for op, out in made.items():
        out.backward()
        report = gradviz.compare_with_torch(out)
        assert report.ok, f"{op}: {report}"
        a.grad = b.grad = 0.0


OPS = ("+", "-", "*", "/", "neg", "**k", "**", "exp", "log", "tanh", "relu", "sigmoid",
       "r+", "r-", "r*", "r/", "r**")


@st.composite
def expressions(draw):
    """A random expression over every op, built step by step from a few float64 leaves."""
    # Magnitudes stay between 1e-100 and 1e6 (or exactly 0): below, the two frameworks' equally
    # valid formulas underflow differently (PyTorch's d(a/b)/db = -g*a/(b*b) turns b*b into 0 and
    # gives NaN where gradviz's -g*(a/b)/b stays finite), which is float64 noise, not a bug.
    magnitude = st.floats(-3, 3).filter(lambda x: x == 0 or abs(x) >= 1e-3)
    leaves = [Value(draw(magnitude), label=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    pool = list(leaves)
    for _ in range(draw(st.integers(1, 25))):
        op = draw(st.sampled_from(OPS))
        a = pool[draw(st.integers(0, len(pool) - 1))]
        b = pool[draw(st.integers(0, len(pool) - 1))]
        c = draw(st.sampled_from([2.0, -1.5, 0.5, 3, -2, 1]))
        k = draw(st.sampled_from([2, 3, -1, 0.5, 0, 1.5, -2]))
        try:
            out = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                   "neg": lambda: -a, "**k": lambda: a ** k, "**": lambda: a ** b,
                   "exp": a.exp, "log": a.log, "tanh": a.tanh, "relu": a.relu, "sigmoid": a.sigmoid,
                   "r+": lambda: c + a, "r-": lambda: c - a, "r*": lambda: c * a,
                   "r/": lambda: c / a, "r**": lambda: abs(c) ** a}[op]()
        except (ValueError, ZeroDivisionError, OverflowError):
            continue  # outside the op's domain in gradviz: nothing to compare
        if op == "**" and a.data <= 0.0:
            # a negative base gives d/db = NaN in both frameworks, and NaN then flows differently
            # through a zero exponent (test_nan_through_a_zero_exponent); a zero base is
            # test_zero_base_value_exponent. Both are checked on their own below.
            continue
        if not (abs(out.data) < 1e6 and (out.data == 0 or abs(out.data) > 1e-100)):
            continue
        pool.append(out)
    root = pool[0]
    for v in pool[1:]:
        root = root + v
    return root


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expressions())
def test_random_expressions_agree_with_pytorch(torch, root):
    root.backward()
    report = gradviz.compare_with_torch(root)
    assert report.ok, str(report)
    assert len(report.rows) == len(trace(root))


def test_signed_zero_to_a_fractional_power_agrees(torch):
    for k in (0.5, 1.5, 0.25):
        z = -Value(0.0, label="z")
        out = z ** k
        out.backward()
        assert z.grad == (math.inf if k < 1 else 0.0)
        gradviz.compare_with_torch(out).raise_if_mismatch()


def test_overflow_and_nan_agree_with_pytorch(torch):
    x = Value(1e-300, label="x")
    z = x ** -1 * 2.0 + (Value(1e308, label="big") * 10) + Value(math.nan, label="n").relu() \
        + Value(1000.0, label="e").exp() + Value(math.nan, label="m").log()
    z.backward()
    assert x.grad == -math.inf and math.isnan(z.data)
    gradviz.compare_with_torch(z).raise_if_mismatch()


def test_zero_base_value_exponent(torch):
    a, b = Value(0.0, label="a"), Value(0.0, label="b")
    out = a ** b
    out.backward()
    gradviz.compare_with_torch(out).raise_if_mismatch()


@pytest.mark.parametrize("zero_power", [lambda c: c ** 0, lambda c: c ** Value(0.0)])
def test_nan_through_a_zero_exponent(torch, zero_power):
    c = Value(0.5, label="c")
    out = Value(-2.0, label="base") ** zero_power(c)  # d(out)/d(exponent) = ln(-2): NaN
    out.backward()
    gradviz.compare_with_torch(out).raise_if_mismatch()


# ---- compare_with_torch: the report -------------------------------------------------------------

def test_a_grad_corrupted_by_hand_is_reported_by_label(torch):
    o, v = labelled_neuron()
    o.backward()
    v["w1"].grad += 0.25
    report = gradviz.compare_with_torch(o)
    assert not report.ok and not bool(report)
    assert [(r.label, r.op) for r in report.mismatches] == [("w1", "")]
    (bad,) = report.mismatches
    assert bad.grad == pytest.approx(1.25) and bad.torch_grad == pytest.approx(1.0)
    assert bad.data_ok and not bad.grad_ok
    assert report.max_abs_err == pytest.approx(0.25) and report.max_rel_err == pytest.approx(0.25)
    text = str(report)
    assert "1 of 10 values disagree" in text and "'w1' (leaf): grad: gradviz 1.25, torch 1" in text
    with pytest.raises(TorchMismatchError, match="'w1'") as err:
        report.raise_if_mismatch()
    assert isinstance(err.value, AssertionError)
    html = report._repr_html_()
    assert html.count("<tr") == 1 + len(report.rows)  # small graph: header + every row
    row = next(r for r in html.split("<tr")[1:] if "<td>w1</td>" in r)
    assert "mismatch" in row and "NO" in row
    assert sum("mismatch" in r for r in html.split("<tr")[1:]) == 1


def test_an_unlabelled_node_is_reported_by_id_and_op(torch):
    o, v = labelled_neuron()
    o.backward()
    g = trace(o)
    i = g.labels.index("x1*w1")
    g.values[i].label = ""
    g.values[i].grad = 7.0
    report = gradviz.compare_with_torch(o)
    assert [r.id for r in report.mismatches] == [i]
    assert f"  #{i} (*): grad: gradviz 7" in str(report)


def test_stale_data_is_reported_where_it_differs(torch):
    o, v = labelled_neuron()
    o.backward()
    v["b"].data = 8.0  # the leaf moved, the graph's forward values did not
    report = gradviz.compare_with_torch(o)
    data_bad = {r.label for r in report.mismatches if not r.data_ok}
    assert data_bad == {"n", "o"}


def test_backward_true_zeroes_and_reruns_backward(torch):
    o, v = labelled_neuron()
    o.backward()
    o.backward()  # forgot zero_grad: every grad doubled
    report = gradviz.compare_with_torch(o)
    assert not report.ok and "backward() ran 2 times" in str(report)
    assert gradviz.compare_with_torch(o, backward=True).ok
    assert v["x1"].grad == pytest.approx(-1.5)
    g = trace(o)
    v["x1"].grad = 100.0
    assert gradviz.compare_with_torch(g, backward=True).ok  # a traced Graph reaches its Values
    assert v["x1"].grad == pytest.approx(-1.5)


def test_a_graph_loaded_from_json_is_compared_as_stored(torch):
    o, v = labelled_neuron()
    o.backward()
    v["x2"].grad = 3.0
    g = gradviz.Graph.from_json(trace(o).to_json())
    report = gradviz.compare_with_torch(g)
    assert [r.label for r in report.mismatches] == ["x2"]
    with pytest.raises(ValueError, match="no Values|has none"):
        gradviz.compare_with_torch(g, backward=True)


def test_no_backward_yet_is_a_mismatch_with_a_hint(torch):
    o, _ = labelled_neuron()
    report = gradviz.compare_with_torch(o)
    assert not report.ok and "call backward()" in str(report)


def test_nan_against_nan_agrees_and_nan_against_a_number_does_not(torch):
    a, b = Value(-2.0, label="a"), Value(2.0, label="b")
    out = a ** b  # d/db = 4 * ln(-2): NaN in both frameworks
    out.backward()
    assert math.isnan(b.grad)
    report = gradviz.compare_with_torch(out)
    assert report.ok, str(report)
    assert math.isnan(report.rows[trace(out).labels.index("b")].torch_grad)
    a.grad = math.nan
    report = gradviz.compare_with_torch(out)
    assert [r.label for r in report.mismatches] == ["a"] and report.max_abs_err == math.inf


def test_tolerances_decide_agreement(torch):
    o, v = labelled_neuron()
    o.backward()
    v["x1"].grad = -1.5 * (1 + 1e-7)
    assert not gradviz.compare_with_torch(o).ok
    assert gradviz.compare_with_torch(o, rtol=1e-6).ok
    with pytest.raises(ValueError, match="rtol and atol must be >= 0"):
        gradviz.compare_with_torch(o, rtol=-1)


def test_big_graph_html_shows_the_mismatches_and_a_summary(torch):
    x = Value(0.5, label="x")
    y = x
    for i in range(300):
        y = (y * 0.999).tanh() if i % 2 else y + 0.001
    y.label = "y"
    y.backward()
    x.grad += 1.0
    report = gradviz.compare_with_torch(y)
    html = report._repr_html_()
    assert len(report.rows) > report.HTML_ALL_ROWS
    assert html.count("<tr") == 2  # the header and the one mismatch
    assert "<td>x</td>" in html and f"{len(report.rows)} values" in html
    assert "showing 1 of the 1 mismatch;" in html and ".rows" in html
    x.grad -= 1.0
    html = gradviz.compare_with_torch(y)._repr_html_()
    assert "<tr" not in html and "every value agrees" in html
    y.backward()  # every grad doubles: hundreds of mismatches, listed up to a limit
    report = gradviz.compare_with_torch(y)
    lines = str(report).splitlines()
    assert len(report.mismatches) == len(report.rows) > report.LISTED
    assert sum(line.startswith("  ") for line in lines) == report.LISTED + 1
    assert f"and {len(report.rows) - report.LISTED} more mismatches" in lines[report.LISTED + 1]


def test_compare_argument_errors(torch):
    o, _ = labelled_neuron()
    with pytest.raises(TypeError, match="needs a graph"):
        gradviz.compare_with_torch()
    with pytest.raises(TypeError, match="not both"):
        gradviz.compare_with_torch(o, model=MLP(2, [1]))
    with pytest.raises(TypeError, match="go with model="):
        gradviz.compare_with_torch(o, inputs=[[1.0]])


# ---- compare_with_torch: modules ----------------------------------------------------------------

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_mlp_against_torch_nn_layers(torch):
    random.seed(0)
    model = MLP(3, [4, 4, 1])
    sentinel = [float(i) for i in range(len(model.parameters()))]
    for p, s in zip(model.parameters(), sentinel):
        p.grad = s
    report = gradviz.compare_with_torch(model=model, inputs=XS, targets=YS, loss="sse")
    assert report.ok, str(report)
    assert [p.grad for p in model.parameters()] == sentinel  # the model's grads are untouched

    names = [n for n, _ in model.named_parameters()]
    by_label = {r.label: r for r in report.rows}
    assert set(names) <= set(by_label) and {"out[0]", "out[3]", "loss"} <= set(by_label)
    assert by_label["layers.0.neurons.1.w.2"].torch_name == "linear0.weight[1, 2]"
    assert by_label["layers.2.neurons.0.b"].torch_name == "linear2.bias[0]"

    # independently: the lecture's loss in gradviz, backward, and the report's torch grads
    outs = [model(x) for x in XS]
    loss = mse_loss(outs, YS, reduction="sum")
    model.zero_grad()
    loss.backward()
    assert by_label["loss"].torch_data == pytest.approx(loss.data, rel=1e-12)
    for i, o in enumerate(outs):
        assert by_label[f"out[{i}]"].torch_data == pytest.approx(o.data, rel=1e-12)
        assert by_label[f"out[{i}]"].torch_grad == pytest.approx(o.grad, rel=1e-12)
    for name, p in model.named_parameters():
        assert by_label[name].torch_grad == pytest.approx(p.grad, rel=1e-9, abs=1e-12), name


def test_relu_mlp_with_svm_loss_and_multi_output_layers(torch):
    random.seed(1)
    model = MLP(2, [5, 5, 1], activation="relu", linear_output=True)
    xs, ys = [[0.3, -1.2], [1.5, 0.2], [-0.7, 0.9]], [1.0, -1.0, 1.0]
    for loss in ("svm", "mse", None):
        report = gradviz.compare_with_torch(model=model, inputs=xs, targets=None if loss is None else ys,
                                            loss=loss)
        assert report.ok, f"{loss}: {report}"
    layer = Layer(3, 2, activation="sigmoid")
    report = gradviz.compare_with_torch(model=layer, inputs=XS, targets=[[0.1, 0.9]] * 4)
    assert report.ok and "out[3][1]" in {r.label for r in report.rows}
    neuron = Neuron(3)
    report = gradviz.compare_with_torch(
        model=neuron, inputs=XS, targets=YS,
        loss=lambda outs, ts: sum(((o - t) ** 2 for o, t in zip(outs, ts)), 0.0))
    assert report.ok and {"w.0", "b"} <= {r.label for r in report.rows}


def test_module_compare_errors(torch):
    model = MLP(3, [2, 1])
    with pytest.raises(ValueError, match="samples of 3 numbers"):
        gradviz.compare_with_torch(model=model, inputs=[[1.0, 2.0]], targets=[1.0])
    with pytest.raises(TypeError, match="needs inputs="):
        gradviz.compare_with_torch(model=model, targets=[1.0])
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        gradviz.compare_with_torch(model=model, inputs=XS, targets=YS, loss="l1")
    with pytest.raises(ValueError, match="targets must match"):
        gradviz.compare_with_torch(model=model, inputs=XS, targets=[1.0, 2.0])
    with pytest.raises(TypeError, match="rebuilds Neuron, Layer and MLP"):
        gradviz.compare_with_torch(model=gradviz.Module(), inputs=XS)


# ---- from_torch ---------------------------------------------------------------------------------

def grad_fn_walk(t):
    """Every backward function reachable from t.grad_fn, by an independent breadth-first walk."""
    seen, queue = {t.grad_fn: None}, collections.deque([t.grad_fn])
    while queue:
        fn = queue.popleft()
        for nxt, _ in fn.next_functions:
            if nxt is not None and nxt not in seen:
                seen[nxt] = None
                queue.append(nxt)
    return list(seen)


def check_against_walk(g, t, params):
    fns = grad_fn_walk(t)
    assert len(g) == len(fns)
    assert collections.Counter(m["grad_fn"] for m in g.meta) == \
        collections.Counter(fn.name().rsplit("::", 1)[-1] for fn in fns)
    for i, cs in enumerate(g.children):  # ids are topological, operands in order
        assert all(c < i for c in cs)
    assert g.source == "torch" and g.kinds[-1] == "output" and g.root == len(g) - 1
    # the leaves are the parameters that took part, by name, with their shapes
    leaves = {fn.variable for fn in fns if type(fn).__name__ == "AccumulateGrad"}
    named = {id(p): n for n, p in params.items()}
    leaf_ids = [i for i, m in enumerate(g.meta) if m["grad_fn"] == "AccumulateGrad"]
    assert sorted(g.labels[i] for i in leaf_ids) == sorted(named.get(id(v), "?") for v in leaves)
    for i in leaf_ids:
        p = params[g.labels[i]]
        assert g.meta[i]["shape"] == list(p.shape) and g.ops[i] == "" and g.kinds[i] == "parameter"
        if p.numel() == 1:
            assert g.data[i] == p.item() and g.grad[i] == p.grad.item()
        else:
            assert math.isnan(g.data[i]) and g.meta[i]["grad_norm"] == pytest.approx(p.grad.norm().item())


def test_from_torch_mlp(torch):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    x = torch.randn(5, 3)
    loss = ((model(x) - 1) ** 2).mean()
    loss.backward()
    params = dict(model.named_parameters())
    g = gradviz.from_torch(loss, params=params)
    check_against_walk(g, loss, params)
    assert g.ops[-1] == "mean" and g.meta[-1]["grad_fn"] == "MeanBackward0"
    assert g.data[-1] == loss.item()
    assert collections.Counter(g.ops)["addmm"] == 2 and "tanh" in g.ops
    pow_node = g.ops.index("pow")
    assert g.meta[pow_node]["saved"]["exponent"] == 2 and g.meta[pow_node]["shape"] == [5, 1]
    assert g.scopes[g.labels.index("0.weight")] == "0"


def test_from_torch_big_tensors_are_summarised_on_two_threads_exactly(torch, monkeypatch):
    """Tensors past _Shared.BIG elements are summarised half on a helper thread: every mean and
    norm is torch's own, whichever thread computed it, and a failure there reaches the caller."""
    from gradviz.pytorch import autograd
    torch.manual_seed(2)
    model = torch.nn.Sequential(*[torch.nn.Linear(300, 300) for _ in range(4)], torch.nn.Linear(300, 1))
    loss = model(torch.randn(7, 300)).square().mean()
    loss.backward()
    params = dict(model.named_parameters())
    threads = set()
    real = autograd._mean_norm

    def spy(prefix, t, meta):
        threads.add(threading.current_thread().name)
        real(prefix, t, meta)

    monkeypatch.setattr(autograd, "_mean_norm", spy)
    g = gradviz.from_torch(loss, params=params)
    assert {"MainThread", "gradviz-summaries"} <= threads
    near = functools.partial(pytest.approx, rel=1e-5)  # torch's own sums in another order (threads)
    for name, p in params.items():
        m = g.meta[g.labels.index(name)]
        if p.numel() == 1:
            continue  # a scalar: its number, not a summary
        assert m["data_mean"] == near(p.detach().mean().item()) and m["grad_mean"] == near(p.grad.mean().item())
        assert m["data_norm"] == near(p.detach().norm().item()) and m["grad_norm"] == near(p.grad.norm().item())
    assert torch.get_num_threads() >= 1  # restored after the one-thread section

    def broken(prefix, t, meta):
        if threading.current_thread().name == "gradviz-summaries":
            raise RuntimeError("summary failed on the helper")
        real(prefix, t, meta)

    monkeypatch.setattr(autograd, "_mean_norm", broken)
    with pytest.raises(RuntimeError, match="on the helper"):
        gradviz.from_torch(loss, params=params)


def test_from_torch_reads_saved_scalars_again_after_skipping_saved_tensors(torch):
    """The saved tensors a backward function type holds are skipped after the first graph (reading
    a freed one raises, slowly); its saved numbers are still read in every graph."""
    for k in range(3):
        x = torch.randn(4, requires_grad=True)
        loss = (x ** (k + 2)).sum()
        loss.backward()
        g = gradviz.from_torch(loss)
        assert g.meta[g.ops.index("pow")]["saved"]["exponent"] == k + 2


def test_from_torch_conv_net(torch):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(18, 1))
    out = net(torch.randn(1, 1, 5, 5)).sum()
    out.backward()
    params = dict(net.named_parameters())
    g = gradviz.from_torch(out, params=net)  # an nn.Module names its parameters too
    check_against_walk(g, out, params)
    conv = g.ops.index("convolution")
    assert sorted(g.labels[c] for c in g.children[conv]) == ["0.bias", "0.weight"]


def test_from_torch_view_chain_and_reused_tensor(torch):
    w = torch.nn.Parameter(torch.tensor([0.5, -1.0, 2.0, 0.25], dtype=torch.float64))
    s = torch.nn.Parameter(torch.tensor(1.5, dtype=torch.float64))
    h = w.view(2, 2).t().reshape(4)
    h = h * h * s           # h is used twice, s is a scalar leaf
    out = (h.view(2, 2).sum(0) * s).sum()
    out.backward()
    params = {"w": w, "s": s}
    g = gradviz.from_torch(out, params=params)
    check_against_walk(g, out, params)
    sq = next(i for i, cs in enumerate(g.children) if len(cs) == 2 and cs[0] == cs[1])
    assert g.ops[sq] == "mul"  # h * h: one node, the same operand twice
    assert g.data[g.labels.index("s")] == 1.5 and g.grad[g.labels.index("s")] == s.grad.item()


def test_from_torch_unnamed_leaves_and_a_leaf_root(torch):
    a = torch.tensor(2.0, requires_grad=True)
    m = torch.ones(2, 3, requires_grad=True)
    y = a.exp() * m.sum()
    g = gradviz.from_torch(y)
    assert sorted(g.labels[i] for i in g.leaves()) == ["scalar", "tensor[2, 3]"]
    assert {g.kinds[i] for i in g.leaves()} == {"input"}
    assert g.data[g.labels.index("scalar")] == 2.0 and math.isnan(g.grad[g.labels.index("scalar")])
    assert g.meta[g.labels.index("tensor[2, 3]")]["data_mean"] == 1.0
    leaf = gradviz.from_torch(a, params={"a": a})
    assert len(leaf) == 1 and leaf.labels == ("a",) and leaf.data[0] == 2.0


def test_from_torch_hover_lines_say_what_is_known_of_each_value(torch):
    from gradviz.draw.tensor_text import hover_lines
    a = torch.tensor(2.0, requires_grad=True)
    m = torch.full((2, 3), 3.0, requires_grad=True)
    y = (a * m).sum()
    y.backward()
    g = gradviz.from_torch(y)
    tips = {g.labels[i] or g.ops[i]: hover_lines(g, i) for i in range(len(g))}
    assert "value 2.0" in tips["scalar"] and "grad 18.0" in tips["scalar"]  # scalars as they are
    norm = math.sqrt(6 * 3.0 ** 2)
    assert f"value mean 3, norm {norm:.6g}" in tips["tensor[2, 3]"]  # tensors by mean and norm
    assert f"grad mean 2, norm {math.sqrt(6 * 2.0 ** 2):.6g}" in tips["tensor[2, 3]"]
    # the product's value was not saved and no grad was kept for it: said, not made up
    assert tips["mul"][-2:] == ["value — (autograd did not keep it)",
                                "grad — (no backward reached it while recording)"]


def test_from_torch_walks_a_10000_long_chain_of_views(torch):
    x = torch.zeros(4, requires_grad=True)
    t = x
    for i in range(10_000):
        t = t.view(2, 2) if i % 2 == 0 else t.view(4)
    g = gradviz.from_torch(t.sum(), params={"x": x})
    assert len(g) == 10_002 and g.labels[0] == "x" and g.ops[-1] == "sum"
    assert collections.Counter(g.ops)["view"] == 10_000
    assert g.children[1] == (0,) and g.children[-1] == (10_000,)


def test_from_torch_of_a_mirrored_gradviz_graph(torch):
    o, _ = labelled_neuron()
    root, mirror = gradviz.to_torch(o)
    g = gradviz.from_torch(root, params={k: mirror[k] for k in ("x1", "x2", "w1", "w2", "b")})
    assert sorted(g.ops) == sorted(["", "", "", "", "", "mul", "mul", "add", "add", "tanh"])
    assert g.data[-1] == pytest.approx(0.7071067811865476, rel=1e-12)


def test_from_torch_bad_input(torch):
    with pytest.raises(TypeError, match="takes a torch.Tensor"):
        gradviz.from_torch(Value(1.0))
    t = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(TypeError, match="named_parameters"):
        gradviz.from_torch(t * 2, params=[t])


def test_torch_graphs_export_to_json_networkx_and_svg(torch):
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    loss = model(torch.randn(4, 2)).pow(2).mean()
    loss.backward()
    g = gradviz.from_torch(loss, params=dict(model.named_parameters()))
    back = gradviz.Graph.from_json(g.to_json())
    assert back.source == "torch" and back.labels == g.labels and back.ops == g.ops
    assert back.children == g.children and [dict(m) for m in back.meta] == [dict(m) for m in g.meta]
    assert all((a == b) or (math.isnan(a) and math.isnan(b)) for a, b in zip(back.grad, g.grad))
    if os.environ.get("CI", "").lower() != "true":
        pytest.importorskip("networkx", reason='to_networkx needs pip install "gradviz-explorer[export]"')
    G = gradviz.to_networkx(g)
    assert G.number_of_nodes() == len(g) and G.nodes[len(g) - 1]["op"] == "mean"
    assert {G.nodes[i]["label"] for i in g.leaves()} == {"0.weight", "0.bias", "2.weight", "2.bias"}
    svg = gradviz.to_svg(g)
    assert svg.lstrip().startswith("<") and "addmm" in svg and "0.weight" in svg


def test_torch_graphs_open_read_only_in_the_widget(torch):
    a = torch.tensor(1.5, requires_grad=True)
    g = gradviz.from_torch((a * a).tanh(), params={"a": a})
    w = gradviz.GraphWidget(g)
    with pytest.raises(RuntimeError, match="read-only"):
        w.nudge("a", 0.1)


# ---- without torch ------------------------------------------------------------------------------

def test_every_bridge_function_names_the_install_command_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    o, _ = labelled_neuron()
    for call in (lambda: gradviz.to_torch(o), lambda: gradviz.compare_with_torch(o),
                 lambda: gradviz.from_torch(o)):
        with pytest.raises(ImportError) as err:
            call()
        assert INSTALL in str(err.value) and "torch>=2.2" in str(err.value)


def test_importing_gradviz_does_not_import_torch():
    code = textwrap.dedent("""
        import sys
        import gradviz
        from gradviz import to_torch, compare_with_torch, from_torch
        assert "torch" not in sys.modules, "importing gradviz imported torch"
        sys.modules["torch"] = None  # as if torch were not installed
        try:
            to_torch(gradviz.Value(1.0))
        except ImportError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": ROOT}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 'pip install "gradviz-explorer[torch]"' in out.stdout
