"""gradviz.to_html(playground) / Playground.save_html: one self-contained page where the reader
trains the network in the browser, with no kernel.

The file: self-contained (CSP, nothing loaded, no element broken out of), starting from the
playground's exact state. The case file that checks the page's trainer against ``Trainer`` is
current. In Chromium, from file:// with the network cut: play trains (the step counter rises and
the train loss falls), settings work, what needs Python says so. Screenshots go to
tests/artifacts/playground_page/."""
from __future__ import annotations

import base64
import json
import pathlib
import random
import re
import time

import numpy as np
import pytest

from testenv import offline_pages

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "playground_page"
EVIL = "</script><script>__pwned=1</script><!--"


def _payload(text):
    m = re.search(r'<script type="application/json" id="gradviz-state">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def _f8(v):
    return np.frombuffer(base64.b64decode(v["$bytes"]), dtype="<f8")


def _map_hash(pg):
    """The page's checksum of the decision map (heatmap.js mapHash) for Python's heatmap bytes."""
    from gradviz.playground.trainer import quantize
    g = pg._trainer.grid
    h = 0
    for b in quantize(pg._trainer.heatmaps())[:g * g]:
        h = (h * 31 + b) & 0xFFFFFFFF
    return h


# ---- the file ------------------------------------------------------------------------------------

def test_case_file_is_current():
    """js/test/playground_cases.json is what `python -m gradviz.cases playground` writes now
    (regenerate it after changing the trainer or the quantization)."""
    from gradviz.cases import case_file_text
    path = ROOT / "js" / "test" / "playground_cases.json"
    assert path.read_text(encoding="utf-8") == case_file_text("playground")


def test_page_is_self_contained_and_starts_from_the_playground_as_it_is(tmp_path):
    import gradviz
    from gradviz import Playground
    pg = Playground(dataset="xor", n=60, hidden=[8, 4], activation="tanh", lr=0.05, batch_size=16, seed=4)
    pg.step(7)
    before = (pg.steps, pg._trainer.param_data().copy(), random.getstate())
    text = gradviz.to_html(pg, tmp_path / "pg.html", title=EVIL)
    assert (tmp_path / "pg.html").read_text(encoding="utf-8") == text
    assert (pg.steps, random.getstate()) == before[::2] and np.array_equal(pg._trainer.param_data(), before[1])
    # two script elements end (state, bundle), nothing is loaded, a policy forbids loading
    assert text.lower().count("</script") == 2 and "<!--" not in text
    assert not re.search(r"\s(src|href)\s*=", text) and "default-src 'none'" in text
    assert "<title>gradviz: &lt;/script&gt;&lt;script&gt;__pwned=1" in text
    assert "trains in your browser" in text
    t = _payload(text)["trainer"]
    tr = pg._trainer
    assert t["config"] == {**tr.config, "hidden": [8, 4]} and t["steps"] == 7 and t["grid"] == 50
    assert np.array_equal(_f8(t["params"]), tr.param_data())  # exact, not rounded
    assert np.array_equal(_f8(t["init"]), Playground(dataset="xor", n=60, hidden=[8, 4], seed=4)._trainer.param_data())
    assert np.array_equal(_f8(t["X_train"]).reshape(-1, 2), tr.data.X_train)
    assert np.array_equal(_f8(t["y_test"]), tr.data.y_test)
    assert t["history"]["step"] == tr.history["step"] == list(range(8))
    assert np.array_equal(_f8(t["history"]["train"]), tr.history["train"])


def test_save_html_and_errors(tmp_path):
    import gradviz
    from gradviz import Playground
    pg = Playground(n=40, hidden=[3], test_fraction=0.0, seed=2)
    text = pg.save_html(tmp_path / "a.html")
    assert text == gradviz.to_html(pg)
    assert np.isnan(_f8(_payload(text)["trainer"]["history"]["test"])).all()  # no test points: NaN, kept
    with pytest.raises(TypeError, match="Playground's page takes only path and title"):
        gradviz.to_html(pg, height=300)


def test_bundle_can_be_inlined():
    static = ROOT / "gradviz" / "static"
    js = (static / "playground_page.js").read_text(encoding="utf-8").lower()
    assert "</script" not in js and "<!--" not in js
    assert "</style" not in (static / "playground.css").read_text(encoding="utf-8").lower()


# ---- in the browser ------------------------------------------------------------------------------

@pytest.fixture
def open_page(browser, request):
    """Open a saved page from file:// with the network cut, once the playground's root is ready (testenv.offline_pages)."""
    yield from offline_pages(browser, request, SHOTS, ".gvp-root[data-ready='1']", timeout=15_000, height=950)


def _root(pg):
    return pg.locator(".gvp-root")


def _num(pg, key):
    return float(_root(pg).get_attribute(f"data-{key}"))


def _play_for(pg, seconds):
    pg.get_by_role("button", name="play").click()
    time.sleep(seconds)
    pg.get_by_role("button", name="pause").click()
    pg.wait_for_timeout(300)  # the frames already asked for come in


def _set(pg, label, value):
    field = pg.get_by_label(label, exact=True)
    if field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)
        field.dispatch_event("change")


