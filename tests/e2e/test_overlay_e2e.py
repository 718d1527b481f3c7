"""The health and diff overlays in JupyterLab: flagged nodes outlined in their colour with a
legend, the Health button asking the kernel for the overlay, w.select() and the First NaN jump
selecting the node where the NaN began, and a diff coloured by relative change."""
from __future__ import annotations

import pytest

from widget_page import wait_rendered, widget_root

pytestmark = pytest.mark.browser

OVERFLOW = """\
import gradviz
from gradviz import GraphWidget, Value
big = Value(1000.0, label="x").exp(); big.label = "big"   # inf (the page would print 1e308 in full)
z = big - big; z.label = "z"
w = GraphWidget(z, overlay="health")
w"""

SELECT = """\
w.select("x")
w._focus"""

PLAIN = """\
a = Value(2.0, label="a")
L = (a * 3.0).tanh(); L.label = "L"
before = gradviz.trace(L)
w_plain = GraphWidget(L)
w_plain"""

DIFF = """\
a.data = 2.5
w_diff = GraphWidget(before, compare=(a * 3.0).tanh())
w_diff"""

CHECK = """\
print(w_plain.overlay, sorted(k for k in w_plain._overlay if k != "compute"))"""

# The overlay outlines of a widget's SVG drawing: {box title: stroke colour}.
_OUTLINES_JS = """root => Object.fromEntries([...root.querySelectorAll('svg .gv-box')]
    .filter(g => g.querySelector('.gv-ov'))
    .map(g => [g.querySelector('.gv-t').textContent, getComputedStyle(g.querySelector('.gv-ov')).stroke]))"""
RED, BLUE, ORANGE, MAGENTA = "rgb(220, 38, 38)", "rgb(59, 130, 246)", "rgb(234, 88, 12)", "rgb(192, 38, 211)"
AMBER = "rgb(217, 119, 6)"


def test_health_and_diff_overlays_in_jupyterlab(e2e):
    nb = e2e.open([OVERFLOW, SELECT, PLAIN, DIFF, CHECK])
    nb.run_all()
    root = wait_rendered(nb, 0)
    nb.wait_executed(4)
    root.scroll_into_view_if_needed()
    root.get_by_role("button", name="Fit").click()
    # health: big (inf), z (nan) and x (its gradient inf * 0 = nan, after the widget's backward)
    # outlined red, with the legend and the summary
    assert root.evaluate(_OUTLINES_JS) == {"x": RED, "big": RED, "z": RED}
    bar = root.get_by_role("group", name="overlays")
    assert "NaN or inf" in bar.inner_text() and "non-finite" in bar.inner_text()
    assert root.get_by_role("button", name="Health overlay").get_attribute("aria-pressed") == "true"
    e2e.shot("health", element=root)
    # the hover says why
    root.locator("svg .gv-box", has_text="big").first.hover()
    tip = root.locator(".gv-tip")
    tip.wait_for(state="visible", timeout=5_000)
    assert "health: NaN or inf" in tip.inner_text()
    # w.select("x") (cell 1) selected x; First NaN selects big, where the inf began
    assert root.locator("svg .gv-box.gv-sel .gv-t").text_content() == "x"
    root.get_by_role("button", name="Jump to first NaN").click()
    assert root.locator("svg .gv-box.gv-sel .gv-t").text_content() == "big"
    # off and on again from the toolbar
    root.get_by_role("button", name="Health overlay").click()
    assert root.evaluate(_OUTLINES_JS) == {} and root.get_attribute("data-overlay") == ""

    # a widget made without an overlay: its Health button asks the kernel, which computes it
    plain = widget_root(nb, 1)
    plain.scroll_into_view_if_needed()
    plain.get_by_role("button", name="Health overlay").click()
    nb.rerun_until(4, lambda text: "health ['health']" in text)
    e2e.page.wait_for_function("r => r.dataset.overlay === 'health'", arg=plain.element_handle(), timeout=10_000)
    # tanh(6) = 0.99999: a saturated unit (its slope is 2e-5)
    assert "saturated tanh/sigmoid" in plain.get_by_role("group", name="overlays").inner_text()
    assert plain.evaluate(_OUTLINES_JS) == {"L": MAGENTA, "": AMBER}  # and its layer (by depth): the *
    e2e.shot("health-on-demand", element=plain)

    # diff: the * by its 25 % change (< 100 %), tanh(7.5) vs tanh(6) by 1e-5 (< 1e-3), the constant
    # 3 unmarked; a's gradient went from 0 (traced before any backward) to what w_plain's backward
    # wrote: an infinite relative change (>= 100 %)
    diff = widget_root(nb, 2)
    diff.scroll_into_view_if_needed()
    outlines = diff.evaluate(_OUTLINES_JS)
    assert outlines == {"a": RED, "": ORANGE, "L": BLUE}, outlines
    legend = diff.get_by_role("group", name="overlays").inner_text()
    assert "relative change < 100%" in legend and "relative change < 0.001" in legend
    e2e.shot("diff", element=diff)
