"""trace(), the Graph snapshot, its JSON round trip and the networkx export."""
import json
import math
import sys

import numpy as np
import pytest

import gradviz
from gradviz import MLP, Value
from gradviz.graph.snapshot import KINDS, SCHEMA_VERSION, Graph
from gradviz.graph.trace import as_graph, to_networkx, trace
from testenv import lecture_L


def by_label(g):
    return {g.labels[i]: i for i in range(len(g)) if g.labels[i]}


def same_floats(x, y):
    """Equal arrays, NaN equal to NaN and 0.0 distinguished from -0.0."""
    x, y = np.asarray(x), np.asarray(y)
    return x.shape == y.shape and bool(np.all((x == y) & (np.signbit(x) == np.signbit(y))
                                              | (np.isnan(x) & np.isnan(y))))


def same_value(x, y):
    """Deep equality of meta values: same types, NaN == NaN, -0.0 != 0.0."""
    if type(x) is not type(y):
        return False
    if isinstance(x, float):
        return same_floats([x], [y])
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(same_value(a, b) for a, b in zip(x, y))
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(same_value(x[k], y[k]) for k in x)
    return x == y


def assert_same_graph(g, h):
    assert len(g) == len(h)
    assert g.labels == h.labels and g.ops == h.ops and g.kinds == h.kinds and g.scopes == h.scopes
    assert g.children == h.children
    assert same_floats(g.data, h.data) and same_floats(g.grad, h.grad)
    assert all(same_value(dict(m), dict(k)) for m, k in zip(g.meta, h.meta))
    assert g.source == h.source


# ---- trace ---------------------------------------------------------------------------------

def test_trace_lecture_graph_columns_and_kinds():
    L = lecture_L()[0]
    L.backward()
    g = trace(L)
    ids = by_label(g)
    assert len(g) == 7 and g.root == ids["L"] == 6
    assert g.data[ids["L"]] == -8.0 and g.data[ids["e"]] == -6.0 and g.data[ids["d"]] == 4.0
    assert g.grad[ids["a"]] == 6.0 and g.grad[ids["b"]] == -4.0 and g.grad[ids["c"]] == -2.0
    assert g.grad[ids["f"]] == 4.0 and g.grad[ids["d"]] == -2.0
    assert g.ops[ids["e"]] == "*" and g.ops[ids["d"]] == "+" and g.ops[ids["a"]] == ""
    kinds = {lab: g.kinds[i] for lab, i in ids.items()}
    assert kinds == {"a": "input", "b": "input", "c": "input", "f": "input",
                     "e": "intermediate", "d": "intermediate", "L": "output"}
    # children in operand order, and ids topological
    assert g.children[ids["e"]] == (ids["a"], ids["b"])
    assert g.children[ids["L"]] == (ids["d"], ids["f"])
    assert all(c < p for c, p in g.edges)
    assert sorted(g.leaves()) == sorted(ids[x] for x in "abcf")
    node = g.node(ids["e"])
    assert (node.label, node.data, node.op, node.kind, node.children) == ("e", -6.0, "*", "intermediate",
                                                                           (ids["a"], ids["b"]))
    assert g.values[ids["a"]].label == "a"


def test_trace_constants_parameters_and_scopes():
    m = MLP(2, [3, 1])
    x = [Value(1.0, label="x0"), Value(-2.0, label="x1")]
    out = m(x)
    L = 2 * out
    g = trace(L)
    ids = by_label(g)
    assert g.kinds[ids["x0"]] == "input"
    assert g.kinds[ids["layers.0.neurons.1.w.0"]] == "parameter"
    assert g.scopes[ids["layers.0.neurons.1.w.0"]] == "layers.0/neurons.1"
    consts = [i for i in range(len(g)) if g.kinds[i] == "constant"]
    assert len(consts) == 1 and g.data[consts[0]] == 2.0
    # values made during the call carry the call's scope: MLP call / layer / neuron
    inner = [g.scopes[i] for i in range(len(g)) if g.kinds[i] == "intermediate"]
    assert "MLP#1/layers.0/neurons.2" in inner and "MLP#1/layers.1/neurons.0" in inner
    assert g.scopes[g.root] == ""  # 2 * out is outside any module call
    assert set(g.kinds) <= set(KINDS)


