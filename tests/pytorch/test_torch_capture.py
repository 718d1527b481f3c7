"""capture_torch: every model records values, shapes, module scopes and gradients that equal
PyTorch's own tensors, computed here independently (a second copy of the model, plain forward
hooks and retain_grad()); the user's .grad are exactly what a run without the capture gives; the
gradient-flow view shows a bad initialisation; the picture reads op | shape | value | grad.

Tests that need torch take the session ``torch`` fixture (conftest.py), which makes float64 the
default dtype: models built here are float64 unless a test says otherwise.
"""
import copy
import math
import re
import sys

import numpy as np
import pytest

import gradviz
from gradviz.draw.tensor_text import hover_lines, record_cells


def _models():
    from torch import nn

    import torch_models as tm
    return tm, nn


def stats_of(t):
    """Mean, std, min, max, norm of a tensor, as the test computes them (plain torch calls)."""
    t = t.detach()
    return {"mean": t.mean().item(), "std": t.std().item() if t.numel() > 1 else None,
            "min": t.min().item(), "max": t.max().item(), "norm": t.norm().item()}


def assert_stats(s, t, what):
    assert s is not None, f"{what}: nothing recorded"
    ref = stats_of(t)
    assert s["numel"] == t.numel(), what
    # float32 sums depend on the order (threads); float64 ones agree far beyond it
    rel, scale = (1e-9, 1e-12) if t.element_size() == 8 else (1e-5, 1e-6)
    atol = scale * max(1.0, t.detach().abs().max().item())
    for k, v in ref.items():
        if v is None:
            continue
        assert s[k] == pytest.approx(v, rel=rel, abs=atol), f"{what}: {k} {s[k]} != torch's {v}"
    if t.numel() <= 6:
        assert s["values"] == pytest.approx(t.detach().reshape(-1).tolist(), rel=1e-12, abs=0), what


def leaf_modules(model):
    return {n: m for n, m in model.named_modules() if n and not list(m.children())}


def reference_run(model, inputs, loss_fn):
    """Run a copy of ``model`` with plain forward hooks: each leaf module's output (kept with
    retain_grad), and the copy's parameter grads; independent of gradviz."""
    ref = copy.deepcopy(model)
    outs = {}

    def hook(name):
        def h(mod, args, out):
            t = out[0] if isinstance(out, tuple) else out
            same = any(isinstance(a, type(t)) and (a is t or a.grad_fn is t.grad_fn) for a in args)
            if name not in outs and t.requires_grad and not same:  # not an identity (dropout 0)
                t.retain_grad()
                outs[name] = t
        return h

    handles = [m.register_forward_hook(hook(n)) for n, m in leaf_modules(ref).items()]
    loss = loss_fn(ref(*inputs))
    loss.backward()
    for h in handles:
        h.remove()
    return ref, outs, loss


def capture_run(model, inputs, loss_fn):
    with gradviz.capture_torch(model) as cap:
        loss = loss_fn(model(*inputs))
        loss.backward()
    return cap, cap.graph(), loss


def module_output_node(g, scope, shape):
    """The last op recorded in ``scope`` whose output has ``shape``: the module's output."""
    hits = [i for i in range(len(g)) if g.scopes[i] == scope and "function" in g.meta[i]
            and g.meta[i]["shape"] == list(shape)]
    assert hits, f"no recorded op of shape {list(shape)} in scope {scope!r}"
    return hits[-1]


