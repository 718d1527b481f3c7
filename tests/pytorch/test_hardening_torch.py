"""Issue 22, captured runs: group titles of module calls on a batch, node counts in words, and
the gradient flow of a capture with no backward."""
import os

import pytest

import gradviz
from gradviz import Graph
from gradviz.draw.grouping import group_view


def _scoped(source):
    """x -> Net#1/conv (3 nodes) -> Net#1/head (1 node) -> loss."""
    labels = ["x", "w", "a", "b", "c", "d", "L"]
    ops = ["", "", "*", "tanh", "exp", "relu", "+"]
    scopes = ["", "", "Net#1/conv", "Net#1/conv", "Net#1/conv", "Net#1/head", ""]
    kinds = ["input", "parameter", "intermediate", "intermediate", "intermediate", "intermediate",
             "output"]
    children = [[], [], [0, 1], [2], [3], [4], [5, 0]]
    return Graph(labels, [1.0] * 7, [0.0] * 7, ops, kinds, scopes, children, source=source)


def test_group_titles_count_in_words_and_name_a_batch_call_as_a_call():
    torch_view = group_view(_scoped("torch"), ["Net#1/conv", "Net#1/head"])
    titles = {k: torch_view.labels[b] for k, b in torch_view.groups().items()}
    assert titles == {"Net#1/conv": "conv (3 nodes)", "Net#1/head": "head (1 node)"}  # one call: no need to say which
    jax_view = group_view(_scoped("jax"), ["Net#1/conv", "Net#1/head"])  # a JAX call takes a batch too
    assert {k: jax_view.labels[b] for k, b in jax_view.groups().items()} == titles
    g = _scoped("torch")
    twice = Graph(g.labels, g.data, g.grad, g.ops, g.kinds, [s.replace("Net#1/head", "Net#2/head") for s in g.scopes],
                  g.children, source="torch")
    view = group_view(twice, ["Net#1/conv", "Net#2"])
    titles = {k: view.labels[b] for k, b in view.groups().items()}
    assert titles == {"Net#1/conv": "Net call 1, conv (3 nodes)", "Net#2": "Net call 2 (1 node)"}
    mine = group_view(_scoped("gradviz"), ["Net#1/conv", "Net#1/head"])  # the lecture's: a call per sample
    titles = {k: mine.labels[b] for k, b in mine.groups().items()}
    assert titles == {"Net#1/conv": "sample 1, conv (3 nodes)", "Net#1/head": "sample 1, head (1 node)"}


def test_gradient_flow_without_a_backward_says_no_gradient_was_recorded(torch):
    from torch import nn
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with gradviz.capture_torch(m) as cap:
        loss = m(torch.randn(5, 3)).pow(2).mean()
    g = cap.graph()  # the forward's graph, walked: parameters are known, no gradient is
    assert "0.weight" in g.labels
    with pytest.raises(ValueError, match=r"no gradient was recorded: call loss\.backward\(\)"):
        cap.gradient_flow()
    with gradviz.capture_torch(m) as cap:
        loss = m(torch.randn(5, 3)).pow(2).mean()
        loss.backward()
    assert cap.gradient_flow() is not None


def test_gradient_flow_bars_show_their_difference_and_the_legend_covers_none():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gradviz.pytorch.gradflow import GradientFlow
    f = GradientFlow([("conv.weight", [4, 3], 1.0, 0.238), ("fc.weight", [2, 4], 2.0, 0.606)],
                     out_grads={"conv": 1e-3, "fc": 0.9})
    ax = f.plot()
    fig = ax.figure
    fig.canvas.draw()
    from matplotlib.transforms import Bbox
    bars = [(p, a) for a in fig.axes for p in a.patches if p.get_height() > 0 and p.get_width() < 1]
    assert len(bars) == 2
    shown = [Bbox.intersection(p.get_window_extent(), a.bbox) for p, a in bars]  # what is visible
    px = [b.height for b in shown]
    assert px[1] / px[0] > 1.5  # 0.606 / 0.238: a visible difference, not 139 px against 131
    legend = ax.get_legend().get_window_extent()
    assert not any(legend.overlaps(b) for b in shown)
    assert {t.get_text() for t in ax.get_legend().get_texts()} >= {"‖∇W‖ / ‖W‖"}
    os.makedirs("tests/artifacts", exist_ok=True)
    fig.savefig("tests/artifacts/gradient_flow.png")  # looked at: two bars of visibly different height
    plt.close(fig)


def test_a_selected_group_offers_to_collapse_the_scopes_around_it():
    from gradviz.draw.grouping import offers
    assert offers(["MLP#7/layers.1", "MLP#1"], "MLP#7/layers.1") == {"expand": ["MLP#7/layers.1"],
                                                                      "collapse": ["MLP#7"]}
    assert offers(["MLP#7/layers.1/neurons.3"], "MLP#7/layers.1/neurons.3")["collapse"] == ["MLP#7/layers.1", "MLP#7"]
    assert offers(["MLP#7"], "MLP#7")["collapse"] == []  # a sample has no scope around it
    assert offers(["fold:5"], "fold:5")["collapse"] == []