def test_trace_ids_are_stable():
    L = lecture_L()[0]
    g1 = trace(L)
    for v in g1.values:
        v.data += 1.0
    g2 = trace(L)
    assert g1.labels == g2.labels and g1.children == g2.children
    assert all(x is y for x, y in zip(g1.values, g2.values))
    assert np.array_equal(g2.data, g1.data + 1.0)


def test_graph_is_a_snapshot():
    L = lecture_L()[0]
    g = trace(L)
    L.data = 123.0
    assert g.data[g.root] == -8.0
    with pytest.raises(ValueError):
        g.data[0] = 1.0


def test_shared_operands_and_a_plus_a():
    a = Value(3.0, label="a")
    b = a + a; b.label = "b"
    g = trace(b)
    assert len(g) == 2 and g.children[1] == (0, 0)


def test_trace_deep_chain_iteratively():
    n = 1_000_000
    x = Value(0.5, label="x")
    y = x
    for _ in range(n):
        y = -y
    g = trace(y)
    assert sys.getrecursionlimit() <= 10_000
    assert len(g) == n + 1
    assert g.kinds[0] == "input" and g.kinds[-1] == "output"
    assert g.child_ids.tolist()[:3] == [0, 1, 2] and int(g.child_ids[-1]) == n - 1
    assert g.data[-1] == 0.5 and g.data[1] == -0.5


def test_cycle_made_by_editing_prev_is_reported():
    a = Value(1.0, label="a")
    b = a * 2.0; b.label = "b"
    c = b + 1.0; c.label = "c"
    a._prev = (c,)
    with pytest.raises(ValueError, match="cycle"):
        trace(c)
    with pytest.raises(ValueError, match="cycle"):
        to_networkx(c)


def test_as_graph():
    L = lecture_L()[0]
    g = as_graph(L)
    assert isinstance(g, Graph) and as_graph(g) is g and trace(g) is g
    with pytest.raises(TypeError, match="root Value or a Graph"):
        as_graph([L])
    with pytest.raises(TypeError, match="Value or a Graph"):
        trace(3.0)


def test_lazy_exports():
    assert gradviz.trace is trace and gradviz.Graph is Graph and gradviz.to_networkx is to_networkx


def test_graph_constructor_checks_topological_children():
    with pytest.raises(ValueError, match="earlier"):
        Graph(["a", "b"], [1.0, 2.0], [0.0, 0.0], ["", "neg"], ["input", "output"], ["", ""], [[1], [0]])
    with pytest.raises(ValueError, match="lengths"):
        Graph(["a"], [1.0, 2.0], [0.0], [""], ["output"], [""], [[]])


# ---- JSON ----------------------------------------------------------------------------------

def test_json_round_trip_is_exact_with_special_floats():
    a = Value(float("nan"), label="a")
    b = Value(-0.0, label="b")
    c = Value(float("inf"), label="c")
    d = a * b + c
    d.label = "d"
    e = (d - float("inf")) + 1e-310
    g = trace(e)
    g2 = Graph.from_json(g.to_json())
    assert_same_graph(g, g2)
    assert g2.values is None
    assert math.copysign(1.0, g2.data[by_label(g2)["b"]]) == -1.0
    # the text is strict JSON: no bare NaN/Infinity tokens
    doc = json.loads(g.to_json(), parse_constant=lambda t: pytest.fail(f"non-standard token {t}"))
    assert doc["schema"] == "gradviz.graph" and doc["version"] == SCHEMA_VERSION and doc["n"] == len(g)


def test_json_round_trip_mlp_graph_with_grads():
    m = MLP(3, [4, 4, 1])
    L = m([Value(0.1), Value(-0.7), Value(2.5)]).tanh() ** 2
    L.backward()
    g = trace(L)
    assert_same_graph(g, Graph.from_json(g.to_json()))
    assert Graph.from_json(json.loads(g.to_json())).labels == g.labels  # a parsed dict works too


