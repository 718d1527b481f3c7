"""from_torch on torch.export's ExportedProgram and fx.GraphModule: module scopes, shapes, values and
gradients equal PyTorch's own tensors (a second copy of the model run with plain forward hooks and
retain_grad(), as the capture tests do), lifted parameters and buffers keep their names, the
user's model and program are left untouched, and bad input gets a clear error."""
import copy

import pytest
from test_torch_capture import assert_stats, reference_run

import gradviz
from gradviz.draw.tensor_text import hover_lines, record_cells


def _tm():
    import torch_models as tm
    return tm


def _by_label(g):
    return {label: i for i, label in enumerate(g.labels)}


def _module_outputs(g):
    """module path -> the id of the last node made inside it (its output)."""
    out = {}
    for i, m in enumerate(g.meta):
        if g.kinds[i] == "intermediate" and m.get("module"):
            out[m["module"]] = i
    return out


def check_against_reference(torch, model, x, loss_fn, min_modules):
    """Export ``model``, read it with from_torch, and compare every module output and parameter
    with an independent run of a copy of the model."""
    before = copy.deepcopy(model.state_dict())
    ep = torch.export.export(model, (x,))
    g = gradviz.from_torch(ep, loss=loss_fn)
    ref, outs, loss = reference_run(model, (x,), loss_fn)
    # the model and its exported program are untouched: no grads, same buffers
    assert all(p.grad is None for p in model.parameters())
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    assert g.labels[-1] == "loss" and g.kinds[-1] == "output"
    assert g.data[-1] == pytest.approx(loss.item(), rel=1e-12)
    assert g.grad[-1] == 1.0
    where = _module_outputs(g)
    compared = 0
    for name, t in outs.items():
        if name not in where:
            continue
        i = where[name]
        m = g.meta[i]
        assert m["shape"] == list(t.shape), name
        assert_stats(m["value"], t, f"value of {name}")
        assert_stats(m["grad"], t.grad, f"grad of {name}")
        compared += 1
    assert compared >= min_modules, (compared, sorted(outs), sorted(where))
    labels = _by_label(g)
    for name, p in ref.named_parameters():
        if name not in labels:
            continue
        i = labels[name]
        assert g.kinds[i] == "parameter" and g.meta[i]["lifted"] == "parameter"
        assert g.meta[i]["name"] == name and g.meta[i]["shape"] == list(p.shape)
        assert_stats(g.meta[i]["value"], p, f"value of {name}")
        assert_stats(g.meta[i]["grad"], p.grad, f"grad of {name}")
    return g, ep


def test_mlp(torch):
    torch.manual_seed(0)
    model = _tm().mlp((4, 8, 8, 1))
    x = torch.randn(5, 4)
    g, _ = check_against_reference(torch, model, x, lambda out: out.square().mean(), 4)
    # nn.Sequential's children are scopes, as capture_torch names them
    assert g.scopes[_by_label(g)["0.weight"]] == "Sequential#1/0"
    assert {g.scopes[i] for i in _module_outputs(g).values()} >= {"Sequential#1/0", "Sequential#1/1",
                                                                    "Sequential#1/4"}
    x_id = _by_label(g)["input"]  # the name of Sequential.forward's argument
    assert g.kinds[x_id] == "input" and g.meta[x_id]["shape"] == [5, 4]


def test_cnn_with_batchnorm_folds_like_a_capture(torch):
    torch.manual_seed(1)
    tm = _tm()
    model = tm.SmallCNN(classes=3)
    x = torch.randn(2, 1, 28, 28)
    y = torch.tensor([0, 2])
    loss_fn = lambda out: torch.nn.functional.cross_entropy(out, y)  # noqa: E731
    g, ep = check_against_reference(torch, model, x, loss_fn, 8)
    labels = _by_label(g)
    # lifted buffers are parameters under their own names, in their module's scope
    rm = labels["features.1.running_mean"]
    assert g.kinds[rm] == "parameter" and g.meta[rm]["lifted"] == "buffer"
    assert g.scopes[rm] == "SmallCNN#1/features/1"
    # the same module folds as capture_torch's graph of the same model
    with gradviz.capture_torch(copy.deepcopy(model)) as cap:
        out = cap.model(x)
        loss_fn(out).backward()
    cg = cap.graph()
    for depth in (1, 2):
        assert gradviz.module_groups(g, depth) == gradviz.module_groups(cg, depth)
    # the record reads op | shape | value | grad, and the hover names the user's line
    conv = next(i for i, o in enumerate(g.ops) if o == "conv2d")
    assert record_cells(g, conv)[0] == "2×8×28×28"
    tips = hover_lines(g, conv)
    assert any(t.startswith("at torch_models.py:") and "self.features(x)" in t for t in tips), tips
    assert "module features.0 (Conv2d)" in tips
    # the widget draws it read-only and folded by module
    w = gradviz.GraphWidget(g)
    assert w.readonly and "PyTorch" in w._structure["readonly"]


