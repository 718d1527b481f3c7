"""First views of captured models (issue 25): a model too long to show whole and readable opens
folded by module call, at the finest level that fits; the lecture's graphs, a graph of Values and
an explicit folding are left as they are; a saved page carries the view with every value drawn."""
from __future__ import annotations

import pytest

from gradviz import Graph, GraphWidget, to_html
from gradviz.draw.first_view import first_layout, fits_whole
from gradviz.draw.grouping import module_levels
from gradviz.draw.layout import layout
from gradviz.widget import wire
from gradviz.widget.state import page


def chain(blocks=6, per_block=8, source="torch"):
    """x -> Net#1/blocks/0 (per_block tanh ops) -> ... -> Net#1/head -> L: a model as a long chain."""
    labels, ops, scopes, kinds, children = ["x"], [""], [""], ["input"], [[]]
    for b in range(blocks):
        for _ in range(per_block):
            labels.append("")
            ops.append("tanh")
            scopes.append(f"Net#1/blocks/{b}")
            kinds.append("intermediate")
            children.append([len(labels) - 2])
    labels += ["", "L"]
    ops += ["relu", "tanh"]
    scopes += ["Net#1/head", ""]
    kinds += ["intermediate", "output"]
    children += [[len(children) - 1], [len(children)]]
    n = len(labels)
    return Graph(labels, [0.5] * n, [1.0] * n, ops, kinds, scopes, children, source=source)


def test_module_levels_fold_calls_finest_first():
    levels = module_levels(chain(blocks=3))
    assert levels == [["Net#1/blocks/0", "Net#1/blocks/1", "Net#1/blocks/2", "Net#1/head"],
                      ["Net#1/blocks", "Net#1/head"],
                      ["Net#1"]]
    plain = chain(blocks=2)
    assert module_levels(Graph(plain.labels, plain.data, plain.grad, plain.ops, plain.kinds, [""] * len(plain),
                               plain.children)) == []


def test_a_long_captured_model_opens_folded_at_the_finest_level_that_fits():
    g = chain()
    full = first_layout(g, collapsed=None)
    assert not fits_whole(full) and len(full) == len(g)
    lay = first_layout(g)
    assert fits_whole(lay) and lay.rankdir == "TB"
    assert list(lay.view.collapsed) == module_levels(g)[0]  # one box a block: the finest that fits
    assert {lay.view.labels[b] for b in lay.view.groups().values()} >= {"block 0 (8 nodes)", "head (1 node)"}


def test_what_fits_or_was_asked_for_is_left_as_it_is():
    assert list(first_layout(chain(blocks=1, per_block=2)).view.collapsed) == []  # fits in full
    assert list(first_layout(chain(source="gradviz")).view.collapsed) == []  # the lecture's Values: every value
    assert list(first_layout(chain(), collapsed=["Net#1/head"]).view.collapsed) == ["Net#1/head"]
    assert first_layout(chain(), rankdir="LR").rankdir == "LR"  # an orientation asked for is kept
    g = chain(blocks=1, per_block=40)  # one module: folding it would show one box
    assert module_levels(g)[0] == ["Net#1/blocks/0", "Net#1/head"] and not fits_whole(first_layout(g, collapsed=None))
    one = Graph(g.labels, g.data, g.grad, g.ops, g.kinds, ["Net#1" if s else s for s in g.scopes], g.children,
                source="torch")
    assert module_levels(one) == [["Net#1"]] and list(first_layout(one).view.collapsed) == []


def test_the_widget_opens_folded_and_a_group_opens_in_python():
    g = chain()
    w = GraphWidget(g)
    assert w.collapsed == module_levels(g)[0] and w.rankdir == "TB"
    w.expand("Net#1/blocks/2")
    assert "Net#1/blocks/2" not in w.collapsed and len(w.drawing()["box_x"]) == len(module_levels(g)[0]) - 1 + 8 + 2  # and x, L
    assert GraphWidget(g, collapsed=None).collapsed == []


def test_a_saved_page_carries_every_value_drawn_both_ways():
    g = chain()
    p = page(g)
    assert set(p.opened) == {"TB", "LR"}
    assert p.opened["TB"]["rankdir"] == "TB" and p.opened["LR"]["rankdir"] == "LR"
    for rd in ("TB", "LR"):
        assert len(wire.decode_view(p.opened[rd], g)["box_x"]) == len(layout(g, rankdir=rd)) == len(g)
    assert '"_view_open"' in to_html(g)
    assert page(chain(source="gradviz")).opened is None  # nothing folded: nothing to carry
    assert '"_view_open"' not in to_html(chain(), collapsed=None)


@pytest.mark.parametrize("name", ["cnn", "transformer"])
def test_captured_models_open_whole_and_readable(torch, name):
    from benchmarks import screenshots as shots
    g = shots.VIEWS[name]()
    assert not fits_whole(first_layout(g, collapsed=None))
    lay = first_layout(g)
    assert fits_whole(lay) and lay.view.collapsed and lay.rankdir == "TB"
    titles = {lay.view.labels[b] for b in lay.view.groups().values()}  # path, then the module's class
    assert titles >= {"cnn": {"feature 0 (Conv2d, 3 nodes)", "feature 1 (BatchNorm2d, 3 nodes)", "classifier (Linear, 4 nodes)"},
                      "transformer": {"self_attn (MultiheadAttention, 32 nodes)", "norm1 (LayerNorm, 3 nodes)"}}[name], titles


def test_a_resnet_opens_as_its_stem_blocks_and_head(torch):
    import gradviz
    from torch_models import ResNet18
    torch.manual_seed(0)
    model = ResNet18(classes=10)
    with gradviz.capture_torch(model) as cap:
        model(torch.randn(2, 3, 32, 32)).square().mean().backward()
    lay = first_layout(cap.graph())
    assert fits_whole(lay) and lay.rankdir == "TB"
    titles = [lay.view.labels[b] for b in lay.view.groups().values()]
    assert [t for t in titles if "BasicBlock" in t] == [f"layer{i}, {j} (BasicBlock, {n} nodes)" for i in (1, 2, 3, 4)
                                                        for j, n in ((0, 13 if i == 1 else 18), (1, 13))]
    assert titles[0] == "conv1 (Conv2d, 2 nodes)" and titles[-1] == "fc (Linear, 4 nodes)"