def test_json_round_trip_torch_graph_with_meta():
    meta = [{"shape": (3, 4), "dtype": "torch.float64", "requires_grad": True},
            {"shape": (), "values": [1.5, float("nan"), -0.0], "nested": {"k": (1, [2, (3,)])}},
            {"$tuple": "a user key that looks like a tag", "inf": float("-inf")},
            {}]
    g = Graph(["x", "w", "", "loss"], [0.5, float("inf"), -0.0, 2.0], [1.0, 0.0, float("nan"), 1.0],
              ["", "", "MmBackward0", "SumBackward0"], ["input", "parameter", "intermediate", "output"],
              ["", "fc", "fc", ""], [[], [], [0, 1], [2]], meta=meta, source="torch")
    g2 = Graph.from_json(g.to_json(indent=1))
    assert_same_graph(g, g2)
    assert g2.source == "torch" and g2.meta[0]["shape"] == (3, 4) and isinstance(g2.meta[0]["shape"], tuple)
    assert isinstance(g2.meta[1]["nested"]["k"][1][1], tuple)
    assert math.isnan(g2.meta[1]["values"][1]) and math.copysign(1, g2.meta[1]["values"][2]) == -1


def test_meta_that_json_cannot_hold_is_refused():
    g = Graph(["x"], [1.0], [0.0], [""], ["output"], [""], [[]], meta=[{"obj": object()}])
    with pytest.raises(TypeError, match="meta of node 0"):
        g.to_json()


@pytest.mark.parametrize("doc, match", [
    ('{"schema": "other"}', "not a gradviz graph"),
    ('[1, 2]', "not a gradviz graph"),
    ('{"schema": "gradviz.graph", "version": 99}', "version 99"),
    ('{"schema": "gradviz.graph", "version": 1, "n": 2, "labels": ["a"]}', "labels"),
])
def test_from_json_rejects_bad_documents(doc, match):
    with pytest.raises(ValueError, match=match):
        Graph.from_json(doc)


def test_from_json_rejects_non_topological_children():
    doc = json.loads(trace(lecture_L()[0]).to_json())
    doc["children"][0] = [5]
    with pytest.raises(ValueError, match="earlier nodes"):
        Graph.from_json(doc)
    doc = json.loads(trace(lecture_L()[0]).to_json())
    doc["data"][0] = "lots"
    with pytest.raises(ValueError, match="'data'"):
        Graph.from_json(doc)


# ---- networkx ------------------------------------------------------------------------------

def test_to_networkx_nodes_edges_and_attributes():
    nx = pytest.importorskip("networkx")
    L = lecture_L()[0]
    L.backward()
    G = to_networkx(L)
    g = trace(L)
    ids = by_label(g)
    assert isinstance(G, nx.DiGraph) and G.number_of_nodes() == 7 and G.number_of_edges() == 6
    a = G.nodes[ids["a"]]
    assert a == {"label": "a", "data": 2.0, "grad": 6.0, "op": "", "kind": "input", "scope": ""}
    assert G.nodes[ids["L"]]["kind"] == "output" and G.nodes[ids["e"]]["op"] == "*"
    assert G.has_edge(ids["a"], ids["e"]) and not G.has_edge(ids["e"], ids["a"])  # child -> parent
    assert G.edges[ids["b"], ids["e"]]["operand"] == 1 and G.edges[ids["a"], ids["e"]]["operand"] == 0
    assert nx.is_directed_acyclic_graph(G)
    assert list(nx.topological_sort(G))[-1] == ids["L"]
    assert G.graph["root"] == ids["L"]
    assert to_networkx(g).nodes(data=True) == G.nodes(data=True)  # a Graph works too


def test_to_networkx_a_plus_a_keeps_both_operands():
    pytest.importorskip("networkx")
    a = Value(3.0, label="a")
    G = to_networkx(a + a)
    assert G.number_of_edges() == 1 and G.edges[0, 1]["operands"] == (0, 1)


def test_to_networkx_without_networkx(monkeypatch):
    monkeypatch.setitem(sys.modules, "networkx", None)
    with pytest.raises(ImportError, match=r'pip install "gradviz-explorer\[export\]"'):
        to_networkx(lecture_L()[0])


def test_traced_scopes_are_each_values_scope_path():
    """trace builds each call's path on its parent's; every node's scope is still scope_path."""
    from gradviz.graph.trace import scope_path
    m = MLP(2, [3, 2, 1])
    loss = sum((m([0.1 * i, -0.2]) for i in range(4)), m([1.0, 1.0]))
    order = loss.topo()
    scopes = trace(loss).scopes
    assert scopes == tuple(scope_path(v._scope) for v in order)
    assert "MLP#2/layers.1/neurons.1" in scopes and "layers.1/neurons.1" in scopes