def test_transformer_encoder_layer(torch):
    torch.manual_seed(2)
    model = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    x = torch.randn(2, 3, 8)
    g, _ = check_against_reference(torch, model, x, lambda out: out.tanh().sum(), 4)
    scopes = set(g.scopes)
    assert {"TransformerEncoderLayer#1/self_attn", "TransformerEncoderLayer#1/norm1",
            "TransformerEncoderLayer#1/linear1", "TransformerEncoderLayer#1/norm2"} <= scopes
    sdpa = g.ops.index("scaled_dot_product_attention")
    assert g.meta[sdpa]["shape"] == [2, 2, 3, 4]


def test_scalar_output_needs_no_loss_and_user_inputs_replace_the_examples(torch):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(3, 1)

        def forward(self, x):
            return self.lin(x).sum()

    torch.manual_seed(3)
    net = Net()
    ep = torch.export.export(net, (torch.randn(4, 3),))
    x = torch.randn(4, 3)
    g = gradviz.from_torch(ep, inputs=(x,))
    x.requires_grad_(True)
    ref = copy.deepcopy(net)
    out = ref(x)
    out.backward()
    assert g.kinds[-1] == "output" and g.ops[-1] == "sum"
    assert g.data[-1] == pytest.approx(out.item(), rel=1e-12)
    i = _by_label(g)
    assert_stats(g.meta[i["x"]]["value"], x, "x")
    assert_stats(g.meta[i["x"]]["grad"], x.grad, "grad of x")
    assert_stats(g.meta[i["lin.weight"]]["grad"], ref.lin.weight.grad, "grad of lin.weight")
    assert x.grad is not None and net.lin.weight.grad is None  # the user's tensors are not touched


def test_fx_graph_module(torch):
    torch.manual_seed(4)
    model = _tm().mlp((3, 4, 1))
    gm = torch.fx.symbolic_trace(model)
    x = torch.randn(6, 3)
    g = gradviz.from_torch(gm, inputs=(x,), loss=lambda out: out.mean())
    ref, outs, loss = reference_run(model, (x,), lambda out: out.mean())
    assert g.data[-1] == pytest.approx(loss.item(), rel=1e-12)
    where = {g.meta[i].get("module"): i for i in range(len(g)) if g.kinds[i] == "intermediate"}
    for name in ("0", "1", "2"):
        assert g.scopes[where[name]] == f"Sequential#1/{name}"
        assert_stats(g.meta[where[name]]["value"], outs[name], name)
        assert_stats(g.meta[where[name]]["grad"], outs[name].grad, name)
    assert all(p.grad is None for p in model.parameters()) and all(p.grad is None for p in gm.parameters())


def test_names_are_escaped_in_the_page(torch):
    """A module named with markup reaches the page as text (the standalone page escapes it)."""
    model = torch.nn.Sequential()
    model.add_module("<b>x</b>", torch.nn.Linear(2, 1))
    ep = torch.export.export(model, (torch.randn(3, 2),))
    g = gradviz.from_torch(ep, loss=lambda o: o.sum())
    assert any("<b>x</b>" in s for s in g.scopes)
    page = gradviz.to_html(g)
    assert "<b>x</b>" not in page


def test_bad_input(torch):
    model = torch.nn.Linear(3, 2)
    ep = torch.export.export(model, (torch.randn(4, 3),))
    with pytest.raises(ValueError, match=r"scalar output.*shape \[4, 2\].*loss="):
        gradviz.from_torch(ep)
    with pytest.raises(ValueError, match=r"loss\(\.\.\.\) must return a one-element tensor"):
        gradviz.from_torch(ep, loss=lambda o: o * 2)
    with pytest.raises(ValueError, match=r"input 'input' has shape \[4, 5\].*\[4, 3\]"):
        gradviz.from_torch(ep, inputs=(torch.randn(4, 5),), loss=lambda o: o.sum())
    with pytest.raises(ValueError, match=r"takes 1 input tensors.*holds 2"):
        gradviz.from_torch(ep, inputs=(torch.randn(4, 3), torch.randn(1)), loss=lambda o: o.sum())
    with pytest.raises(TypeError, match="leave params out"):
        gradviz.from_torch(ep, params=dict(model.named_parameters()))
    with pytest.raises(TypeError, match="ExportedProgram or an fx.GraphModule"):
        gradviz.from_torch([1, 2])
    bare = torch.export.export(model, (torch.randn(4, 3),))
    bare.example_inputs = None
    with pytest.raises(ValueError, match=r"no example inputs.*inputs=\(x, \.\.\.\)"):
        gradviz.from_torch(bare, loss=lambda o: o.sum())
    with pytest.raises(ValueError, match="needs inputs="):
        gradviz.from_torch(torch.fx.symbolic_trace(model))
    const = torch.export.export(torch.nn.Identity(), (torch.ones(()),))
    with pytest.raises(ValueError, match="does not depend on any parameter"):
        gradviz.from_torch(const, inputs=(torch.ones((), dtype=torch.long),))
