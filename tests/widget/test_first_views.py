"""First views in Chromium (issue 25): the lecture's graphs open whole with record text >= 10 px in a
900 px output, a captured CNN opens top to bottom with at least five readable records, and the
orientation switch lays a page out the other way. The pages and measures are those of
benchmarks/screenshots.py, which takes the README's screenshots; each view is saved under
tests/artifacts/first_views/."""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import screenshots as shots

ART = Path(__file__).resolve().parents[1] / "artifacts" / "first_views"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    ART.mkdir(parents=True, exist_ok=True)
    return tmp_path_factory.mktemp("pages")


@pytest.mark.parametrize("name", ["lecture", "neuron", "tanh_exp"])
@pytest.mark.parametrize("output_px", [900, 976])  # a 900 px output; the standalone page at a 1000 px window
def test_lecture_graphs_open_whole_and_readable(browser, folder, name, output_px):
    page, el, m = shots.open_first_view(browser, shots.VIEWS[name](), folder, name, output_px)
    el.screenshot(path=str(ART / f"{name}-{output_px}.png"))
    page.close()
    px, inside, total = shots.summary(m)
    assert m["renderer"] == "svg" and m["firstView"] == "whole", m["firstView"]
    assert inside == total == {"lecture": 7, "neuron": 10, "tanh_exp": 17}[name], (inside, total)
    assert px >= 10.0, f"record text is {px:.1f} px on screen"
    assert m["stage"][0] <= output_px


@pytest.mark.parametrize("name, boxes", [("cnn", 12), ("transformer", 10)])
def test_captured_models_open_whole_folded_by_module(browser, folder, torch, name, boxes):
    """The whole model, its modules as boxes, top to bottom, with text >= 10 px (drawn in full, the
    CNN showed 12 of its 23 records and the Transformer layer 12 of 55)."""
    page, el, m = shots.open_first_view(browser, shots.VIEWS[name](), folder, name)
    el.screenshot(path=str(ART / f"{name}.png"))
    page.close()
    px, inside, total = shots.summary(m)
    assert m["rankdir"] == "TB" and m["firstView"] == "whole", m["firstView"]
    assert inside == total == boxes and px >= 10.0, (inside, total, px)
    texts = [b["text"] for b in m["boxes"]]
    assert "mean" in texts and any(t.startswith(("feature 0 (", "self_attn (")) for t in texts), texts


def test_a_double_click_on_a_module_of_a_saved_page_opens_it(browser, folder, torch):
    """A saved page has no Python to lay out one module open: it opens every value, with the
    module's own in view, and a Collapse in the panel folds them back."""
    page, el, m = shots.open_first_view(browser, shots.cnn(), folder, "cnn-open")
    group = el.locator(".gv-box", has_text="feature 4 (").first
    group.dblclick()
    page.wait_for_function("() => document.querySelector('.gradviz-root').dataset.boxes === '23'")
    opened = el.evaluate(shots.MEASURE_JS)
    inside = [b["text"] for b in opened["boxes"] if b["inside"]]
    el.screenshot(path=str(ART / "cnn-opened.png"))
    assert "conv2d" in inside and "features.4.weight" in inside, inside
    assert el.locator(".gv-alert").inner_text() == ""
    el.screenshot(path=str(ART / "cnn-opened.png"))
    el.locator(".gv-box", has_text="features.4.weight").first.click()
    el.get_by_role("button", name="Collapse SmallCNN#1/features/4", exact=True).click()
    page.wait_for_function("() => document.querySelector('.gradviz-root').dataset.boxes === '12'")
    page.close()


def test_fit_on_a_captured_cnn_shows_the_whole_model_as_a_column(browser, folder, torch):
    """Drawn in full, Fit shows all 23 records with their text drawn, in one column: the
    activations run straight and the parameters sit beside them (it was a staircase at 5.3 px,
    text not drawn)."""
    page, el, _ = shots.open_first_view(browser, shots.cnn(), folder, "cnn-fit", collapsed=None)
    el.get_by_role("button", name="Fit").first.click()
    page.wait_for_timeout(300)
    m = el.evaluate(shots.MEASURE_JS)
    el.screenshot(path=str(ART / "cnn-fit.png"))
    column = el.evaluate("""root => [...root.querySelectorAll('.gv-box')]
        .filter(g => /^(conv2d|batch_norm|relu|max_pool2d)$/
                     .test(g.querySelector('text').textContent))
        .map(g => { const r = g.getBoundingClientRect(); return r.x + r.width / 2; })""")
    page.close()
    px, inside, total = shots.summary(m)
    assert inside == total == 23
    assert px >= 7.0, f"record text is {px:.1f} px after Fit"
    assert len(column) == 8 and max(column) - min(column) < 0.1 * m["stage"][0], column


def test_the_orientation_switch_turns_a_saved_page(browser, folder):
    page, el, m = shots.open_first_view(browser, shots.lecture(), folder, "lecture-turn")
    button = el.get_by_role("button", name="Orientation")
    assert button.get_attribute("aria-pressed") == "false" and not button.is_disabled()

    def centre(label):
        return el.locator(".gv-box", has_text=label).first.evaluate(
            "g => { const r = g.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }")
    (lx, ly), (dx, dy) = centre("L"), centre("d")
    assert lx > dx + 100 and abs(ly - dy) < 40  # left to right
    button.click()
    page.wait_for_function("() => document.querySelector('[aria-label=Orientation]').getAttribute('aria-pressed') === 'true'")
    (lx, ly), (dx, dy) = centre("L"), centre("d")
    assert ly > dy + 30  # top to bottom: L below d
    after = el.evaluate(shots.MEASURE_JS)
    px, inside, total = shots.summary(after)
    assert inside == total == 7 and px >= 10.0
    el.screenshot(path=str(ART / "lecture-turned.png"))
    button.click()
    page.wait_for_function("() => document.querySelector('[aria-label=Orientation]').getAttribute('aria-pressed') === 'false'")
    (lx, ly), (dx, dy) = centre("L"), centre("d")
    assert lx > dx + 100
    page.close()
