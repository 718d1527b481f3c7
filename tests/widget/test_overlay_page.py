"""The health and diff overlays in a standalone page (to_html), in Chromium with no kernel and no
network: outlines in their colours (SVG and canvas), the legend, the First NaN jump, the toggle."""
from test_standalone import SHOTS, open_page  # noqa: F401  (the page fixture: file://, network cut)

import gradviz
from gradviz import to_html, trace
from testenv import overflow

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
