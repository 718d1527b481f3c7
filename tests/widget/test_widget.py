"""Python side of GraphWidget (layer a): state traits, page messages, nudges against the engine,
errors that leave every value as it was, reset, step, read-only torch graphs, big graphs."""
import math

import numpy as np
import pytest

from gradviz import Value
from gradviz.widget import GraphWidget
from testenv import lecture_L


def msg(w, **content):
    """Deliver a message from the page the way ipywidgets does (a comm 'custom' message)."""
    w._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def column(c):
    """Decode a string column of the structure trait (table + int32 index bytes)."""
    return [c["table"][k] for k in np.frombuffer(c["index"], dtype=c.get("dtype", "int32"))]


def labels_of(w):
    return column(w._structure["labels"])


def arr(b):
    return np.frombuffer(b, dtype=np.float64)


def test_state_traits_describe_the_graph():
    L, v = lecture_L()
    L.backward()
    w = GraphWidget(L)
    s = w._structure
    labels = column(s["labels"])
    assert s["n"] == 7 and s["root"] == 6 and labels[-1] == "L"
    assert column(s["ops"]) == ["", "", "", "", "*", "+", "*"] or sorted(column(s["ops"])) == ["", "", "", "", "*", "*", "+"]
    assert column(s["kinds"]).count("input") == 4 and column(s["kinds"])[-1] == "output"
    assert sorted(labels[i] for i in s["controls"]) == ["a", "b", "c", "f"]
    data, grad = arr(w._data), arr(w._grad)
    ids = {lab: i for i, lab in enumerate(labels)}
    # the lecture's numbers: L = -8, dL/da = 6, dL/db = -4, dL/dc = -2, dL/df = 4
    assert data[ids["L"]] == -8.0
    assert [grad[ids[k]] for k in "abcf"] == [6.0, -4.0, -2.0, 4.0]
    assert v["a"].grad == 6.0  # the Values hold what the page shows
    view = w.drawing()
    assert len(view["box_x"]) == 7 and sorted(view["op_name"]) == ["*", "*", "+"]
    assert len(view["edge_src"]) == 6
    ptr = np.frombuffer(w._child_ptr, dtype=np.int32)
    assert ptr[-1] == 6


def test_nudge_matches_the_engine_and_the_lecture_L():
    L, v = lecture_L()
    L.backward()
    w = GraphWidget(L)
    w.nudge("a", 0.01)
    # the lecture: a += 0.01 moves L from -8 to -7.94, as dL/da = 6 predicts
    assert v["a"].data == 2.01
    assert f"{L.data:.4f}" == "-7.9400"
    n = w.last_nudge
    assert n["before"] == -8.0 and math.isclose(n["after"], L.data)
    assert math.isclose(n["predicted"], 0.06, rel_tol=1e-9) and math.isclose(n["actual"], 0.06, rel_tol=1e-9)
    ref, rv = lecture_L()
    rv["a"].data += 0.01
    ref2 = (rv["a"] * rv["b"] + rv["c"]) * rv["f"]
    ref2.backward()
    assert L.data == ref2.data and v["b"].grad == rv["b"].grad
    assert arr(w._data)[-1] == L.data


def test_set_and_nudge_by_value_and_page_message():
    L, v = lecture_L()
    w = GraphWidget(L)
    w.set(v["b"], -2.0)
    assert L.data == -(2.0 * -2.0 + 10.0) * 2.0
    ids = {lab: i for i, lab in enumerate(labels_of(w))}
    msg(w, type="set", values={str(ids["f"]): 1.0}, req=41)
    assert v["f"].data == 1.0 and L.data == 6.0 and w._ack == 41 and w.error == ""
    assert v["d"].grad == 1.0 and arr(w._grad)[ids["d"]] == 1.0


def test_failed_nudge_leaves_every_value_as_it_was():
    x = Value(2.0, label="x")
    y = (x * 1.0).log(); y.label = "y"
    w = GraphWidget(y)
    before = (w.data, w.grad, x.data, x.grad, y.data)
    with pytest.raises(ValueError, match="log"):
        w.set("x", -1.0)
    assert "log" in w.error
    assert (x.data, x.grad, y.data) == before[2:]
    assert np.array_equal(w.data, before[0]) and np.array_equal(arr(w._data), before[0])
    # from the page: no exception escapes, the error shows, the ack still arrives
    msg(w, type="set", values={"0": -5.0}, req=7)
    assert w._ack == 7 and "log" in w.error and x.data == 2.0
    w.nudge("x", 1.0)  # a good nudge clears the error
    assert w.error == "" and x.data == 3.0


