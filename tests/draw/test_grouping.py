"""Grouping's rules for opening and folding one group (gradviz.grouping.expand / collapse /
subscopes), tested here once; the widget's expand and collapse are these rules."""
import random

import pytest

from gradviz import MLP, Value, mse_loss
from gradviz.draw.grouping import collapse, expand, group_view, subscopes
from gradviz.graph import trace


def mlp_graph(n_samples=3):
    random.seed(5)
    m = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0]][:n_samples]
    loss = mse_loss([m(x) for x in xs], [1.0, -1.0, -1.0][:n_samples], reduction="sum")
    loss.backward()
    return trace(loss)


def scope_set(g, key):
    """The scope of every value under group ``key`` (what its box stands for)."""
    return {s for s in g.scopes if s == key or s.startswith(key + "/")}


def test_subscopes_are_one_level_down():
    g = mlp_graph()
    assert subscopes(g, "MLP#2") == ["MLP#2/layers.0", "MLP#2/layers.1", "MLP#2/layers.2"]
    assert subscopes(g, "MLP#2/layers.1") == [f"MLP#2/layers.1/neurons.{k}" for k in range(4)]
    assert subscopes(g, "MLP#2/layers.1/neurons.0") == []  # a neuron shows its values
    assert subscopes(g, "layers.0") == [f"layers.0/neurons.{k}" for k in range(4)]
    assert subscopes(g, "MLP#2") == subscopes(group_view(g, "auto", max_boxes=30), "MLP#2")


def test_expand_opens_one_level_and_collapse_undoes_it():
    g = mlp_graph()
    start = list(group_view(g, "auto", max_boxes=30).collapsed)
    assert "MLP#2" in start and not any(k.startswith("MLP#2/") for k in start)
    opened, expanded = expand(g, start, "MLP#2")
    assert expanded == {"MLP#2"}
    assert "MLP#2" not in opened
    assert [k for k in opened if k.startswith("MLP#2/")] == subscopes(g, "MLP#2")
    assert [k for k in opened if not k.startswith("MLP#2")] == [k for k in start if k != "MLP#2"]
    v0, v1 = group_view(g, start), group_view(g, opened)
    assert len(v1) > len(v0)
    assert {k for k in v1.keys if k.startswith("MLP#2/")} == set(subscopes(g, "MLP#2"))

    deeper, expanded = expand(g, opened, "MLP#2/layers.0", expanded)
    assert expanded == {"MLP#2", "MLP#2/layers.0"}
    assert set(subscopes(g, "MLP#2/layers.0")) <= set(deeper)

    # folding the sample again drops everything inside it from both lists
    folded, expanded = collapse(g, deeper, "MLP#2", expanded)
    assert expanded == set()
    assert folded[-1] == "MLP#2" and not any(k.startswith("MLP#2/") for k in folded)
    assert sorted(folded) == sorted(start)
    assert sorted(group_view(g, folded).keys) == sorted(v0.keys)


def test_collapse_a_scope_that_is_not_folded_yet():
    g = mlp_graph()
    keys, expanded = collapse(g, [], "MLP#1/layers.1", {"MLP#1/layers.1/neurons.2", "MLP#3"})
    assert keys == ["MLP#1/layers.1"] and expanded == {"MLP#3"}
    v = group_view(g, keys)
    (b,) = [b for b, k in enumerate(v.keys) if k]
    assert {g.scopes[i] for i in v.members(b).tolist()} == scope_set(g, "MLP#1/layers.1")


def test_fold_keys_open_to_values():
    g = mlp_graph()
    start = list(group_view(g, "auto", max_boxes=8).collapsed)
    fold = next(k for k in start if k.startswith("fold:"))
    opened, expanded = expand(g, start, fold)
    assert opened == [k for k in start if k != fold] and expanded == {fold}
    again, _ = collapse(g, opened, fold, expanded)
    assert sorted(again) == sorted(start)


def test_bad_keys_raise_key_errors_naming_the_problem():
    g = mlp_graph()
    with pytest.raises(KeyError, match="'MLP#9' is not a collapsed group; collapsed: MLP#1, layers.0"):
        expand(g, ["MLP#1", "layers.0"], "MLP#9")
    for bad in ("MLP#9", "MLP#1/layers.7", "", None, 3):
        with pytest.raises(KeyError, match="no value of this graph is in scope"):
            collapse(g, ["MLP#1"], bad)
    with pytest.raises(KeyError, match="is not a collapsed group"):
        expand(g, [], "MLP#1")  # a real scope, but not folded now