def check_model(torch, model, inputs, loss_fn, root):
    """The whole contract on one model; returns the graph for model-specific checks."""
    ref, outs, ref_loss = reference_run(model, inputs, loss_fn)
    cap, g, loss = capture_run(model, inputs, loss_fn)
    assert g.source == "torch" and g.kinds[-1] == "output"
    # the loss: value and grad 1 as scalars
    assert g.data[-1] == pytest.approx(loss.item(), rel=1e-12) and g.grad[-1] == 1.0
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-12)

    # the user's .grad: exactly those of a run without the capture; nothing else retained
    for (name, p), (_, q) in zip(model.named_parameters(), ref.named_parameters()):
        assert p.grad is not None and torch.equal(p.grad, q.grad), name
    assert not loss.retains_grad

    # parameters: dotted name as label, module scope, value and gradient equal to torch's
    params = dict(model.named_parameters())
    seen = set()
    for i in range(len(g)):
        if g.kinds[i] != "parameter":
            continue
        name = g.labels[i]
        p = params[name]
        seen.add(name)
        module = name.rsplit(".", 1)[0] if "." in name else ""
        assert g.scopes[i] == root + ("/" + module.replace(".", "/") if module else ""), name
        assert g.meta[i]["shape"] == list(p.shape) and g.meta[i]["name"] == name
        assert_stats(g.meta[i]["value"], p, f"{name} value")
        assert_stats(g.meta[i]["grad"], p.grad, f"{name} grad")
    assert seen == {n for n, p in params.items() if p.grad is not None}

    # every leaf module that ran: its output recorded in its scope, value and grad equal torch's
    checked = 0
    for name, t in outs.items():
        scope = root + "/" + name.replace(".", "/")
        i = module_output_node(g, scope, t.shape)
        assert_stats(g.meta[i]["value"], t, f"{name} output")
        assert t.grad is not None, name
        assert_stats(g.meta[i]["grad"], t.grad, f"{name} output grad")
        assert g.meta[i]["module"] == name
        checked += 1
    assert checked == len(outs) and checked

    # every node has a shape and a gradient (backward reached all of them); nodes made inside a
    # call sit in the scope of the op that uses them
    for i in range(len(g)):
        assert "shape" in g.meta[i], (i, g.ops[i])
        assert "grad" in g.meta[i] and "norm" in g.meta[i]["grad"], (i, g.ops[i], g.labels[i])
    return cap, g


def mse(out):
    return (out ** 2).mean()


# ---- every model --------------------------------------------------------------------------------

