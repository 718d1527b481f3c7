"""Playground end to end in JupyterLab: press play and the loss falls on screen while the heatmap
changes; pause and training stops; click a point and its scalar graph opens below."""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from widget_page import type_value, values_table

pytestmark = pytest.mark.browser

CELLS = [
    "from gradviz import Playground\npg = Playground(seed=0)\npg",
    "print(f'kernel steps={pg.steps} selected={pg.selected}')",
    # run again at the end of the test: markup in a kernel message must show as text
    "if pg.steps:\n    pg.view.error = '<img src=x onerror=\"window.__gvpHacked=1\">'",
    "print(f'kernel lr={pg.lr} hidden={pg.hidden}')",
]
# GRADVIZ_UPDATE_SCREENSHOTS=1 refreshes the README's picture from this run.
README_SHOT = Path(__file__).resolve().parents[2] / "examples" / "screenshots" / "playground.png"


def _wait(cond, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"{what} (last: {last!r})")


def _loss(root) -> float:
    return float(root.locator(".gvp-train-loss").inner_text())


def test_play_pause_and_open_a_sample_graph(e2e):
    import os

    from gradviz.playground.datasets import make_dataset

    nb = e2e.open(CELLS)
    nb.run_all()
    root = nb.panel.locator(".gvp-root").first
    _wait(lambda: root.count() and root.get_attribute("data-ready") == "1", "the playground never rendered")
    nb.wait_executed(3)
    loss0 = _loss(root)
    hash0 = root.get_attribute("data-map-hash")
    assert root.locator(".gvp-step").inner_text() == "step 0"
    e2e.shot("start", root)

    root.get_by_role("button", name="play").click()
    _wait(lambda: int(root.get_attribute("data-step")) >= 100, "the step counter never passed 100",
          timeout=60)
    _wait(lambda: _loss(root) < 0.7 * loss0, f"the loss on screen did not fall below 0.7 x {loss0}")
    assert root.get_attribute("data-map-hash") != hash0, "the decision heatmap did not change"
    e2e.shot("playing", root)

    root.get_by_role("button", name="pause").click()
    _wait(lambda: root.get_attribute("data-playing") == "0", "pause did not take")
    time.sleep(0.5)  # a frame already asked for may still arrive
    step = root.get_attribute("data-step")
    time.sleep(1.0)
    assert root.get_attribute("data-step") == step, "training went on after pause"
    loss_paused = _loss(root)
    assert loss_paused < 0.7 * loss0
    if os.environ.get("GRADVIZ_UPDATE_SCREENSHOTS") == "1":
        root.screenshot(path=str(README_SHOT))

    # click train point 0 where the page draws it (same dataset, same seed)
    d = make_dataset("moons", 100, 0.1, 0.2, 0)
    x0, x1, y0, y1 = d.extent
    px = (d.X_train[0, 0] - x0) / (x1 - x0) * 300
    py = (y1 - d.X_train[0, 1]) / (y1 - y0) * 300
    root.locator("canvas.gvp-main").click(position={"x": px, "y": py})
    graph = nb.panel.locator(".gradviz-root[data-gradviz-ready='1']").first
    graph.wait_for(timeout=30_000)
    table = values_table(graph)
    assert table["x0"]["data"] == f"{d.X_train[0, 0]:.4f}"
    assert table["x1"]["data"] == f"{d.X_train[0, 1]:.4f}"
    assert table["y"]["data"] == f"{d.y_train[0]:.4f}"
    w = "layers.0.neurons.0.w.0"
    assert w in table and table[w]["grad"] != "", sorted(table)[:10]
    out = nb.rerun_until(1, lambda t: "selected=('sample', 'train', 0)" in t)
    assert f"steps={step}" in out
    e2e.shot("graph")

    # nudge a weight in the graph: the playground repaints from the changed Value
    hash_before = root.get_attribute("data-map-hash")
    graph.get_by_role("searchbox", name="search").fill(w)
    new = float(table[w]["data"]) + 0.75
    type_value(graph, w, f"{new:.4f}")
    _wait(lambda: root.get_attribute("data-map-hash") != hash_before,
          "the playground's heatmap did not follow the nudge in the graph")
    nb.rerun_until(1, lambda t: "selected=('sample', 'train', 0)" in t)

    # the same by keyboard: test point 2 through the picker
    root.get_by_role("combobox", name="point set").select_option("test")
    root.get_by_role("spinbutton", name="point number").fill("2")
    root.get_by_role("button", name="open the point's scalar graph").click()
    nb.rerun_until(1, lambda t: "selected=('sample', 'test', 2)" in t)
    graph = nb.panel.locator(".gradviz-root[data-gradviz-ready='1']").first
    _wait(lambda: values_table(graph).get("x0", {}).get("data") == f"{d.X_test[2, 0]:.4f}",
          "test point 2's graph did not open")

    # a neuron's tile opens that neuron's graph, for the point picked last
    root.get_by_role("button", name="layers.1.neurons.3: open its scalar graph").click()
    nb.rerun_until(1, lambda t: "selected=('neuron', 1, 3)" in t)
    _wait(lambda: "layers.1.neurons.3" in values_table(
        nb.panel.locator(".gradviz-root[data-gradviz-ready='1']").first), "the neuron's graph did not open")

    # check the current step against PyTorch: the report shows in the page
    root.get_by_role("button", name="check the current step with PyTorch").click()
    report = root.get_by_role("status", name="PyTorch check")
    expect = "agree with PyTorch" if importlib.util.find_spec("torch") else "needs PyTorch"
    _wait(lambda: expect in report.inner_text(), "no PyTorch report", timeout=120)
    assert report.inner_text().startswith(f"PyTorch check at step {step}:")
    e2e.shot("checked", root)

    # whatever the kernel says is shown as text, never as markup
    nb.run_cell(2)
    alert = root.get_by_role("alert")
    _wait(lambda: "<img" in alert.inner_text(), "the error never showed")
    assert root.locator("img").count() == 0
    assert nb.page.evaluate("window.__gvpHacked === undefined")

    # settings from the page: a new network starts over and is drawn with its own tiles
    hidden = root.get_by_role("textbox", name="Hidden layers")
    hidden.fill("4, 3")
    hidden.press("Tab")
    _wait(lambda: root.locator("canvas.gvp-tile").count() == 2 + 4 + 3 + 1, "the 2-4-3-1 network was not drawn")
    _wait(lambda: root.get_attribute("data-step") == "0", "a new network did not start at step 0")
    lr = root.get_by_role("spinbutton", name="Learning rate")
    lr.fill("0.05")
    lr.press("Tab")
    nb.rerun_until(1, lambda t: "steps=0" in t)
    assert "lr=0.05 hidden=[4, 3]" in nb.rerun_until(3, lambda t: "lr=0.05" in t)
