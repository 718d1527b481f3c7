"""Layout: positions are sane (edges go with the rank direction, nothing overlaps, deterministic),
look like the lecture's drawings, and group views partition the graph correctly."""
import json
import random

import numpy as np
import pytest

import testenv
from benchmarks import workload
from gradviz import MLP, Value, mse_loss
from gradviz.draw.layout import GroupView, Layout, group_view, layout
from gradviz.graph import trace


def lecture_L():
    """The lecture's L = (a*b + c) * f = -8, backpropagated."""
    L, _ = testenv.lecture_L()
    L.backward()
    return L


def lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.label = "o"
    o.backward()
    return o


def mlp_loss(n_samples=4, seed=3):
    random.seed(seed)
    m = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]][:n_samples]
    outs = [m(x) for x in xs]
    loss = mse_loss(outs, [1.0, -1.0, -1.0, 1.0][:n_samples], reduction="sum")
    loss.backward()
    return loss, outs


def small_moons(n=5):
    X, y = workload.moons(n)
    model = workload.gradviz_model()
    loss = workload.gradviz_loss(model, X, y)
    loss.backward()
    return loss


def rects(lay):
    """(x0, y0, x1, y1) of every record and op ellipse's bounding box."""
    has = ~np.isnan(lay.op_x)
    cx = np.concatenate([lay.x, lay.op_x[has]])
    cy = np.concatenate([lay.y, lay.op_y[has]])
    w = np.concatenate([lay.w, lay.op_w[has]])
    h = np.concatenate([lay.h, lay.op_h[has]])
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def assert_no_overlap(lay):
    r = rects(lay)
    for i in range(0, len(r), 1000):
        a = r[i:i + 1000, None, :]
        ov = (a[..., 0] < r[None, :, 2] - 1e-6) & (r[None, :, 0] < a[..., 2] - 1e-6) & \
             (a[..., 1] < r[None, :, 3] - 1e-6) & (r[None, :, 1] < a[..., 3] - 1e-6)
        rows, cols = np.nonzero(ov)
        bad = [(i + p, q) for p, q in zip(rows.tolist(), cols.tolist()) if i + p != q]
        assert not bad, f"overlapping boxes {bad[:5]}"
    assert (r[:, 0] >= 0).all() and (r[:, 1] >= 0).all()
    assert (r[:, 2] <= lay.width + 1e-6).all() and (r[:, 3] <= lay.height + 1e-6).all()


def assert_flows(lay, axis=0, sign=1):
    """Every edge leaves its child's far side and reaches the parent's op (or record) near side."""
    pos = [lay.x, lay.y][axis]
    size = [lay.w, lay.h][axis]
    op_pos = [lay.op_x, lay.op_y][axis]
    op_size = [lay.op_w, lay.op_h][axis]
    c, p = lay.edges[:, 0], lay.edges[:, 1]
    has = ~np.isnan(op_pos[p])
    tgt_near = np.where(has, op_pos[p] - sign * np.nan_to_num(op_size[p]) / 2, pos[p] - sign * size[p] / 2)
    assert (sign * (tgt_near - (pos[c] + sign * size[c] / 2)) > 0).all()
    has = ~np.isnan(op_pos)
    # the op ellipse sits just before its value
    assert (sign * ((pos[has] - sign * size[has] / 2) - (op_pos[has] + sign * op_size[has] / 2)) > 0).all()
    for k in range(len(lay.edges)):  # routes run monotonically along the rank axis
        r = lay.route(k)[:, axis]
        assert (sign * np.diff(r) > 0).all()


@pytest.mark.parametrize("make", [lecture_L, lecture_neuron, lambda: mlp_loss()[0],
                                  lambda: mlp_loss()[1][0]])
def test_lecture_graphs_flow_left_to_right_without_overlap(make):
    root = make()
    lay = layout(root)
    g = trace(root)
    assert isinstance(lay, Layout) and lay.mode == "layered"
    assert len(lay) == len(g) and len(lay.x) == len(g)
    assert_flows(lay)
    assert_no_overlap(lay)
    # every computed value has an ellipse, leaves have none
    assert np.array_equal(np.isnan(lay.op_x), np.array([not op for op in g.ops]))
    # sizes fit the record text "label | data 0.0000 | grad 0.0000" at ~7 px a character
    for i in range(len(g)):
        text = len(g.labels[i]) + len("data %.4f" % g.data[i]) + len("grad %.4f" % g.grad[i])
        assert 6 * text <= lay.w[i] <= 9 * text + 60


