"""The Backprop mode end to end (issue 23), in JupyterLab with a real kernel and Debian's Chromium.
Each step's values table is checked against the grads Python's backprop_steps gives after that
many steps (blank where the pass has not arrived yet). The standalone page's twin of this test is
tests/widget/test_backprop_page.py."""
from __future__ import annotations

import pathlib
import sys

import pytest

from widget_page import LECTURE_CELL, fmt4, values_table, wait_rendered

pytestmark = pytest.mark.browser

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
README_SHOT = ROOT / "examples" / "screenshots" / "backprop_mode.png"


def expected_tables(root_value):
    """{k: {label: grad text}} after each k steps, from Python (the widget's own steps)."""
    from gradviz import GraphWidget
    from gradviz.widget.steps import decode_steps, grads_after
    w = GraphWidget(root_value)
    d = decode_steps(w._steps)
    labels = w.graph.labels
    out = {}
    for k in range(d["k"] + 1):
        g = grads_after(d, len(labels), k)
        out[k] = {lab or f"#{i}": ("" if g[i] is None else fmt4(g[i])) for i, lab in enumerate(labels)}
    return out, d


def grads_shown(root):
    return {label: row["grad"] for label, row in values_table(root).items()}


def wait_step(root, k, timeout=10_000):
    root.page.wait_for_function(
        "([el, k]) => el.dataset.backprop === 'on' && el.dataset.bpStep === String(k)",
        arg=[root.element_handle(), k], timeout=timeout)


def walk(root, expected, d):
    """Backprop, then Next through every step: the table after each one is Python's."""
    root.get_by_role("button", name="Backprop", exact=True).click()
    wait_step(root, 0)
    assert grads_shown(root) == expected[0]
    for k in range(1, d["k"] + 1):
        root.get_by_role("button", name="Next step").click()
        wait_step(root, k)
        assert grads_shown(root) == expected[k], f"after step {k}"
    assert root.get_by_role("button", name="Next step").is_disabled()
    scrub = root.get_by_role("slider", name="backprop step")
    scrub.fill("1")
    wait_step(root, 1)
    assert grads_shown(root) == expected[1]


def lecture():
    from testenv import lecture_L
    return lecture_L()[0]


def test_backprop_mode_in_jupyterlab(e2e):
    expected, d = expected_tables(lecture())
    nb = e2e.open([LECTURE_CELL + "w = GraphWidget(L)\nw",
                   'print(f"grads a={a.grad} b={b.grad} c={c.grad} f={f.grad} d={d.grad} L={L.grad} data a={a.data}")',
                   'if globals().get("later"):\n    w.backprop(2)',
                   'if globals().get("later"):\n    w.backprop(None)\n    print(w.paths("a"))',
                   "later = True"])
    nb.run_all()
    root = wait_rendered(nb, 0)
    nb.wait_executed(4)
    before = nb.output_text(1)
    full = grads_shown(root)
    assert full["a"] == "6.0000" and full["f"] == "4.0000"
    walk(root, expected, d)

    # after step 1: the edges into L are labelled, d and f show the additions
    text = root.locator(".gv-bp-labels").inner_text()
    assert "∂L/∂d = f = -2.0000" in text and "∂L/∂f = d = 4.0000" in text
    assert "d.grad += -2 × 1 = -2" in text and "f.grad += 4 × 1 = 4" in text
    assert "step 1 of 3: L (grad 1) pushes to d, f" in root.get_by_role("group", name="backprop steps").inner_text()
    e2e.shot("step1")

    # Python drives the same picture
    nb.run_cell(2)
    wait_step(root, 2)
    assert grads_shown(root) == expected[2]
    text = root.locator(".gv-bp-labels").inner_text()
    assert "∂d/∂e = 1.0000" in text and "e.grad += 1 × -2 = -2" in text
    e2e.shot("step2")

    # leaving restores the full picture; nothing in Python changed
    root.get_by_role("button", name="Backprop", exact=True).click()
    root.page.wait_for_function("el => el.dataset.backprop === 'off'", arg=root.element_handle())
    assert grads_shown(root) == full
    assert root.locator(".gv-bp-labels").inner_text().strip() == ""
    nb.run_cell(1)
    assert nb.output_text(1) == before

    # the path view from Python: L down to a, one path, its product the grad
    assert "-3 × 1 × -2 = 6" in nb.run_cell(3)
    root.page.wait_for_function("el => el.dataset.paths === '1'", arg=root.element_handle())
    region = root.get_by_role("region", name="chain rule paths").inner_text()
    assert "-3 × 1 × -2 = 6" in region and "sum of the products = 6 = a.grad (6)" in region
