"""What the widget shows in JupyterLab before anyone touches it: the canvas view takes the notebook
theme's colours (it once read them before it was attached and drew everything #888)."""
from __future__ import annotations

import pytest

from widget_page import wait_rendered

pytestmark = pytest.mark.browser

# The kernel imports the benchmarks package from this checkout (the harness puts it on PYTHONPATH).
MOONS_FULL = """\
from benchmarks.workload import moons, gradviz_model, gradviz_loss
from gradviz import GraphWidget
X, y = moons()
loss = gradviz_loss(gradviz_model(), X, y)
loss.backward()
w = GraphWidget(loss, collapsed=None)
w"""

# Distinct colours on a grid of the canvas's pixels, with the theme's background colour.
_SAMPLE_JS = """root => {
  const c = root.querySelector('canvas');
  const ctx = c.getContext('2d');
  const seen = new Map();
  for (let y = 2; y < c.height; y += Math.max(1, Math.floor(c.height / 60)))
    for (let x = 2; x < c.width; x += Math.max(1, Math.floor(c.width / 60))) {
      const p = ctx.getImageData(x, y, 1, 1).data;
      const k = `${p[0]},${p[1]},${p[2]}`;
      seen.set(k, (seen.get(k) || 0) + 1);
    }
  return [...seen.entries()].sort((a, b) => b[1] - a[1]);
}"""


def test_moons_full_view_canvas_is_drawn_in_the_theme_colours(e2e):
    nb = e2e.open([MOONS_FULL])
    nb.run_all()
    root = wait_rendered(nb, 0, timeout=120)
    assert root.get_attribute("data-renderer") == "canvas"
    root.scroll_into_view_if_needed()
    colours = root.evaluate(_SAMPLE_JS)
    assert len(colours) >= 3, f"the canvas is (nearly) one colour: {colours[:5]}"
    assert colours[0][0] != "136,136,136", f"the canvas is the #888 fallback grey: {colours[:5]}"
    e2e.shot("first-view", element=root)
    root.get_by_role("button", name="Fit").click()  # the whole graph, boxes as dots
    fitted = root.evaluate(_SAMPLE_JS)
    assert len(fitted) >= 2 and "136,136,136" not in dict(fitted), fitted[:6]
    e2e.shot("fit", element=root)


NEURON = """\
from gradviz import Value, GraphWidget
x1 = Value(2.0, label="x1"); x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1"); w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1; x1w1.label = "x1*w1"
x2w2 = x2 * w2; x2w2.label = "x2*w2"
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"
n = x1w1x2w2 + b; n.label = "n"
"""
NEURON_TANH = NEURON + 'o = n.tanh(); o.label = "o"\no.backward()\nGraphWidget(o)'
NEURON_EXP = NEURON + ('e = (2 * n).exp(); e.label = "e"\n'
                       'o = (e - 1) / (e + 1); o.label = "o"\no.backward()\nGraphWidget(o)')

# The output record's text: its on-screen font size (12 px times the drawing's zoom) and whether
# the record is wholly inside the stage.
_OUTPUT_JS = """root => {
  const stage = root.querySelector('.gv-stage').getBoundingClientRect();
  const rec = root.querySelector('.gv-box.gv-output');
  const r = rec.getBoundingClientRect();
  const text = rec.querySelector('text');
  const px = parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a;
  return {px, inside: r.left >= stage.left && r.right <= stage.right && r.top >= stage.top &&
          r.bottom <= stage.bottom, stageH: stage.height, first: root.dataset.firstView};
}"""


@pytest.mark.parametrize("graph", ["neuron", "tanh_from_exp"])
def test_first_view_shows_the_output_record_readable(e2e, graph):
    nb = e2e.open([NEURON_TANH if graph == "neuron" else NEURON_EXP])
    nb.run_all()
    root = wait_rendered(nb, 0)
    root.scroll_into_view_if_needed()
    got = root.evaluate(_OUTPUT_JS)
    assert got["px"] >= 11, f"record text is {got['px']:.1f} px on screen"
    assert got["inside"], f"the output record is not inside the stage: {got}"
    # the tooltip of the output record stays inside the stage
    rec = root.locator(".gv-box.gv-output").bounding_box()
    root.page.mouse.move(rec["x"] + rec["width"] - 4, rec["y"] + rec["height"] - 2)
    tip = root.get_by_role("tooltip")
    tip.wait_for()
    t, s = tip.bounding_box(), root.locator(".gv-stage").bounding_box()
    assert t["x"] >= s["x"] - 1 and t["x"] + t["width"] <= s["x"] + s["width"] + 1, (t, s)
    assert t["y"] >= s["y"] - 1 and t["y"] + t["height"] <= s["y"] + s["height"] + 1, (t, s)
    e2e.shot("first-view", element=root)
    # the toolbar fits a 900 px notebook column on one line
    root.page.set_viewport_size({"width": 900 + 330, "height": 1000})
    toolbar = root.get_by_role("toolbar")
    h = toolbar.evaluate("t => t.getBoundingClientRect().height")
    first = toolbar.evaluate("t => t.firstElementChild.getBoundingClientRect().height")
    assert h < 2 * first, f"the toolbar wraps at this width ({h:.0f} px tall)"
