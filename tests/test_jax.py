"""capture_jax and compare_with_jax: every variable's value and gradient against JAX's own
(``jax.grad`` of the same function, and of the function cut at an intermediate), the jaxpr's calls
as scopes, the user's x64 setting untouched, and life without jax."""
import builtins
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import gradviz
from gradviz.draw.tensor_text import hover_lines, record_cells
from pytorch.test_torch_bridge import expressions
from testenv import labelled_neuron, lecture_L, need


@pytest.fixture(scope="module")
def jax():
    return need("jax", "capture_jax and compare_with_jax")


def _leaf(g, label):
    return g.labels.index(label)


def assert_summary(s, a, what, rel=1e-5):
    """A recorded summary against the array it summarises (float32: relative 1e-5)."""
    a = np.asarray(a, dtype=np.float64)
    assert s["numel"] == a.size, what
    for k, v in (("mean", a.mean()), ("min", a.min()), ("max", a.max()), ("norm", np.linalg.norm(a))):
        assert s[k] == pytest.approx(v, rel=rel, abs=1e-6), f"{what}: {k}"
    if a.size > 1:
        assert s["std"] == pytest.approx(a.std(ddof=1), rel=rel, abs=1e-6), what
    if a.size <= 6:
        assert s["values"] == pytest.approx(a.reshape(-1).tolist(), rel=rel, abs=1e-6), what


def _only(g, op, scope_part=""):
    hits = [i for i, o in enumerate(g.ops) if o == op and scope_part in g.scopes[i]]
    assert len(hits) == 1, (op, hits)
    return hits[0]


def test_tanh_mlp(jax):
    jnp = jax.numpy
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(0), 3)
    params = {"w1": jax.random.normal(k1, (3, 4)), "b1": jnp.zeros(4), "w2": jax.random.normal(k2, (4, 1)),
              "b2": jnp.ones(1) * 0.1}
    x = jax.random.normal(k3, (5, 3))
    y = jnp.arange(5.0).reshape(5, 1) / 5

    @jax.jit
    def hidden(p, x):
        return jnp.tanh(x @ p["w1"] + p["b1"])

    def loss(p, x, y):
        return jnp.mean((hidden(p, x) @ p["w2"] + p["b2"] - y) ** 2)

    g = gradviz.capture_jax(loss, params, x, y)
    assert g.source == "jax" and g.kinds[-1] == "output"
    assert g.data[-1] == pytest.approx(float(loss(params, x, y)), rel=1e-6)
    grads = jax.grad(loss)(params, x, y)
    for name in params:
        i = _leaf(g, f"p['{name}']")
        assert g.kinds[i] == "input" and g.meta[i]["shape"] == list(params[name].shape)
        assert_summary(g.meta[i]["value"], params[name], name)
        assert_summary(g.meta[i]["grad"], grads[name], f"grad of {name}")
    # the jitted layer is a scope; its tanh is the hidden activation, with d(loss)/d(h)
    t = _only(g, "tanh")
    assert g.scopes[t] == "loss#1/hidden#1"
    h = hidden(params, x)
    assert_summary(g.meta[t]["value"], h, "h")
    dh = jax.grad(lambda h: jnp.mean((h @ params["w2"] + params["b2"] - y) ** 2))(h)
    assert_summary(g.meta[t]["grad"], dh, "grad of h")
    assert record_cells(g, t) == ["5×4", record_cells(g, t)[1], record_cells(g, t)[2]]
    assert any(line.startswith("jax tanh") for line in hover_lines(g, t))
    assert any("test_jax.py" in line for line in hover_lines(g, t))
    w = gradviz.GraphWidget(g)
    assert w.readonly and "JAX" in w._structure["readonly"]
    back = gradviz.Graph.from_json(g.to_json())
    assert back.source == "jax" and back.scopes == g.scopes


def test_softmax_cross_entropy(jax):
    jnp = jax.numpy
    logits = jnp.array([[2.0, -1.0, 0.5], [0.1, 0.2, 3.0]])
    labels = jnp.array([0, 2])

    def xent(logits, labels):
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

    g = gradviz.capture_jax(xent, logits, labels)
    i = _leaf(g, "logits")
    assert_summary(g.meta[i]["grad"], jax.grad(xent)(logits, labels), "grad of logits")
    lab = _leaf(g, "labels")
    assert "grad" not in g.meta[lab] and g.meta[lab]["dtype"].startswith("int")
    assert g.data[-1] == pytest.approx(float(xent(logits, labels)), rel=1e-6)


