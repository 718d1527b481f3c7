"""The backward pass's bookkeeping: the exact order it visits nodes in, what it leaves behind when
interrupted, how it adds into ``.grad`` (signed zeros included), and how little memory it takes."""
import gc
import math
import random
import tracemalloc

import pytest

from gradviz import Value


def reference_order(root):
    """Depth-first post-order over ``_prev``, first operand first: the order ``topo()`` promises
    (and the order gradients are summed in, so it fixes every last bit of them)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node._prev) if id(c) not in seen)
    return order


def random_graph(rng, ops):
    """Built-in ops, squares (x * x), three-child nodes and lecture-style custom ops, with shared
    children, on a few leaves."""
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(rng.randint(1, 5))]
    for _ in range(ops):
        x, y, z = rng.choice(nodes), rng.choice(nodes), rng.choice(nodes)
        k = rng.randrange(6)
        if k == 0:
            v = x + y
        elif k == 1:
            v = x * x
        elif k == 2:
            v = (x - y).tanh()
        elif k == 3:
            v = Value(x.data + y.data + z.data, (x, y, z), "sum3")  # no rule: passes nothing
        elif k == 4:
            v = Value(x.data ** 3, (x,), "cube")

            def cube_backward(v=v, x=x):
                x.grad += 3 * x.data ** 2 * v.grad
            v._backward = cube_backward
        else:
            v = x.relu() * y
        nodes.append(v)
    return nodes


def test_topo_is_the_depth_first_post_order_in_operand_order():
    rng = random.Random(7)
    for _ in range(200):
        nodes = random_graph(rng, rng.randint(0, 120))
        root = nodes[-1] if rng.random() < 0.5 else sum(nodes[1:], nodes[0])
        assert [id(n) for n in root.topo()] == [id(n) for n in reference_order(root)]
        assert all(n._g is None for n in nodes)  # no visit marks left behind


def test_backward_sums_in_topo_order_bit_for_bit():
    """Every .grad is the sum, in reverse topological order, of what each parent's rule adds."""
    rng = random.Random(3)
    for _ in range(50):
        nodes = random_graph(rng, 80)
        root = sum(nodes[1:], nodes[0])
        root.backward()
        got = {id(n): n.grad for n in nodes}
        for n in root.topo():
            n.grad = 0.0
        grads = {id(root): 1.0}
        for n in reversed(reference_order(root)):  # the lecture's loop, with .grad summed in place
            n.grad = grads.get(id(n), 0.0)
            a, b = (n._prev + (None, None))[:2]
            if n._backward is not None:
                if n._prev:
                    n._backward()  # adds into the children's .grad: moved into grads below
                pairs = []
            elif n._op == "+":
                pairs = [(a, n.grad), (b, n.grad)]
            elif n._op == "-":
                pairs = [(a, n.grad), (b, -n.grad)]
            elif n._op == "*":
                pairs = [(a, b.data * n.grad), (b, a.data * n.grad)]
            elif n._op == "tanh":
                pairs = [(a, (1.0 - n.data * n.data) * n.grad)]
            elif n._op == "relu":
                pairs = [] if a.data <= 0.0 else [(a, n.grad)]
            else:
                pairs = []
            for c, d in pairs:
                grads[id(c)] = grads.get(id(c), 0.0) + d
            for c in n._prev:  # what a custom op's closure added (children are not visited yet)
                if c.grad != 0.0:
                    grads[id(c)] = grads.get(id(c), 0.0) + c.grad
                    c.grad = 0.0
        for n in nodes:
            assert got[id(n)] == n.grad or (math.isnan(got[id(n)]) and math.isnan(n.grad)), n


@pytest.mark.parametrize("before", [0.0, -0.0, 2.5])
def test_backward_adds_to_grad_as_ieee_floats_do_signed_zeros_included(before):
    w = Value(1.5, label="w")
    dead = (w * -1.0).relu()  # passes no gradient: w's pass gradient is a zero
    live = Value(0.0, label="live")
    root = dead + live * w  # live's pass gradient is w.data; w's is live.data * 1.0 = 0.0
    for v in (w, live):
        v.grad = before
    root.backward()
    for v, pass_grad in ((w, 0.0), (live, 1.5)):
        expect = before + pass_grad
        assert v.grad == expect and math.copysign(1.0, v.grad) == math.copysign(1.0, expect)
    assert math.copysign(1.0, dead.grad) == 1.0 and dead.grad == 1.0


class _Interrupting(Value):
    """A Value whose visit mark cannot be read: ordering the graph is interrupted there."""
    __slots__ = ()

    @property
    def _g(self):
        raise KeyboardInterrupt

    @_g.setter
    def _g(self, mark):
        pass


def test_interrupted_ordering_leaves_no_visit_marks():
    x = Value(2.0, label="x")
    y = x * x; y.label = "y"
    z = y * 3.0; z.label = "z"
    y._prev = (x, _Interrupting(1.0))
    with pytest.raises(KeyboardInterrupt):
        z.backward()
    with pytest.raises(KeyboardInterrupt):
        z.topo()
    assert [v._g for v in (x, y, z)] == [None] * 3
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)
    y._prev = (x, x)
    z.backward()  # a stale mark would skip nodes here
    assert (x.grad, y.grad, z.grad) == (12.0, 3.0, 1.0)


def test_backward_of_a_wide_graph_takes_a_few_bytes_a_node():
    """The pass keeps one new float a node at most, and none for a zero gradient (most of a ReLU
    net's, below the units that are off): under 16 bytes a node, its place in the order (8) included."""
    rng = random.Random(1)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(200)]
    acts = []
    for unit in range(40):
        s = Value(-1000.0 if unit % 4 else 0.5)  # three units in four are off
        for x in xs:
            s = s + x * rng.uniform(-1, 1)
        acts.append(s.relu())
    root = sum(acts[1:], acts[0])
    nodes = len(root.topo())
    gc.collect()
    tracemalloc.start()
    try:
        root.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert nodes > 16_000
    assert peak / nodes < 16, f"{peak / nodes:.1f} bytes a node"