def test_mlp(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.mlp((4, 16, 16, 1))
    x = torch.randn(8, 4)
    cap, g = check_model(torch, m, (x,), mse, "Sequential#1")
    # one op per autograd node, as from_torch walks them
    assert len(g) == len(gradviz.from_torch(mse(m(x)), params=m))
    assert [g.labels[i] for i in range(len(g)) if "function" in g.meta[i]] == \
        ["linear", "tanh", "linear", "tanh", "linear", "pow", "mean"]


def test_cnn_with_batchnorm(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.SmallCNN()
    x = torch.randn(4, 1, 28, 28)
    y = torch.tensor([1, 2, 3, 4])
    cap, g = check_model(torch, m, (x,), lambda out: nn.functional.cross_entropy(out, y), "SmallCNN#1")
    conv = [i for i in range(len(g)) if g.labels[i] == "conv2d"]
    assert [g.scopes[i] for i in conv] == ["SmallCNN#1/features/0", "SmallCNN#1/features/4"]
    assert g.meta[conv[0]]["shape"] == [4, 8, 28, 28] and g.ops[conv[0]] == "convolution"
    flat = g.labels.index("flatten")
    assert g.scopes[flat] == "SmallCNN#1"  # an op of the model's own forward
    assert g.scopes[-1] == ""              # the loss is outside the model


def test_transformer_encoder_layer(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
    x = torch.randn(2, 5, 8)
    cap, g = check_model(torch, m, (x,), mse, "TransformerEncoderLayer#1")
    # attention runs inside one torch call: its inner nodes are drawn, scoped to self_attn,
    # with shapes and gradients
    inner = [i for i in range(len(g)) if g.scopes[i] == "TransformerEncoderLayer#1/self_attn"
             and "function" not in g.meta[i] and g.kinds[i] == "intermediate"]
    assert len(inner) >= 5
    assert all("grad" in g.meta[i] and "shape" in g.meta[i] for i in inner)


@pytest.mark.parametrize("cell", ["RNN", "LSTM", "GRU"])
def test_recurrent(torch, cell):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.SeqModel(cell)
    x = torch.randn(2, 4, 3)
    cap, g = check_model(torch, m, (x,), mse, "SeqModel#1")
    fn = {"RNN": "rnn_tanh", "LSTM": "lstm", "GRU": "gru"}[cell]
    rnn = [i for i in range(len(g)) if g.labels[i] == fn]
    assert rnn and all(g.scopes[i] == "SeqModel#1/rnn" for i in rnn)
    # the per-step gates are autograd nodes made inside the one call; they are all there
    assert sum(1 for s in g.scopes if s == "SeqModel#1/rnn") > 4 * 4


def test_resnet18(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.ResNet18(classes=10).float()  # float32, as trained (and several times faster here)
    x = torch.randn(2, 3, 32, 32, dtype=torch.float32)
    cap, g = check_model(torch, m, (x,), mse, "ResNet18#1")
    assert g.meta[-1]["dtype"] == "float32"
    assert sum(1 for k in g.kinds if k == "parameter") == len(list(m.parameters())) == 62
    adds = [i for i in range(len(g)) if g.labels[i] == "add"]
    assert len(adds) == 8 and g.scopes[adds[0]] == "ResNet18#1/layer1/0"
    # folding by module: the widget's view of it has a box per module, not per op
    from gradviz.draw.layout import group_view
    v = group_view(g, ["ResNet18#1/layer1", "ResNet18#1/layer2", "ResNet18#1/layer3", "ResNet18#1/layer4"])
    assert len(v) < len(g) / 3
    assert {k for k in v.keys if k} == {f"ResNet18#1/layer{i}" for i in range(1, 5)}


# ---- details -----------------------------------------------------------------------------------

def test_grads_untouched_and_nothing_retained(torch):
    """A capture with grads already accumulated (no zero_grad): .grad adds up exactly as without."""
    tm, nn = _models()
    torch.manual_seed(0)
    a = tm.mlp((3, 5, 1))
    b = copy.deepcopy(a)
    x = torch.randn(4, 3, requires_grad=True)
    xb = x.detach().clone().requires_grad_()
    for _ in range(2):
        mse(b(xb)).backward()
    mse(a(x)).backward()
    with gradviz.capture_torch(a) as cap:
        h = a[0](x)
        loss = mse(a[2](a[1](h)))
        loss.backward()
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p.grad, q.grad)
    assert torch.equal(x.grad, xb.grad)
    assert not h.retains_grad and h._base is None
    g = cap.graph()
    # the recorded gradient is this backward's, not the accumulated .grad
    w = g.labels.index("0.weight")
    assert g.meta[w]["grad"]["norm"] == pytest.approx((a[0].weight.grad / 2).norm().item(), rel=1e-9)
    # the input that requires grad is a leaf of kind input, outside every module
    xi = [i for i in range(len(g)) if g.kinds[i] == "input"]
    assert len(xi) == 1 and g.scopes[xi[0]] == "" and g.meta[xi[0]]["shape"] == [4, 3]
    # hooks are gone after the block: a later backward records nothing and changes nothing
    n = len(cap._grads)
    mse(a(x)).backward()
    assert len(cap._grads) == n


def test_scalars_and_few_elements_keep_their_values(torch):
    w = torch.tensor([2.0, -3.0], requires_grad=True)
    with gradviz.capture_torch() as cap:
        y = (w * w).sum()
        y.backward()
    g = cap.graph()
    mul = g.labels.index("mul")
    assert g.meta[mul]["value"]["values"] == [4.0, 9.0]
    assert g.meta[mul]["grad"]["values"] == [1.0, 1.0]
    assert g.data[-1] == 13.0 and g.grad[-1] == 1.0
    leaf = g.kinds.index("input")
    assert g.meta[leaf]["grad"]["values"] == [4.0, -6.0] == w.grad.tolist()
    assert record_cells(g, mul) == ["2", "[4, 9]", "∇ [1, 1]"]
    assert record_cells(g, len(g) - 1) == ["scalar", "13", "∇ 1"]


def test_inplace_ops_and_repeated_module_calls(torch):
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)
            self.act = nn.ReLU(inplace=True)

        def forward(self, x):
            return self.act(self.lin(self.act(self.lin(x))))  # each module twice

    torch.manual_seed(0)
    m = Net()
    x = torch.randn(4, 3)
    with gradviz.capture_torch(m) as cap:
        out = m(x)
        out.sum().backward()
    g = cap.graph()
    lin = [i for i in range(len(g)) if g.labels[i] == "linear"]
    relu = [i for i in range(len(g)) if g.labels[i] == "relu"]  # F.relu(inplace=True)
    assert [g.scopes[i] for i in lin] == ["Net#1/lin", "Net#1/lin#2"]
    assert [g.scopes[i] for i in relu] == ["Net#1/act", "Net#1/act#2"]
    # the linear's value is recorded before the in-place relu changed the tensor
    h = m.lin(x)
    assert_stats(g.meta[lin[0]]["value"], h, "first linear")
    assert_stats(g.meta[relu[0]]["value"], torch.relu(h), "first relu")
    assert g.labels.count("lin.weight") == 1


def test_errors(torch):
    with pytest.raises(TypeError, match="nn.Module"):
        gradviz.capture_torch("model")
    with pytest.raises(ValueError, match="few"):
        gradviz.capture_torch(few=-1)
    with gradviz.capture_torch() as cap:
        pass
    with pytest.raises(ValueError, match="nothing was recorded"):
        cap.graph()
    with pytest.raises(ValueError, match="no grad_fn"):
        cap.graph(root=torch.zeros(2))
    with pytest.raises(ValueError, match="needs the model"):
        cap.gradient_flow()


def test_graph_below_a_chosen_root_and_json_round_trip(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.mlp((2, 3, 1))
    x = torch.randn(5, 2)
    with gradviz.capture_torch(m) as cap:
        h = m[1](m[0](x))
        loss = mse(m[2](h))
        loss.backward()
    sub = cap.graph(root=h)
    assert sub.labels[-1] == "tanh" and len(sub) < len(cap.graph())
    g = cap.graph()
    back = gradviz.Graph.from_json(g.to_json())
    assert back.scopes == g.scopes and back.meta[3] == g.meta[3]
    assert record_cells(back, 3) == record_cells(g, 3)


# ---- the picture ----------------------------------------------------------------------------------

def test_records_read_op_shape_value_grad(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.SmallCNN()
    x = torch.randn(2, 1, 28, 28)
    with gradviz.capture_torch(m) as cap:
        nn.functional.cross_entropy(m(x), torch.tensor([3, 7])).backward()
    g = cap.graph()
    conv = g.labels.index("conv2d")
    from gradviz.draw.layout import box_fields, group_view
    v = group_view(g, None)
    fields = box_fields(v, conv)
    mean, std, norm = (g.meta[conv]["value"][k] for k in ("mean", "std", "norm"))
    gnorm = g.meta[conv]["grad"]["norm"]
    assert fields == ["conv2d", "2×8×28×28", f"μ{mean:.3g} σ{std:.3g}", f"‖∇‖ {gnorm:.3g}"]
    w = g.labels.index("features.0.weight")
    assert box_fields(v, w)[:2] == ["features.0.weight", "8×1×3×3"]
    tips = hover_lines(g, conv)
    for k in ("mean", "std", "min", "max", "norm"):
        assert any(f"{k} {g.meta[conv]['value'][k]:.6g}" in t for t in tips if t.startswith("value"))
        assert any(f"{k} {g.meta[conv]['grad'][k]:.6g}" in t for t in tips if t.startswith("grad"))
    assert "module features.0 (Conv2d)" in tips  # the module and its class
    svg = gradviz.to_svg(g)
    assert ">2×8×28×28<" in svg and f">μ{mean:.3g} σ{std:.3g}<" in svg and ">features.0.weight<" in svg
    assert not re.search(r">[^<]*\bnan\b[^<]*<", svg)
    # the widget gets the same texts
    w_ = gradviz.GraphWidget(g)
    assert w_._structure["cells"][conv] == fields[1:] and w_._structure["tips"][conv] == tips


def test_from_torch_graphs_show_a_dash_not_nan(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.mlp((4, 8, 1))
    loss = mse(m(torch.randn(3, 4)))
    g = gradviz.from_torch(loss, params=m)
    svg = gradviz.to_svg(g)
    assert not re.search(r">[^<]*\bnan\b[^<]*<", svg) and "—" in svg
    cells = [record_cells(g, i) for i in range(len(g))]
    assert not any("nan" in c for cs in cells for c in cs)
    assert cells[-1][:2] == ["scalar", f"{loss.item():.4g}"]
    w = gradviz.GraphWidget(g)
    assert not any("nan" in c for cs in w._structure["cells"] for c in cs)
    pytest.importorskip("graphviz")
    assert "nan" not in gradviz.draw_dot(g).source


def test_user_strings_are_escaped(torch):
    from torch import nn
    m = nn.Module()
    m.add_module("a<b>&", nn.Linear(2, 1))  # module names are user strings
    with gradviz.capture_torch(m) as cap:
        out = m.get_submodule("a<b>&")(torch.randn(3, 2)).sum()
        out.backward()
    g = cap.graph()
    svg = gradviz.to_svg(g)
    assert "a<b>&" not in svg and "a&lt;b&gt;&amp;.weight" in svg
    f = cap.gradient_flow()
    assert "a<b>&" not in f._repr_html_() and "a&lt;b&gt;&amp;" in f._repr_html_()


# ---- gradient flow ------------------------------------------------------------------------------

def _flow(torch, gain):
    tm, nn = _models()
    m = tm.deep_tanh_mlp(depth=10, width=64, gain=gain)
    torch.manual_seed(1)
    x, y = torch.randn(64, 64), torch.randn(64, 1)
    with gradviz.capture_torch(m) as cap:
        ((m(x) - y) ** 2).mean().backward()
    return m, cap.gradient_flow()


def test_gradient_flow_shows_vanishing_gradients_layer_by_layer(torch):
    m, f = _flow(torch, gain=0.5)
    hidden = f.layers[:-1]  # the ten Linear+tanh layers; the last row is the output layer
    assert [l.layer for l in hidden] == [str(2 * k) for k in range(10)]
    outs = [l.out_grad_norm for l in hidden]
    assert all(a < b for a, b in zip(outs, outs[1:])), outs          # decays toward the input
    assert all(0.3 < a / b < 0.7 for a, b in zip(outs, outs[1:])), outs  # about halves per layer
    assert outs[-1] / outs[0] > 300
    assert "vanish toward the input" in f.summary()
    # the table shows the decay: its ‖∇out‖ cells, in layer order, are the numbers above
    html = f._repr_html_()
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("per parameter")[0])[1:]
    shown = [float(re.findall(r">([^<]*)</td>", r)[2]) for r in rows]  # the ‖∇out‖ column
    assert shown[:-1] == [float(f"{v:.3g}") for v in outs]
    # its numbers are torch's: the weight gradients equal .grad
    for p in f.params:
        ref = dict(m.named_parameters())[p.name]
        assert p.grad_norm == pytest.approx(ref.grad.norm().item(), rel=1e-9)
        assert p.weight_norm == pytest.approx(ref.norm().item(), rel=1e-9)
        assert p.ratio == (pytest.approx(p.grad_norm / p.weight_norm) if p.weight_norm else math.inf)
    plain = gradviz.gradient_flow(m)  # from .grad alone: the same weight gradients
    assert [p.grad_norm for p in plain.params] == pytest.approx([p.grad_norm for p in f.params], rel=1e-9)
    assert math.isnan(plain.layers[0].out_grad_norm) and not plain.uses_outputs


def test_gradient_flow_of_a_healthy_init(torch):
    m, f = _flow(torch, gain=5 / 3)
    outs = [l.out_grad_norm for l in f.layers[:-1]]
    assert max(outs) / min(outs) < 3
    assert "no vanishing or exploding gradient" in f.summary()


def test_gradient_flow_plot(torch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    m, f = _flow(torch, gain=0.5)
    ax = f.plot()
    assert ax.get_yscale() == "log" and len(ax.get_xticklabels()) == len(f.layers)
    line = ax.get_lines()[0]
    assert np.allclose(line.get_ydata(), [l.out_grad_norm for l in f.layers])
    import matplotlib.pyplot as plt
    plt.close(ax.figure)


def test_works_without_torch_import_at_gradviz_import():
    import subprocess
    code = ("import sys, gradviz; gradviz.capture_torch; gradviz.gradient_flow; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_torch_the_error_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    for call in (lambda: gradviz.capture_torch(), lambda: gradviz.gradient_flow(object())):
        with pytest.raises(ImportError, match=r'pip install "gradviz-explorer\[torch\]"'):
            call()


def test_module_groups_fold_by_depth(torch):
    tm, nn = _models()
    torch.manual_seed(0)
    m = tm.SmallCNN()
    with gradviz.capture_torch(m) as cap:
        mse(m(torch.randn(2, 1, 28, 28))).backward()
    g = cap.graph()
    assert gradviz.module_groups(g, 0) == ["SmallCNN#1"]
    assert gradviz.module_groups(g, 1) == ["SmallCNN#1/classifier", "SmallCNN#1/features"]
    assert "SmallCNN#1/features/0" in gradviz.module_groups(g, 2)
    from gradviz.draw.layout import group_view
    v = group_view(g, gradviz.module_groups(g, 1))
    # the two module boxes plus what is outside the model (the input-free loss ops) and flatten
    assert {k for k in v.keys if k} == {"SmallCNN#1/classifier", "SmallCNN#1/features"}
    assert len(v) == 2 + sum(1 for s in g.scopes if s in ("", "SmallCNN#1"))
    with pytest.raises(ValueError, match="depth"):
        gradviz.module_groups(g, -1)


def test_labels_name_the_torch_function_properties_and_dunders_included(torch):
    w = torch.randn(3, 2, requires_grad=True)
    with gradviz.capture_torch() as cap:
        y = (w.T @ w)[0].sum()
        y.backward()
    g = cap.graph()
    assert g.labels == ("input", "T", "matmul", "getitem", "sum")
    assert g.ops == ("", "permute", "mm", "select", "sum")
    assert_stats(g.meta[2]["value"], w.T @ w, "matmul")
    assert_stats(g.meta[0]["grad"], w.grad, "w's gradient")


def test_deep_chains_walk_iteratively(torch):
    """3,000 ops in a chain, deeper than Python's default recursion limit (1,000)."""
    x = torch.tensor([0.5, -0.5], requires_grad=True)
    with gradviz.capture_torch() as cap:
        y = x
        for _ in range(3000):
            y = y * 1.0
        y.sum().backward()
    g = cap.graph()
    assert len(g) == 3002 and g.kinds[0] == "input"
    assert all(g.meta[i]["grad"]["values"] == [1.0, 1.0] for i in range(len(g) - 1))
    assert x.grad.tolist() == [1.0, 1.0]