def test_bad_leaf_names_give_clear_errors():
    L, v = lecture_L()
    w = GraphWidget(L)
    with pytest.raises(KeyError, match="'a'"):
        w.nudge("aa", 1.0)  # close match suggested
    with pytest.raises(ValueError, match="not a leaf"):
        w.nudge("e", 1.0)
    with pytest.raises(ValueError, match="not a node of this graph"):
        w.nudge(Value(1.0), 1.0)
    with pytest.raises(TypeError):
        w.nudge("a", "1")
    with pytest.raises(ValueError, match="finite"):
        w.set("a", float("nan"))
    a2 = Value(1.0, label="a")
    M = L + a2
    with pytest.raises(KeyError, match="2 leaves"):
        GraphWidget(M).nudge("a", 1.0)
    assert v["a"].data == 2.0


def test_reset_and_step():
    L, v = lecture_L()
    w = GraphWidget(L)
    w.nudge("a", 0.5); w.set("f", 3.0)
    w.reset()
    assert (v["a"].data, v["f"].data, L.data, v["a"].grad) == (2.0, -2.0, -8.0, 6.0)
    grads = {k: v[k].grad for k in "abcf"}
    w.step(0.01)  # descent: every input moves by -0.01 * grad
    for k in "abcf":
        assert math.isclose(v[k].data, lecture_L()[1][k].data - 0.01 * grads[k])
    assert L.data < -8.0 and w.last_nudge["kind"] == "step"
    assert w.last_nudge["predicted"] < 0
    msg(w, type="reset", req=3)
    assert L.data == -8.0
    msg(w, type="step", lr=-0.01, req=4)  # up the gradient
    assert L.data > -8.0


def test_the_committed_change_case_file_is_the_widgets_answers():
    """js/test/change_cases.json is what `python -m gradviz.cases changes` writes now (regenerate it
    after changing how a step, set or reset moves leaves or is named); the page's copy of those
    rules (js/src/local.js) and its standalone engine are checked against it (js/test/local.test.js)."""
    import json
    import pathlib

    from gradviz.widget import change_cases
    path = pathlib.Path(__file__).resolve().parents[2] / "js" / "test" / "change_cases.json"
    assert path.read_text(encoding="utf-8") == change_cases.case_file_text()
    c = json.loads(path.read_text(encoding="utf-8"))
    whats = [x["what"] for x in c["changes"]]
    assert "step down, size 0.01" in whats and "step up, size 2.5e-05" in whats and "step down, size 1.23457e+06" in whats
    assert "'a' = 2.5" in whats and "2 leaves set" in whats and "reset" in whats
    assert any(w.startswith("unlabelled leaf node #") for w in whats)
    g = c["graph"]
    assert len(g["controls"]) < sum(a == b for a, b in zip(g["ptr"], g["ptr"][1:])), "a constant leaf has no control"


def test_show_grads_and_state_is_plain_traits():
    L, _ = lecture_L()
    w = GraphWidget(L, show_grads=False, height=300)
    st = w.get_state()
    for k in ("_structure", "_view", "_data", "_grad", "show_grads", "height", "error", "last_nudge"):
        assert k in st
    assert st["show_grads"] is False and st["height"] == 300
    assert st["local_replay"] is True  # the page replays nudges itself unless told not to
    assert GraphWidget(L, local_replay=False).get_state()["local_replay"] is False


def test_torch_graph_is_read_only():
    from gradviz.graph import Graph
    g = Graph(labels=["x", "y"], data=[1.0, 2.0], grad=[2.0, 1.0], ops=["", "mul"],
              kinds=["input", "output"], scopes=["", ""], children=[(), (0, 0)], source="torch")
    w = GraphWidget(g)
    assert w._structure["readonly"] and w._structure["source"] == "torch"
    assert arr(w._data).tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="read-only"):
        w.nudge("x", 1.0)
    msg(w, type="set", values={"0": 3.0}, req=1)
    assert "read-only" in w.error and arr(w._data).tolist() == [1.0, 2.0]