@pytest.mark.browser
def test_page_trains_in_the_browser_from_file_without_network(open_page, tmp_path):
    import gradviz
    from gradviz import Playground
    pg = Playground(seed=0)
    pg.step(3)
    path = tmp_path / "pg.html"
    gradviz.to_html(pg, path)
    page = open_page(path)
    # the first paint is Python's state: its step, its loss, its heatmap
    assert _num(page, "step") == 3
    assert _num(page, "train-loss") == pytest.approx(pg.losses.train[-1], abs=1e-12)
    assert int(_root(page).get_attribute("data-map-hash")) == _map_hash(pg)
    loss0, hash0 = _num(page, "train-loss"), _root(page).get_attribute("data-map-hash")

    _play_for(page, 3.0)
    steps, loss1 = _num(page, "step"), _num(page, "train-loss")
    assert steps > 50 and loss1 < 0.5 * loss0, (steps, loss0, loss1)
    assert _root(page).get_attribute("data-map-hash") != hash0
    assert page.locator(".gvp-step").inner_text() == f"step {int(steps)}"

    page.get_by_role("button", name="step", exact=True).click()
    page.wait_for_function(f"() => +document.querySelector('.gvp-root').dataset.step === {int(steps) + 1}")

    # a new learning rate trains on from here; a bad one says why and changes nothing
    _set(page, "Learning rate", "0.01")
    page.wait_for_timeout(200)
    assert page.locator(".gvp-error").text_content() == "" and _num(page, "step") == steps + 1
    _set(page, "Learning rate", "500")
    page.wait_for_function("() => document.querySelector('.gvp-error').textContent.includes('lr must be')")
    assert "between 0 and 100, got 500" in page.locator(".gvp-error").text_content()

    # another dataset starts over on new points, and trains
    _set(page, "Dataset", "circles")
    page.wait_for_function("() => +document.querySelector('.gvp-root').dataset.step === 0")
    assert page.locator(".gvp-error").text_content() == ""
    _set(page, "Learning rate", "0.1")
    _set(page, "Hidden layers", "8, 8")
    page.wait_for_timeout(200)
    assert len(page.locator(".gvp-tile").all()) == 2 + 8 + 8 + 1
    c0 = _num(page, "train-loss")
    _play_for(page, 3.0)
    assert _num(page, "step") > 50 and _num(page, "train-loss") < c0

    # what needs Python says so where it would appear, and nothing fails
    page.get_by_role("button", name="open the point's scalar graph").click()
    note = page.get_by_role("note", name="scalar graph")
    note.wait_for()
    assert "needs Python" in note.inner_text() and "pg.select_sample(0, \"train\")" in note.inner_text()
    page.get_by_role("button", name="check the current step with PyTorch").click()
    page.wait_for_function("() => document.querySelector('.gvp-report').textContent.includes('needs Python')")

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "circles-trained.png"), full_page=True)
    # reset goes back to this page's start for the current settings: step 0
    page.get_by_role("button", name="reset").click()
    page.wait_for_function("() => +document.querySelector('.gvp-root').dataset.step === 0")