def test_scan_iterations_are_scopes(jax):
    jnp = jax.numpy
    W = jnp.array([[0.5, -0.3], [0.2, 0.8]])
    xs = jnp.array([[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]])

    def rnn(W, xs):
        def step(h, x):
            h = jnp.tanh(W @ h + x)
            return h, h.sum()
        h, ys = jax.lax.scan(step, jnp.zeros(2), xs)
        return h.sum() + (ys ** 2).sum()

    g = gradviz.capture_jax(rnn, W, xs)
    assert {"rnn#1/scan#1/0", "rnn#1/scan#1/1", "rnn#1/scan#1/2"} <= set(g.scopes)
    gW, gxs = jax.grad(rnn, argnums=(0, 1))(W, xs)
    assert_summary(g.meta[_leaf(g, "W")]["grad"], gW, "grad of W")
    assert_summary(g.meta[_leaf(g, "xs")]["grad"], gxs, "grad of xs")
    # the hidden state after step t: its value and d(out)/d(h_t), against a plain loop
    hs, h = [], jnp.zeros(2)
    for x in xs:
        h = jnp.tanh(W @ h + x)
        hs.append(h)

    def rest(h1):  # the output as a function of the state after step 1
        h2 = jnp.tanh(W @ h1 + xs[2])
        return h2.sum() + hs[0].sum() ** 2 + h1.sum() ** 2 + h2.sum() ** 2

    t1 = _only(g, "tanh", "scan#1/1")
    assert_summary(g.meta[t1]["value"], hs[1], "h1")
    assert_summary(g.meta[t1]["grad"], jax.grad(rest)(hs[1]), "grad of h1")
    stack = _only(g, "stack")
    assert g.meta[stack]["shape"] == [3]
    # literals (the 0.0 the initial carry is broadcast from) are constant leaves, as in x * 2.0:
    # every op node has operands, and the widget lays the graph out unfolded
    assert all(g.children[i] for i in range(len(g)) if g.ops[i])
    assert "0.0" in [g.labels[i] for i in range(len(g)) if g.kinds[i] == "constant"]
    gradviz.GraphWidget(g, collapsed=None)


def test_custom_jvp_rule_makes_the_gradient(jax):
    jnp = jax.numpy

    @jax.custom_jvp
    def clip_ste(x):  # forward clips; the custom rule passes the gradient straight through, doubled
        return jnp.clip(x, -1.0, 1.0)

    clip_ste.defjvp(lambda p, t: (clip_ste(p[0]), 2.0 * t[0]))

    def f(x):
        return jnp.sum(clip_ste(x) * jnp.array([1.0, 2.0, 3.0]))

    x = jnp.array([0.5, 3.0, -2.0])
    g = gradviz.capture_jax(f, x)
    want = jax.grad(f)(x)
    assert np.allclose(want, [2.0, 4.0, 6.0])  # the rule, not clip's derivative (1, 0, 0)
    assert_summary(g.meta[_leaf(g, "x")]["grad"], want, "grad of x")
    call = g.labels.index("clip_ste")
    assert g.ops[call] == "custom_jvp_call" and g.scopes[call] == "f#1/clip_ste#1"
    inner = [i for i in range(len(g)) if g.scopes[i].startswith("f#1/clip_ste#1") and i != call
             and g.kinds[i] != "constant"]  # the clip's bounds are constants
    assert inner and all("grad" not in g.meta[i] and "grad_note" in g.meta[i] for i in inner)
    assert_summary(g.meta[call]["value"], [0.5, 1.0, -1.0], "clip")


def test_bad_input(jax):
    jnp = jax.numpy
    with pytest.raises(ValueError, match=r"one floating-point scalar.*float32\[3\].*\.sum\(\)"):
        gradviz.capture_jax(lambda x: x * 2, jnp.ones(3))
    with pytest.raises(ValueError, match="at least one floating-point input"):
        gradviz.capture_jax(lambda n: jnp.sum(n) * 1.0, jnp.arange(3))
    with pytest.raises(ValueError, match="does not depend on its inputs"):
        gradviz.capture_jax(lambda x: jnp.float32(2.0), jnp.ones(3))
    with pytest.raises(TypeError, match="takes a function first"):
        gradviz.capture_jax(jnp.ones(3))


def test_compare_with_jax_on_the_lecture(jax):
    L, v = lecture_L()
    L.backward()
    report = gradviz.compare_with_jax(L)
    assert report.ok and len(report) == 7 and report.framework == "JAX"
    assert "agree with JAX" in str(report)
    assert [r.torch_grad for r in report.rows if r.label == "a"] == [6.0]  # dL/da = -3 * -2
    o, nv = labelled_neuron()
    o.backward()
    r = gradviz.compare_with_jax(o)
    assert r.ok, str(r)
    assert round(o.data, 4) == 0.7071 and round(nv["x1"].grad, 4) == -1.5
    nv["w1"].grad += 0.25
    bad = gradviz.compare_with_jax(o)
    assert [m.label for m in bad.mismatches] == ["w1"]
    assert "grad: gradviz 1.25, jax 1" in str(bad) and "jax grad" in bad._repr_html_()
    assert not jax.config.jax_enable_x64  # the user's setting is untouched


def test_compare_with_jax_backward_and_mlp(jax):
    model = gradviz.MLP(3, [4, 4, 1])
    out = model([2.0, 3.0, -1.0])
    report = gradviz.compare_with_jax(out, backward=True)
    assert report.ok, str(report)
    assert report.max_abs_err < 1e-12


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expressions())
def test_random_expressions_agree_with_jax(jax, root):
    root.backward()
    report = gradviz.compare_with_jax(root)
    assert report.ok, str(report)


def test_without_jax_the_functions_say_how_to_install(monkeypatch):
    real = builtins.__import__

    def no_jax(name, *args, **kwargs):
        if name == "jax" or name.startswith("jax."):
            raise ImportError("No module named 'jax'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jax)
    L, _ = lecture_L()
    L.backward()
    for call in (lambda: gradviz.capture_jax(math.sin, 1.0), lambda: gradviz.compare_with_jax(L)):
        with pytest.raises(ImportError, match=r'pip install "gradviz-explorer\[jax\]"'):
            call()
