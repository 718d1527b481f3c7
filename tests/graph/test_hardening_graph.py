"""Issue 22, graph input: JSON that Python cannot hold as floats, graphs that nothing can draw
(refused where they enter), an exact JSON round trip, ``Graph.n``."""
import json
import random

import pytest

from gradviz import Graph, Value, trace


def lecture_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b + Value(10.0, label="c")
    L.label = "L"
    return trace(L)


def doc():
    return json.loads(lecture_graph().to_json())


@pytest.mark.parametrize("column", ["data", "grad"])
def test_a_400_digit_integer_is_a_value_error_naming_the_node(column):
    d = doc()
    d[column][1] = 10 ** 400
    with pytest.raises(ValueError, match=rf"'{column}' of node 1 is an integer of 401 digits, beyond the "
                                         r"float range"):
        Graph.from_json(d)
    g = lecture_graph()
    cols = {"data": list(g.data), "grad": list(g.grad)}
    cols[column][1] = -(10 ** 400)
    with pytest.raises(ValueError, match=rf"'{column}' of node 1 is an integer of 401 digits"):
        Graph(g.labels, cols["data"], cols["grad"], g.ops, g.kinds, g.scopes, g.children)


def test_a_leaf_with_an_op_is_refused_where_it_enters():
    d = doc()
    d["ops"][0] = "*"
    with pytest.raises(ValueError, match=r"node 0 \('a'\) is a leaf \(no children\) with op '\*'"):
        Graph.from_json(d)
    b = Value(3.0, (), "x", label="b")  # built by hand: an op, but no operands
    with pytest.raises(ValueError, match=r"node 1 \('b'\) is a leaf .* with op 'x'.*make its op"):
        trace(Value(2.0) * b)


def test_a_graph_of_disconnected_nodes_is_refused():
    d = doc()
    d["children"] = [[] for _ in d["children"]]
    d["ops"] = ["" for _ in d["ops"]]
    with pytest.raises(ValueError, match="the 5 nodes are all disconnected"):
        Graph.from_json(d)
    assert len(Graph.from_json({**d, "n": 1, **{c: d[c][:1] for c in (
        "labels", "ops", "kinds", "scopes", "data", "grad", "children")}})) == 1  # one node is fine


@pytest.mark.parametrize("mark", [{}, [], {"a": 1}, [1], 3])
def test_a_backward_mark_that_is_not_a_string_is_refused(mark):
    d = doc()
    d["meta"] = [None] * d["n"]
    d["meta"][-1] = {"backward": mark}
    with pytest.raises(ValueError, match=r"'meta' of node 4 has \"backward\": .*it is a string"):
        Graph.from_json(d)
    d["meta"][-1] = {"backward": "custom"}
    assert Graph.from_json(d).meta[-1]["backward"] == "custom"


def _random_meta(rng, depth=0):
    kind = rng.randrange(6 if depth < 3 else 3)
    if kind == 0:
        return rng.choice([None, True, 3, -2.5, "s", float("inf")])
    if kind == 1:
        return rng.choice(["x", 0, 1.5])
    if kind == 2:
        return str(rng.random())
    if kind == 3:
        return [_random_meta(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 4:
        return tuple(_random_meta(rng, depth + 1) for _ in range(rng.randrange(4)))
    return {rng.choice("zyxwvu") + str(j): _random_meta(rng, depth + 1) for j in range(rng.randrange(5))}


def test_the_json_round_trip_is_exact_with_meta_key_order():
    rng = random.Random(22)
    g0 = lecture_graph()
    for _ in range(300):
        meta = [{f"k{rng.randrange(99)}": _random_meta(rng), "b": _random_meta(rng),
                 "a": {"z": 1, "y": {"q": 2, "p": 3}}} for _ in range(len(g0))]
        g = Graph(g0.labels, g0.data, g0.grad, g0.ops, g0.kinds, g0.scopes, g0.children, meta=meta)
        text = g.to_json()
        back = Graph.from_json(text)
        assert back.to_json() == text
        assert [list(m) for m in back.meta] == [list(m) for m in meta]
        assert list(back.meta[0]["a"]["y"]) == ["q", "p"]


def test_graph_n_is_the_node_count_of_the_json():
    g = lecture_graph()
    assert g.n == len(g) == json.loads(g.to_json())["n"] == 5
    assert Graph.from_json(g.to_json()).n == 5
