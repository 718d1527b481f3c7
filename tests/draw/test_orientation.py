"""Orientation by shape (issue 25): the lecture's small graph stays left to right, graphs too long
for that (the neuron, tanh from exp, captured models) are drawn top to bottom; the widget picks it,
takes it as an argument and switches it; the page gets every route it cannot draw straight."""
from __future__ import annotations

import numpy as np
import pytest

from benchmarks.screenshots import lecture, neuron  # the README screenshots' graphs
from gradviz import GraphWidget, Value, draw_dot, to_svg
from gradviz.draw.layout import READABLE, VIEW_BOX, layout, orientation
from gradviz.draw.placement import bent_routes


def fit_scale(lay, box=VIEW_BOX):
    return min(box[0] / lay.width, box[1] / lay.height, 1.5)


def test_lecture_graph_fits_readable_left_to_right():
    lay = layout(lecture())
    assert orientation(lay) == "LR"
    assert fit_scale(lay, (900 - 32, 420 - 32)) >= READABLE  # whole, text >= 10 px, in a 900 px output


@pytest.mark.parametrize("make", [lambda: neuron(), lambda: neuron(tanh_from_exp=True)], ids=["neuron", "tanh_exp"])
def test_graphs_too_long_for_a_row_go_top_to_bottom_and_then_fit(make):
    lr = layout(make())
    assert fit_scale(lr) < READABLE
    assert orientation(lr) == "TB"
    tb = layout(make(), rankdir="TB")
    assert fit_scale(tb, (900 - 32, 640 - 32)) >= READABLE
    # the estimate orientation() makes of the top-to-bottom size is close to the real one
    assert tb.height < lr.width and tb.width < 900


def test_a_chain_is_drawn_top_to_bottom():
    x = Value(0.5, label="x")
    y = x
    for _ in range(30):
        y = (y * 0.9).tanh()
    lay = layout(y)
    assert orientation(lay) == "TB"
    assert orientation(layout(y, rankdir="TB")) == "LR"  # only a left-to-right layout is judged


def test_widget_picks_the_orientation_and_its_height_unless_told():
    w = GraphWidget(lecture())
    assert w.rankdir == "LR" and w.height == 420 and w._view["rankdir"] == "LR"
    w = GraphWidget(neuron())
    assert w.rankdir == "TB" and w.height == 640 and w._view["rankdir"] == "TB"
    w = GraphWidget(neuron(), rankdir="LR", height=300)
    assert w.rankdir == "LR" and w.height == 300
    with pytest.raises(ValueError, match="rankdir='sideways'.*'TB' \\(top to bottom\\)"):
        GraphWidget(lecture(), rankdir="sideways")


def test_switching_the_orientation_lays_the_view_out_again():
    w = GraphWidget(lecture())
    before = w.drawing()
    w.rankdir = "TB"  # what the page's orientation button sends
    after = w.drawing()
    assert w._view["rankdir"] == "TB"
    # the output (L) is now below its operands rather than to their right
    i_L, i_d = len(w.graph) - 1, w.graph.labels.index("d")
    assert after["box_y"][i_L] > after["box_y"][i_d] and before["box_x"][i_L] > before["box_x"][i_d]
    w.rankdir = "diagonal"
    assert w.rankdir == "TB" and "rankdir='diagonal'" in w.error


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_straight_edges_send_no_route_in_any_direction(rankdir):
    """The page draws an edge without a route from the child's far side to the parent's near
    side along the ranks; Python sends only routes that differ, in every direction."""
    x = Value(0.5, label="x")
    y = ((x * 2.0).tanh() * 3.0).exp()
    lay = layout(y, rankdir=rankdir)
    edges = np.asarray(lay.edges)
    keep, _, _ = bent_routes(lay, edges, np.asarray(lay.route_ptr) * 2, np.asarray(lay.route_xy).ravel())
    assert len(keep) == 0


def test_draw_dot_and_to_svg_take_graphviz_rankdir_names():
    L = lecture()
    assert 'rankdir=TB' in draw_dot(L, rankdir="TB").source
    def size(svg):
        return float(svg.split('width="')[1].split('"')[0]), float(svg.split('height="')[1].split('"')[0])
    (w_lr, h_lr), (w_tb, h_tb) = size(to_svg(L)), size(to_svg(L, rankdir="TB"))
    assert h_tb > 2 * h_lr and w_tb < w_lr  # top to bottom: the ranks stack up
    with pytest.raises(ValueError, match="rankdir"):
        to_svg(L, rankdir="up")


def test_draw_dot_and_to_svg_take_auto_as_the_widget_does():
    """rankdir="auto": the orientation the widget opens with, for a picture outside a notebook."""
    L, n = lecture(), neuron()
    assert to_svg(L, rankdir="auto") == to_svg(L, rankdir="LR")
    assert to_svg(n, rankdir="auto") == to_svg(n, rankdir="TB")
    assert GraphWidget(n).rankdir == "TB" and GraphWidget(L).rankdir == "LR"
    assert "rankdir=TB" in draw_dot(n, rankdir="auto").source and "rankdir=LR" in draw_dot(L, rankdir="auto").source
    with pytest.raises(ValueError, match="or 'auto'"):
        draw_dot(L, rankdir="diagonal")
