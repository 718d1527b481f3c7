"""One way to name a node and one way to resolve a leaf (gradviz.names), for every caller."""
import numpy as np
import pytest

import gradviz.engine as engine
from gradviz import Value, trace
from gradviz.check import numerical_grad
from gradviz.graph import Graph
from gradviz.names import NodeLookupError, node_name, resolve_leaf, resolve_node
from gradviz.replay.batched import Batched
from testenv import lecture_L


def twin_graph():
    """Two leaves labelled 'a' (ids 0 and 3), a computed node labelled 'e', unlabelled nodes."""
    a, b, a2 = Value(2.0, label="a"), Value(-3.0, label="b"), Value(1.0, label="a")
    e = a * b
    e.label = "e"
    root = (e + a2 + 4.0).tanh()
    return root, trace(root), dict(a=a, b=b, a2=a2, e=e)


def test_node_name_is_the_engines_wording():
    assert engine._name is node_name  # the engine names nodes with it: one function
    a = Value(2.0, label="a")
    assert node_name(a) == "'a'"
    assert node_name(Value(1.0)) == "unlabelled leaf node"
    assert node_name(a.tanh()) == "unlabelled tanh node"
    x = Value(0.0)
    with pytest.raises(ValueError) as err:
        (x * 2.0).log()
    assert "unlabelled * node has data 0.0" in str(err.value)
    root, g, v = twin_graph()
    names = [node_name(g, i) for i in range(len(g))]
    assert names[:4] == ["'a'", "'b'", "'e'", "'a'"]
    # a Graph's unlabelled nodes get their ids, which resolve_node takes back
    unlabelled = [i for i in range(len(g)) if not g.labels[i]]
    for i in unlabelled:
        op = g.ops[i] or "leaf"
        assert names[i] == f"unlabelled {op} node #{i}"
        assert resolve_node(g, int(names[i].rsplit("#", 1)[1])) == i


def test_resolve_leaf_takes_a_value_a_label_or_an_id():
    root, g, v = twin_graph()
    assert resolve_leaf(g, v["b"]) == g.labels.index("b")
    assert resolve_leaf(g, "b") == g.labels.index("b")
    assert resolve_leaf(g, v["a2"]) == 3 and resolve_leaf(g, 3) == 3 and resolve_leaf(g, np.int64(3)) == 3
    assert resolve_node(g, "e") == 2 and resolve_node(g, root) == len(g) - 1


def test_lookup_errors_name_the_problem_and_the_fix():
    root, g, v = twin_graph()
    a_ids = [i for i in range(len(g)) if g.labels[i] == "a"]
    assert a_ids == [0, 3]
    cases = [
        ("a", "label 'a' names 2 leaves (ids 0, 3); pass the Value itself or one of these ids"),
        ("aa", "no leaf is labelled 'aa'; close matches: 'a'"),
        ("zzz", "no leaf is labelled 'zzz'; the labelled leaves are 'a', 'b'"),
        ("e", "'e' is computed by '*', not a leaf; pass one of the leaves it depends on"),
        (v["e"], "'e' is computed by '*', not a leaf"),
        (len(g) - 1, f"unlabelled tanh node #{len(g) - 1} is computed by 'tanh', not a leaf"),
        (len(g), f"node id {len(g)} is out of range: the graph has ids 0..{len(g) - 1}"),
        (-1, "node id -1 is out of range"),
        (Value(1.0), "is not a node of this graph; pass one of its leaves (labelled leaves: 'a', 'b')"),
    ]
    for key, message in cases:
        with pytest.raises(NodeLookupError) as err:
            resolve_leaf(g, key)
        assert message in str(err.value)
    with pytest.raises(NodeLookupError, match=r"label 'a' names 2 nodes \(ids 0, 3\)"):
        resolve_node(g, "a")
    for bad in (1.5, True, None, [0]):
        with pytest.raises(TypeError, match="a Value, a label \\(str\\) or a node id \\(int\\)"):
            resolve_leaf(g, bad)
    loaded = Graph.from_json(g.to_json())  # no Values behind it
    assert resolve_leaf(loaded, "b") == 1
    with pytest.raises(TypeError, match="has no Values .*label \\(str\\) or id \\(int\\)"):
        resolve_leaf(loaded, v["b"])


def test_node_lookup_error_is_a_key_error_and_a_value_error():
    root, g, v = twin_graph()
    with pytest.raises(KeyError):
        resolve_leaf(g, "nope")
    with pytest.raises(ValueError):
        resolve_leaf(g, "nope")
    try:
        resolve_leaf(g, "nope")
    except KeyError as e:
        assert str(e).startswith("no leaf")  # the message itself, not KeyError's quoted repr


def test_every_caller_resolves_and_fails_the_same_way():
    root, g, v = twin_graph()
    want = "label 'a' names 2 leaves (ids 0, 3)"
    callers = [lambda leaf: numerical_grad(root, leaf), lambda leaf: Batched(root, [leaf])]
    try:
        from gradviz.widget import GraphWidget
    except ImportError:
        pass
    else:
        callers.append(lambda leaf: GraphWidget(root).nudge(leaf, 0.5))
    for call in callers:
        with pytest.raises(NodeLookupError) as err:
            call("a")
        assert str(err.value).startswith(want)
        with pytest.raises(NodeLookupError, match="not a leaf"):
            call("e")
        call(v["a2"])  # the Value itself picks one
    assert v["a2"].data == 1.5  # only the widget's nudge changed it


def test_the_torch_mirror_looks_up_nodes_the_same_way(torch):
    import gradviz
    root, g, v = twin_graph()
    _, mirror = gradviz.to_torch(root)
    assert mirror["e"] is mirror[v["e"]] is mirror[2]
    with pytest.raises(NodeLookupError, match=r"label 'a' names 2 nodes \(ids 0, 3\)"):
        mirror["a"]
    assert "e" in mirror and "a" not in mirror and 99 not in mirror and 1.5 not in mirror
    assert mirror.get("zzz") is None


def test_widget_messages_name_nodes_the_same_way():
    GraphWidget = pytest.importorskip("gradviz.widget").GraphWidget
    L, v = lecture_L()
    c = Value(1.0)
    root = L + c
    w = GraphWidget(root)
    i = next(k for k, x in enumerate(w.graph.values) if x is c)
    w.nudge(c, 0.25)
    assert w.last_nudge["what"] == f"unlabelled leaf node #{i} +0.25"
    w.set("a", 3.0)
    assert w.last_nudge["what"] == "'a' = 3"


def test_the_committed_name_case_file_is_node_names():
    """js/test/name_cases.json is what `python -m gradviz.cases names` writes now; the page's
    nodeName is tested against it (js/test/groups.test.js), so page and kernel word names alike."""
    import json
    import pathlib

    from gradviz import names
    path = pathlib.Path(__file__).resolve().parents[1] / "js" / "test" / "name_cases.json"
    assert path.read_text(encoding="utf-8") == names.case_file_text()
    cases = json.loads(path.read_text(encoding="utf-8"))
    assert ["", "*", 4, "unlabelled * node #4"] in cases and ["x'y", "", None, "\"x'y\""] in cases
    assert any("\\u2028" in name for _, _, _, name in cases)  # repr escapes it; so must the page