@pytest.mark.parametrize("rankdir,axis,sign", [("TB", 1, 1), ("RL", 0, -1), ("BT", 1, -1)])
def test_other_directions(rankdir, axis, sign):
    lay = layout(mlp_loss(2)[0], rankdir=rankdir)
    assert_flows(lay, axis, sign)
    assert_no_overlap(lay)


def test_looks_like_the_lecture_L_graph():
    g_root = lecture_L()
    g = trace(g_root)
    lay = layout(g)
    idx = {g.labels[i]: i for i in range(len(g))}
    # ranks as in the lecture's picture: a, b | * | e, c | + | d, f | * | L
    assert lay.rank[idx["a"]] == lay.rank[idx["b"]] < lay.rank[idx["e"]]
    assert lay.rank[idx["c"]] == lay.rank[idx["e"]]
    assert lay.rank[idx["f"]] == lay.rank[idx["d"]] < lay.rank[idx["L"]]
    # operands top to bottom in operand order, op ellipses level with their values
    assert lay.y[idx["a"]] < lay.y[idx["b"]]
    assert lay.y[idx["e"]] < lay.y[idx["c"]]
    for v in "edL":
        assert abs(lay.op_y[idx[v]] - lay.y[idx[v]]) < 1.0
    # the result sits between its two operands
    lo, hi = sorted([lay.y[idx["d"]], lay.y[idx["f"]]])
    assert lo <= lay.y[idx["L"]] <= hi


def test_deterministic():
    a = layout(mlp_loss()[0]).to_dict()
    b = layout(mlp_loss()[0]).to_dict()  # a fresh, identical graph
    assert a == b
    json.dumps(a, allow_nan=False)


def test_big_graph_uses_fast_mode_and_stays_sane():
    lay = layout(small_moons(5))
    assert lay.mode == "fast"
    assert_flows(lay)
    assert_no_overlap(lay)


def test_deep_chain_no_recursion():
    v = Value(0.5, label="x")
    for _ in range(100_000):
        v = v.tanh()
    g = trace(v)
    lay = layout(g)
    assert len(lay) == len(g) == 100_001
    assert (np.diff(lay.x) > 0).all() and (lay.op_x[1:] < lay.x[1:]).all()
    view = group_view(g, "auto")
    assert len(view) <= 200
    assert int(view.count.sum()) == len(g)


# ---- groups -----------------------------------------------------------------------------

def check_partition(view):
    g = view.graph
    n = len(g)
    assert int(view.count.sum()) == n
    allm = np.concatenate([view.members(b) for b in range(len(view))])
    assert np.array_equal(np.sort(allm), np.arange(n))
    for b in range(len(view)):
        assert (view.box_of[view.members(b)] == b).all()
    # view edges are exactly the original edges that cross boxes, and run forward
    want = {(int(view.box_of[c]), int(view.box_of[p])) for c, p in g.edges
            if view.box_of[c] != view.box_of[p]}
    assert set(map(tuple, view.edges.tolist())) == want
    assert (view.edges[:, 0] < view.edges[:, 1]).all()


def test_no_collapse_is_identity():
    g = trace(lecture_L())
    v = group_view(g)
    assert isinstance(v, GroupView) and len(v) == len(g) and not v.is_group.any()
    assert np.array_equal(v.node, np.arange(len(g)))
    check_partition(v)
    assert group_view(g, "auto").collapsed == ()  # small graphs stay whole


def test_sample_layer_neuron_and_parameter_groups():
    loss, outs = mlp_loss()
    g = trace(loss)
    pos = {id(v): i for i, v in enumerate(g.values)}
    samples = sorted({s.split("/")[0] for s in g.scopes if "#" in s})
    assert len(samples) == 4
    s0 = samples[0]
    v = group_view(g, [s0, f"{samples[1]}/layers.0", f"{samples[1]}/layers.2/neurons.0",
                       "layers.0"])
    check_partition(v)
    groups = v.groups()
    # a sample: 3 inputs + 4*(3 * and 3 + and tanh) + 4*(4 * and 4 + and tanh) + (4 * 4 + tanh)
    b = groups[s0]
    assert v.count[b] == 3 + 4 * 7 + 4 * 9 + 9
    out0 = pos[id(outs[0])]
    assert v.node[b] == out0 and v.n_outputs[b] == 1  # the sample's prediction leaves the group
    assert v.box_of[out0] == b
    # a layer call has one output per neuron; a neuron call one output
    assert v.n_outputs[groups[f"{samples[1]}/layers.0"]] == 4
    nb = groups[f"{samples[1]}/layers.2/neurons.0"]
    assert v.node[nb] == pos[id(outs[1])] and v.count[nb] == 9
    # parameters of layer 0: 4 neurons of 3 weights and a bias
    pb = groups["layers.0"]
    assert v.count[pb] == 16 and v.kinds[pb] == "group"
    assert all(g.kinds[i] == "parameter" for i in v.members(pb))
    # the layout of a view is sane too
    lay = layout(v)
    assert_flows(lay)
    assert_no_overlap(lay)