def test_the_widget_uses_these_rules():
    GraphWidget = pytest.importorskip("gradviz.widget").GraphWidget
    g = mlp_graph()
    w = GraphWidget(g, collapsed=list(group_view(g, "auto", max_boxes=30).collapsed))
    before = w.collapsed
    w.expand("MLP#3")
    want, exp = expand(g, before, "MLP#3")
    assert w.collapsed == want and w.drawing()["expanded"] == sorted(exp)
    w.collapse("MLP#3")
    want, exp = collapse(g, want, "MLP#3", exp)
    assert w.collapsed == want and w.drawing()["expanded"] == sorted(exp)
    with pytest.raises(KeyError, match="not a collapsed group"):
        w.expand("MLP#77")
    assert w.collapsed == want  # a refused change leaves the view as it was


# ---- what selecting a box offers (the page applies these rules; js/test/group_cases.json) ---------

def test_the_committed_group_case_file_is_this_modules():
    """js/test/group_cases.json is what `python -m gradviz.cases groups` writes now (regenerate it
    after changing the rules); the page's copy is tested against it (js/test/groups.test.js)."""
    import pathlib

    from gradviz.draw import grouping
    path = pathlib.Path(__file__).resolve().parents[2] / "js" / "test" / "group_cases.json"
    assert path.read_text(encoding="utf-8") == grouping.case_file_text()


def test_what_a_box_offers_opens_and_folds_what_it_says():
    """On a real folded view: every offered collapse folds a drawn value into that group, every
    offered expand (a group box, or a search hit folded away) opens a group that is folded, and
    hiding_group names the box group_view drew the value in."""
    from gradviz.draw.grouping import hiding_group, offers
    g = mlp_graph()
    for collapsed in (["MLP#2"], ["MLP#1/layers.0", "layers.1"], []):
        v = group_view(g, collapsed)
        for i in range(len(g)):
            box = int(v.box_of[i])
            key = v.keys[box]
            if key:  # folded away: the group hiding it is the box it is drawn in
                assert hiding_group(g.scopes[i], v.collapsed) == key
                assert offers(v.collapsed, "", g.scopes[i], shown=False) == {"expand": [key], "collapse": []}
                around = offers(v.collapsed, key)
                assert around["expand"] == [key]
                for outer in around["collapse"]:  # the scopes around the group, innermost first
                    assert key.startswith(outer + "/")
                    collapse(g, v.collapsed, outer)  # offered, so it folds
                expand(g, v.collapsed, key)  # offered, so it opens
                continue
            assert hiding_group(g.scopes[i], v.collapsed) == ""
            o = offers(v.collapsed, "", g.scopes[i])
            assert o["expand"] == [] and len(o["collapse"]) == g.scopes[i].count("/") + 1 if g.scopes[i] else o["collapse"] == []
            for k in o["collapse"]:
                keys, _ = collapse(g, v.collapsed, k)
                after = group_view(g, keys)
                assert after.keys[after.box_of[i]] == k  # that scope is folded, with the value in it
            assert [len(k) for k in o["collapse"]] == sorted((len(k) for k in o["collapse"]), reverse=True)


def test_edge_arrays_hold_each_child_parent_pair_once():
    """``a + a`` and ``a * a`` give one edge, a custom op's repeated operands too; nothing is lost."""
    from gradviz.draw.grouping import _edge_arrays
    from gradviz.graph import Graph
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a + a
    d = (c * b) * (b * a)
    e = (d * d).tanh()
    for g in (trace(e), Graph(["x", "y", "z"], [1.0, 2.0, 3.0], [0.0] * 3, ["", "", "f"],
                              ["input", "input", "output"], [""] * 3, [[], [], [0, 1, 0, 1]])):
        src, dst = _edge_arrays(g)
        want = {(c, p) for p, cs in enumerate(g.children) for c in cs}
        assert len(src) == len(want) and set(zip(src.tolist(), dst.tolist())) == want
