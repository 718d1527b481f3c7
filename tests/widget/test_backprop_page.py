"""The Backprop mode in a standalone page (``to_html``: no kernel), in headless Chromium: each
step's values table is Python's, the path view's products and sum, a learner's bug, a folded graph.
The JupyterLab twin is tests/e2e/test_backprop_e2e.py (whose helpers this module reuses)."""
from __future__ import annotations

import os
import pathlib
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from test_backprop_e2e import README_SHOT, expected_tables, grads_shown, lecture, wait_step, walk  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not errors, errors


SHOTS = ROOT / "tests" / "artifacts" / "backprop"


def open_page(page, tmp_path, root_value, name):
    import gradviz
    path = tmp_path / f"{name}.html"
    gradviz.to_html(root_value, path, recompute=True)  # a page of d(output)/d(node), as backward() leaves them
    page.goto(path.resolve().as_uri())
    page.wait_for_selector(".gradviz-root[data-gradviz-ready='1']", timeout=60_000)
    return page.locator(".gradviz-root")


def test_backprop_mode_in_a_standalone_page(page, tmp_path):
    from testenv import labelled_neuron
    o, v = labelled_neuron()
    expected, d = expected_tables(o)
    root = open_page(page, tmp_path, o, "neuron")
    walk(root, expected, d)
    root.get_by_role("button", name="Next step").click()
    wait_step(root, 2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "neuron-step2.png"), full_page=True)
    root.get_by_role("button", name="Backprop", exact=True).click()
    page.wait_for_function("() => document.querySelector('.gradviz-root').dataset.backprop === 'off'")
    assert grads_shown(root)["x1"] == "-1.5000"

    # the path view: select the output, then x1
    labels = list(expected[0])
    root.get_by_role("button", name="Fit").click()
    root.locator(f".gv-box[data-b='{labels.index('o')}']").click()
    root.locator(f".gv-box[data-b='{labels.index('x1')}']").click()
    page.wait_for_function("() => document.querySelector('.gradviz-root').dataset.paths === '1'")
    region = root.get_by_role("region", name="chain rule paths").inner_text()
    assert "-3 × 1 × 1 × 0.5 = -1.5" in region
    assert "sum of the products = -1.5 = x1.grad (-1.5)" in region
    page.screenshot(path=str(SHOTS / "neuron-paths.png"), full_page=True)


def test_the_lecture_page_and_the_readme_picture(page, tmp_path):
    expected, d = expected_tables(lecture())
    root = open_page(page, tmp_path, lecture(), "lecture")
    walk(root, expected, d)
    root.get_by_role("button", name="Next step").click()
    wait_step(root, 2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "lecture-step2.png"
    root.screenshot(path=str(shot))
    if os.environ.get("GRADVIZ_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, README_SHOT)


def test_a_learners_bug_shows_in_the_page(page, tmp_path):
    from learner import SetsInAdd
    a = SetsInAdd(3.0, label="a")
    b = a + a; b.label = "b"
    root = open_page(page, tmp_path, b, "learner")
    root.get_by_role("button", name="Backprop", exact=True).click()
    root.get_by_role("button", name="Next step").click()
    wait_step(root, 1)
    bar = root.get_by_role("group", name="backprop steps").inner_text()
    assert "the chain rule for + gives 2" in bar
    assert grads_shown(root)["a"] == "1.0000"  # the closure's 1, not 2
    page.screenshot(path=str(SHOTS / "learner-bug.png"), full_page=True)


def test_a_folded_graph_steps_over_its_open_view(page, tmp_path):
    from benchmarks.workload import gradviz_loss, gradviz_model, moons
    X, y = moons(n=8)
    loss = gradviz_loss(gradviz_model(), X, y)
    loss.label = "loss"
    root = open_page(page, tmp_path, loss, "folded")
    assert int(root.get_attribute("data-boxes")) < 200  # folded
    full = grads_shown(root)  # the table's first page (it is paged)
    root.get_by_role("button", name="Backprop", exact=True).click()
    wait_step(root, 0, timeout=30_000)
    assert set(grads_shown(root).values()) == {""}  # nothing reached yet on this page
    scrub = root.get_by_role("slider", name="backprop step")
    scrub.fill("40")
    wait_step(root, 40, timeout=30_000)
    assert root.locator(".gv-box.gv-sel").count() == 1  # the current node's record, or its group
    page.screenshot(path=str(SHOTS / "folded-step40.png"), full_page=True)
    last = int(scrub.get_attribute("max"))
    scrub.fill(str(last))
    wait_step(root, last, timeout=30_000)
    assert grads_shown(root) == full  # every step taken: the full picture's grads
