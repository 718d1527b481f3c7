"""The health and diff overlays as data: marks per node, legends, to_svg outlines, the widget's
traits (what a saved notebook and a standalone page carry), select() and first_nonfinite."""
import math
import re

import numpy as np
import pytest
from test_diagnose import deep_tanh

import gradviz
from gradviz import GraphWidget, Value, first_nonfinite, to_html, to_svg, trace
from gradviz.draw.overlay import NONE, diff_overlay, health_overlay, make_overlay
from testenv import overflow


def test_health_overlay_marks_the_most_serious_flag_and_the_layers():
    _, loss = deep_tanh(0.05, depth=3, width=6, samples=2)
    ov = health_overlay(loss)
    r = ov.report
    keys = [e["key"] for e in ov.legend]
    for i in r.nodes("vanishing"):
        assert keys[ov.mark[i]] == "vanishing"
    layer_only = [i for i in r.nodes("layer") if r.codes[i] == 32]
    assert layer_only and all(keys[ov.mark[i]] == "layer" for i in layer_only)
    unflagged = np.flatnonzero(r.codes == 0)
    assert (ov.mark[unflagged] == NONE).all()
    assert ov.layers == [l.name for l in r.layers]
    i = r.nodes("vanishing")[0]
    assert ov.layers[ov.layer[i]] == "layers.0" and ov.tip(i) == "health: vanishing gradient, in a flagged layer (layer layers.0)"
    ov = health_overlay(overflow())
    assert ov.first == 2 and "'big' (*)" in ov.first_text and keys[ov.mark[2]] == "nonfinite"


def test_diff_overlay_bins_relative_change():
    a = Value(2.0, label="a")
    b = (a * 3).tanh()
    g0 = trace(b)
    a.data = 2.5
    ov = diff_overlay(g0, (a * 3).tanh())
    texts = [e["text"] for e in ov.legend]
    assert ov.mark[1] == NONE  # the constant 3: unchanged
    assert texts[ov.mark[0]] == "relative change < 100%"  # a: 25 %
    assert texts[ov.mark[3]] == "relative change < 0.001"  # tanh(7.5) vs tanh(6): 1.2e-5
    assert ov.tip(0) == "diff: data 2 -> 2.5 (relative 0.25)"
    with pytest.raises(ValueError, match="needs the graph to compare"):
        make_overlay(g0, "diff")
    with pytest.raises(ValueError, match="overlay='sick'"):
        make_overlay(g0, "sick")


def test_to_svg_outlines_flagged_nodes_with_a_legend():
    svg = to_svg(overflow(), overlay="health")
    assert svg.count('class="overlay"') == 2 and svg.count('stroke="#dc2626"') == 3  # 2 nodes + swatch
    assert '<g class="legend"' in svg and ">NaN or inf</text>" in svg
    assert "health: NaN or inf" in svg  # the hover
    plain = to_svg(overflow())
    assert 'class="overlay"' not in plain and "legend" not in plain
    h0 = float(re.search(r'height="([\d.]+)"', plain).group(1))
    h1 = float(re.search(r'height="([\d.]+)"', svg).group(1))
    assert h1 > h0  # the legend sits below the drawing


def test_to_svg_compare_escapes_labels():
    a = Value(1.0, label="<a&b>")
    g0 = trace(a * 2.0)
    a.data = 3.0
    svg = to_svg(g0, compare=a * 2.0)
    assert "<a&b>" not in svg and "&lt;a&amp;b&gt;" in svg
    assert svg.count('class="overlay"') == 2 and "relative change &gt;= 100%" in svg


def test_widget_carries_the_overlays_and_selects_the_first_nonfinite():
    z = overflow()
    w = GraphWidget(z, overlay="health")
    data = w._overlay["health"]
    assert w.overlay == "health" and data["first"] == 2
    assert np.frombuffer(data["mark"], np.uint8).tolist() == [NONE, NONE, 0, 0]
    w.select(first_nonfinite(z))
    assert w._focus == {"node": 2, "req": 1}
    w.select("z")
    assert w._focus == {"node": 3, "req": 2}
    with pytest.raises(KeyError):
        w.select("nope")
    page = to_html(w)
    assert '"_overlay"' in page and '"overlay":"health"' in page
    assert '"compute"' not in page  # a page has no kernel to compute another overlay


def test_widget_compare_shows_the_snapshot_and_computes_health_on_demand():
    a = Value(2.0, label="a")
    b = (a * 3).tanh()
    b.label = "b"
    g0 = trace(b)
    a.data = 2.5
    before = (a.data, a.grad)
    w = GraphWidget(g0, compare=(a * 3).tanh())
    assert (a.data, a.grad) == before
    assert w.overlay == "diff" and w.readonly and w.data[0] == 2.0  # the snapshot's numbers
    assert set(w._overlay) == {"compute", "diff"} and w._overlay["compute"] == ["health"]
    assert w.overlay_report("diff").change(0, "data").b == 2.5
    w.overlay = "health"  # what the page's Health button does
    assert set(w._overlay) == {"compute", "diff", "health"} and w.error == ""
    w2 = GraphWidget(b)
    w2.overlay = "diff"
    assert w2.overlay == "" and "compare=b" in w2.error
    with pytest.raises(ValueError, match="needs the graph to compare"):
        GraphWidget(b, overlay="diff")


def test_overlay_of_a_capture_widget(torch):
    m = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        m[0].bias.fill_(-100.0)
    with gradviz.capture_torch(m) as cap:
        m(torch.randn(8, 4)).sum().backward()
    w = GraphWidget(cap.graph(), overlay="health", collapsed=None)
    mark = np.frombuffer(w._overlay["health"]["mark"], np.uint8)
    relu = w.graph.ops.index("relu")
    legend = w._overlay["health"]["legend"]
    assert legend[mark[relu]]["key"] == "dead"
    assert math.isnan(w.graph.data[relu])  # a tensor: its summary, not a number, was read
