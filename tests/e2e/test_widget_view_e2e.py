"""What the widget shows in JupyterLab before anyone touches it: the canvas view takes the notebook
theme's colours (it once read them before it was attached and drew everything #888)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from widget_page import wait_rendered

pytestmark = pytest.mark.browser
BENCH = Path(__file__).resolve().parents[2] / "benchmarks"

MOONS_FULL = f"""\
import sys; sys.path.insert(0, {str(BENCH)!r})
from workload import moons, gradviz_model, gradviz_loss
from gradviz import GraphWidget
X, y = moons()
loss = gradviz_loss(gradviz_model(), X, y)
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
