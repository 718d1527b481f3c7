"""The health and diff overlays as data: marks per node, legends, to_svg outlines, the widget's
traits (what a saved notebook and a standalone page carry), select() and first_nonfinite."""
import math
import re

import numpy as np
import pytest

import gradviz
from gradviz import GraphWidget, Value, first_nonfinite, to_html, to_svg, trace
from gradviz.draw.overlay import NONE, diff_overlay, health_overlay, make_overlay
from test_diagnose import deep_tanh
from test_standalone import SHOTS, open_page  # noqa: F401  (the page fixture: file://, network cut)


def overflow():
    big = Value(1e308, label="x") * 10
    big.label = "big"
    z = big - big
    z.label = "z"
    return z


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


# ---- the standalone page, in Chromium, with no kernel --------------------------------------------


_OUTLINES_JS = """() => Object.fromEntries([...document.querySelectorAll('svg .gv-box')]
    .filter(g => g.querySelector('.gv-ov'))
    .map(g => [g.querySelector('.gv-t').textContent, getComputedStyle(g.querySelector('.gv-ov')).stroke]))"""
_CANVAS_RGB_JS = """rgb => { const c = document.querySelector('canvas'); const d = c.getContext('2d')
    .getImageData(0, 0, c.width, c.height).data; let k = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) k++;
    return k; }"""


def test_health_page_marks_and_jumps_without_a_kernel(open_page, tmp_path):  # noqa: F811
    path = tmp_path / "health.html"
    to_html(overflow(), path, overlay="health")
    pg = open_page(path)
    assert pg.evaluate(_OUTLINES_JS) == {"big": "rgb(220, 38, 38)", "z": "rgb(220, 38, 38)"}
    bar = pg.get_by_role("group", name="overlays")
    assert "NaN or inf" in bar.inner_text()
    assert pg.get_by_role("button", name="Diff overlay").is_hidden()  # nothing to compare with
    pg.get_by_role("button", name="Jump to first NaN").click()
    assert pg.locator("svg .gv-box.gv-sel .gv-t").text_content() == "big"
    pg.screenshot(path=str(SHOTS / "overlay-health-page.png"), full_page=True)
    pg.get_by_role("button", name="Health overlay").click()  # off: the page keeps the data
    assert pg.evaluate(_OUTLINES_JS) == {} and pg.locator("body").inner_text().count("NaN or inf") == 0
    pg.get_by_role("button", name="Health overlay").click()
    assert len(pg.evaluate(_OUTLINES_JS)) == 2


def test_diff_page_on_a_canvas_colours_by_relative_change(open_page, tmp_path):  # noqa: F811
    import random
    random.seed(0)
    m = gradviz.MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    before = gradviz.mse_loss([m(x) for x in xs], ys, reduction="sum")
    before.backward()
    g0 = trace(before)
    for p in m.parameters():
        p.data -= 0.05 * p.grad
    m.zero_grad()
    after = gradviz.mse_loss([m(x) for x in xs], ys, reduction="sum")
    after.backward()
    big_xs = xs * 5  # 20 samples: more boxes than the SVG view takes, so the page draws a canvas
    b0 = gradviz.mse_loss([m(x) for x in big_xs], ys * 5)
    b0.backward()
    gb = trace(b0)
    for p in m.parameters():
        p.data -= 0.05 * p.grad
    m.zero_grad()
    b1 = gradviz.mse_loss([m(x) for x in big_xs], ys * 5)
    b1.backward()
    path = tmp_path / "diff.html"
    to_html(gb, path, compare=b1, collapsed=None)
    pg = open_page(path)
    assert pg.locator(".gradviz-root").get_attribute("data-renderer") == "canvas"
    assert pg.locator(".gradviz-root").get_attribute("data-overlay") == "diff"
    legend = pg.get_by_role("group", name="overlays").inner_text()
    assert "relative change" in legend and f"of {len(gb)} nodes changed" in legend
    pg.get_by_role("button", name="Fit").click()
    red = pg.evaluate(_CANVAS_RGB_JS, [220, 38, 38])
    amber = pg.evaluate(_CANVAS_RGB_JS, [245, 158, 11])
    assert red > 100 and amber > 100, (red, amber)
    pg.screenshot(path=str(SHOTS / "overlay-diff-canvas.png"), full_page=True)
    pg.get_by_role("button", name="Diff overlay").click()
    assert pg.evaluate(_CANVAS_RGB_JS, [220, 38, 38]) == 0
    # the small diff drawn in SVG: the loss's record outlined, its change in the summary
    path = tmp_path / "diff-small.html"
    to_html(g0, path, compare=after)
    pg = open_page(path)
    assert f"{before.data!r} -> {after.data!r}" in pg.get_by_role("group", name="overlays").inner_text()
