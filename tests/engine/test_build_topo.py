"""The lecture's recursive ``build_topo`` is the reference: the engine's iterative order
(``Value._ordered``, what ``topo()`` and ``backward()`` use) must be exactly the same list on small
graphs, including shared subexpressions and an operand used twice (``a + a``)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gradviz import Value
from learner import build_topo  # the lecture's, verbatim but for the names (_prev is in operand order in gradviz)
from testenv import lecture_L

BINARY = ("+", "*", "-")
UNARY = ("tanh", "neg", "relu")


def _graph(steps, leaves):
    """A graph built from ``steps``: each (op, i, j) combines two earlier nodes (any of them,
    so nodes are shared and an operand can repeat) or applies a unary op to one."""
    nodes = [Value(float(x), label=f"x{k}") for k, x in enumerate(leaves)]
    for op, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op == "+":
            nodes.append(a + b)
        elif op == "*":
            nodes.append(a * b)
        elif op == "-":
            nodes.append(a - b)
        else:
            nodes.append(getattr(a, op)() if op != "neg" else -a)
    return nodes[-1]


@given(st.lists(st.tuples(st.sampled_from(BINARY + UNARY), st.integers(0, 50), st.integers(0, 50)),
                min_size=1, max_size=25),
       st.lists(st.floats(-2, 2), min_size=1, max_size=5))
def test_the_engine_orders_as_the_lectures_build_topo(steps, leaves):
    root = _graph(steps, leaves)
    assert root.topo() == build_topo(root)


def test_the_lectures_example_orders_the_same():
    L, nodes = lecture_L()
    a = nodes["a"]
    assert [v.label for v in L.topo()] == [v.label for v in build_topo(L)] == ["a", "b", "e", "c", "d", "f", "L"]
    twice = a + a  # one node, met twice: listed once
    assert twice.topo() == build_topo(twice) == [a, twice]