@pytest.fixture(scope="module")
def moons_widget():
    import random

    from gradviz import MLP, svm_loss
    rng = random.Random(3)
    X = [[rng.uniform(-1, 2), rng.uniform(-1, 1)] for _ in range(100)]
    y = [1.0 if x[1] > 0.5 - x[0] * 0.3 else -1.0 for x in X]
    random.seed(1337)
    model = MLP(2, [16, 16, 1], activation="relu", linear_output=True)
    loss = svm_loss([model(x) for x in X], y, model.parameters(), alpha=1e-4)
    loss.backward()
    return GraphWidget(loss), model, loss


def test_big_graph_opens_collapsed_by_scope(moons_widget):
    w, model, loss = moons_widget
    n = len(w.graph)
    assert n > 60_000
    view = w.drawing()
    boxes = len(view["box_x"])
    assert 10 <= boxes <= 300  # a few hundred boxes at most, not 66k
    groups = [k for k in view["box_group"] if k]
    assert any(k.startswith("MLP#") for k in groups)
    # a group box shows its output node's values: the node it names is inside the group
    b = view["box_group"].index(next(k for k in groups if k.startswith("MLP#")))
    node = view["box_node"][b]
    assert column(w._structure["scopes"])[node].startswith(view["box_group"][b])
    # values travel as float64 bytes, one per node
    assert len(w._data) == 8 * n and len(w._grad) == 8 * n
    assert arr(w._data)[-1] == loss.data
    # more than 20 leaves: the page shows only the selected leaf's controls; all are nudgeable
    assert len(w._structure["controls"]) > 20


def test_expand_and_collapse_groups(moons_widget):
    w, model, loss = moons_widget
    before = len(w.drawing()["box_x"])
    key = next(k for k in w.drawing()["box_group"] if k.startswith("MLP#"))
    msg(w, type="expand", key=key)
    assert w.error == ""
    keys = w.drawing()["box_group"]
    assert key not in keys and any(k.startswith(key + "/layers.") for k in keys)
    assert len(w.drawing()["box_x"]) > before
    layer = next(k for k in keys if k.startswith(key + "/layers."))
    w.expand(layer)
    assert any(k.startswith(layer + "/neurons.") for k in w.drawing()["box_group"])
    w.collapse(key)  # folds the sample again, with everything inside it
    assert key in w.drawing()["box_group"] and not any(k.startswith(key + "/") for k in w.drawing()["box_group"])
    assert len(w.drawing()["box_x"]) == before
    with pytest.raises(KeyError):
        w.expand("no-such-scope")
    msg(w, type="expand", key="no-such-scope")
    assert "no-such-scope" in w.error and len(w.drawing()["box_x"]) == before


def test_the_pages_reset_view_folds_back_to_the_first_view(moons_widget):
    w, model, loss = moons_widget
    opened = GraphWidget(loss)
    first = list(opened.drawing()["box_group"])
    key = next(k for k in first if k.startswith("MLP#"))
    msg(opened, type="expand", key=key)
    assert list(opened.drawing()["box_group"]) != first
    msg(opened, type="reset_view")
    assert opened.error == ""
    assert list(opened.drawing()["box_group"]) == first
    opened.close()


def test_big_graph_nudge_by_parameter_label(moons_widget):
    w, model, loss = moons_widget
    p = dict(model.named_parameters())["layers.0.neurons.3.w.1"]
    g_before, L_before = p.grad, loss.data
    w.nudge("layers.0.neurons.3.w.1", 1e-6)
    assert math.isclose(w.last_nudge["actual"], g_before * 1e-6, rel_tol=1e-3, abs_tol=1e-12)
    assert math.isclose(w.last_nudge["predicted"], g_before * 1e-6, rel_tol=1e-6)
    assert loss.data == arr(w._data)[-1] and loss.data != L_before or g_before == 0
    w.reset()
    assert loss.data == L_before and p.grad == g_before


def test_big_graph_first_view_is_a_grid_of_samples_not_a_column(moons_widget):
    w, model, loss = moons_widget
    d = w.drawing()
    samples = [b for b, k in enumerate(d["box_group"]) if k.startswith("MLP#") and "/" not in k]
    assert len(samples) == 100 and d["box_title"][samples[6]].startswith("sample ")
    xs = {round(d["box_x"][b]) for b in samples}
    assert len(xs) >= 4, "the samples stand in one column"
    assert d["height"] < 1200 < d["width"]  # wider than tall: readable structure at a glance