def test_outermost_collapsed_scope_wins():
    g = trace(mlp_loss()[0])
    s0 = sorted({s.split("/")[0] for s in g.scopes if "#" in s})[0]
    inner = group_view(g, [f"{s0}/layers.1"])
    both = group_view(g, [f"{s0}/layers.1", s0])
    assert list(both.groups()) == [s0]
    assert len(both) < len(inner)


def test_auto_on_a_many_sample_graph():
    loss = small_moons(10)
    g = trace(loss)
    v = group_view(loss, "auto", max_boxes=200)
    check_partition(v)
    assert len(v) <= 200
    groups = v.groups()
    samples = {s.split("/")[0] for s in g.scopes if "#" in s}
    assert len(samples) == 10 and samples <= set(groups)  # one box per sample
    for s in samples:
        assert v.n_outputs[groups[s]] == 1
    root_box = v.box_of[len(g) - 1]
    assert not v.is_group[root_box] and root_box == len(v) - 1
    # the view can be re-expanded: pass the resolved keys back without one sample
    keep = [k for k in v.collapsed if k != sorted(samples)[0]]
    v2 = group_view(g, keep)
    check_partition(v2)
    assert len(v2) > len(v)


def test_fold_groups_the_loss_tree():
    g = trace(mlp_loss()[0])
    n = len(g)
    # the loss: sum of (pred - y) ** 2; folding the root's operand tree
    head = g.children[n - 1][0]
    v = group_view(g, [f"fold:{head}"])
    check_partition(v)
    b = v.box_of[head]
    assert v.is_group[b] and v.node[b] == head
    assert all(not g.scopes[i] for i in v.members(b))


def test_bad_keys_and_arguments():
    g = trace(lecture_L())
    with pytest.raises(ValueError, match="MLP#99"):
        group_view(g, ["MLP#99"])
    with pytest.raises(ValueError, match="auto"):
        group_view(g, "everything")
    with pytest.raises(ValueError, match="fold"):
        group_view(g, ["fold:x"])
    with pytest.raises(ValueError, match="rankdir"):
        layout(g, rankdir="diagonal")
    with pytest.raises(TypeError):
        layout(3.0)


def _model_chain(stages=6):
    """A model-shaped graph: an activation chain where every stage takes a weight and a bias, and
    a transposed weight (a computed side branch) that joins at the end, as a Linear's does."""
    h = Value(0.5, label="x")
    spine = [h]
    for i in range(stages):
        h = (h * Value(0.3 + i / 10, label=f"weight{i}") + Value(0.1, label=f"bias{i}")).tanh()
        spine.append(h)
    side = Value(0.7, label="classifier.weight").exp()
    out = h * side
    out.backward()
    return out, spine


def test_a_model_chain_runs_straight_with_its_parameters_beside_it():
    out, _ = _model_chain()
    L = layout(out, rankdir="TB")
    g, node = L.view.graph, L.view.node.tolist()
    box = {g.labels[i]: b for b, i in enumerate(node) if g.labels[i]}
    tanh = [b for b, i in enumerate(node) if g.ops[i] == "tanh"]
    assert len(tanh) == 6
    xs = [float(L.x[b]) for b in tanh]
    # the activations stack in one column (it drifted by most of a record per stage before)
    assert max(xs) - min(xs) < 0.25 * float(np.median(L.w)), xs
    # each weight and bias sits in the rank just before its consumer, beside the chain, and the
    # side branch (exp of a weight) is drawn next to where it joins, not from the top
    for k in range(6):
        for name in (f"weight{k}", f"bias{k}"):
            assert abs(float(L.x[box[name]]) - xs[k]) < 2.5 * float(L.w.max()), name
    join = [b for b, i in enumerate(node) if g.ops[i] == "exp"][0]
    assert L.rank[join] >= L.rank[tanh[-1]] - 1
