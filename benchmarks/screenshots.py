"""The README's first-view screenshots, taken from the current build: ``python -m benchmarks.screenshots``.

Each graph (the lecture's L, the neuron, tanh from exp, a captured CNN, a captured Transformer
encoder layer) is saved as a standalone page (``gradviz.to_html``), opened in headless Chromium
with a 900 px wide output, and photographed as it first opens, into examples/screenshots/. The
same pages and measures serve tests/test_first_views.py, so a screenshot cannot show a view the
tests do not check. Printed per view: the record text size on screen, how many records are
wholly inside the stage, and the orientation chosen.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "examples" / "screenshots"
OUTPUT_PX = 900   # the widget's output width (JupyterLab at a 1400 px window gives ~958)
PAGE_PAD = 12     # the standalone page's padding each side of its output

# What a first view shows: per record, its rectangle in the page and the size of its text on
# screen (font size times the drawing's scale); the stage's rectangle.
MEASURE_JS = """root => {
  const stage = root.querySelector('.gv-stage').getBoundingClientRect();
  const boxes = [...root.querySelectorAll('.gv-box')].map(g => {
    const r = g.querySelector('rect').getBoundingClientRect();
    const t = g.querySelector('text');
    const px = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
    const inside = r.left >= stage.left - 0.5 && r.right <= stage.right + 0.5 &&
                   r.top >= stage.top - 0.5 && r.bottom <= stage.bottom + 0.5;
    return { text: t.textContent, px, inside };
  });
  return { stage: [stage.width, stage.height], boxes, renderer: root.dataset.renderer,
           firstView: root.dataset.firstView,
           rankdir: (root.querySelector('[aria-label=Orientation]') || {}).getAttribute?.('aria-pressed') === 'true' ? 'TB' : 'LR' };
}"""


def lecture():
    from gradviz import Value
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    L.backward()
    return L


def neuron(tanh_from_exp=False):
    from gradviz import Value
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    if tanh_from_exp:
        e = (2 * n).exp()
        e.label = "e"
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def _capture(model, x):
    import torch

    import gradviz
    with gradviz.capture_torch(model) as cap:
        model(x).square().mean().backward()
    del torch
    return cap.graph()


def cnn():
    """The CNN of tests/torch_models.py (conv-bn-relu-pool twice, linear), captured."""
    import torch
    sys.path.insert(0, str(ROOT / "tests"))
    import torch_models as tm
    torch.manual_seed(0)
    return _capture(tm.SmallCNN(), torch.randn(2, 1, 28, 28))


def transformer():
    import torch
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, dropout=0.0)
    return _capture(layer, torch.randn(2, 5, 32))


VIEWS = {"lecture": lecture, "neuron": neuron, "tanh_exp": lambda: neuron(tanh_from_exp=True),
         "cnn": cnn, "transformer": transformer}


def open_first_view(browser, root, folder, name, output_px=OUTPUT_PX, **options):
    """Save ``root``'s standalone page in ``folder`` (``options`` to ``to_html``), open it with an
    output ``output_px`` wide; returns (page, the widget's root element locator, the measures of
    MEASURE_JS)."""
    import gradviz
    path = Path(folder) / f"{name}.html"
    gradviz.to_html(root, path, **options)
    page = browser.new_page(viewport={"width": output_px + 2 * PAGE_PAD, "height": 1000})
    page.goto(path.as_uri())
    page.wait_for_selector(".gradviz-root[data-gradviz-ready='1']", timeout=120_000)
    el = page.locator(".gradviz-root")
    return page, el, el.evaluate(MEASURE_JS)


def summary(m):
    """(smallest record text px among the records inside the stage, records inside, records)."""
    inside = [b for b in m["boxes"] if b["inside"]]
    return (min((b["px"] for b in inside), default=0.0), len(inside), len(m["boxes"]))


def main(names=None):
    from playwright.sync_api import sync_playwright
    sys.path.insert(0, str(ROOT / "tests"))
    from testenv import CHROMIUM_ARGS, chromium_path
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for name in names or [n for n in VIEWS if n != "tanh_exp"]:
            page, el, m = open_first_view(browser, VIEWS[name](), tmp, name)
            px, inside, total = summary(m)
            shot = SHOTS / f"first_view_{name}.png"
            el.screenshot(path=str(shot))
            print(f"  {name:12s} {m['rankdir']} {m['renderer']:6s} stage {m['stage'][0]:.0f}x{m['stage'][1]:.0f}  "
                  f"text {px:.1f} px  records in view {inside}/{total} ({m['firstView']})  -> {shot.relative_to(ROOT)}")
            page.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:] or None)
