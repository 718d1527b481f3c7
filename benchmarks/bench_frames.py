"""Pan repaint time of big views drawn in full, old renderer against new, in headless Chromium.

Each graph is saved as a standalone page (``to_html(loss, collapsed=None)``) twice: with the
current bundle and with the bundle of ``OLD_REF`` (the renderer before issue 25, read from git), so
both draw the very same state in the same run. In the page: Fit, then zoom in by key presses
(``+``, 1.25x each) to several levels; at each, drag the view a few px at a time with the mouse and
time every move from the pointermove event to the end of the frame that shows it (a rAF callback,
then a task). Printed: the median per zoom level, the worst median, and new/old ratios. Targets:
the worst median <= 33 ms (30 fps) on the 66k-node graph, <= 50 ms on the ~300k-node one.

Needs Chromium (/usr/bin/chromium) and playwright. ``python benchmarks/run.py frames``.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "benchmarks"))

OLD_REF = "f50740e"  # main before issue 25: the canvas drew every box, and >2,000 edges neutral
ZOOM_STEPS = (0, 6, 12, 18, 24)  # "+" presses after Fit
MOVES = 15
TARGETS = {"66k": 0.033, "300k": 0.050}
ROUNDS = {"66k": 2, "300k": 1}  # the old renderer takes seconds a move on the 300k graph

_INSTALL = """() => {
  window.__moves = []; window.__zooms = [];
  const time = (name) => () => {
    const t0 = performance.now();
    requestAnimationFrame(() => setTimeout(() => window[name].push(performance.now() - t0), 0));
  };
  window.addEventListener('pointermove', time('__moves'), { capture: true });
  window.addEventListener('keydown', time('__zooms'), { capture: true });
}"""


def _pages(tmp, sizes):
    """{name: (new page path, old page path)} for each moons sample count in ``sizes``."""
    import gradviz
    from workload import gradviz_loss, gradviz_model, moons
    old_bundle = subprocess.run(["git", "show", f"{OLD_REF}:gradviz/static/standalone.js"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    new_bundle = (ROOT / "gradviz" / "static" / "standalone.js").read_text(encoding="utf-8")
    out = {}
    for name, n in sizes.items():
        X, y = moons(n=n)
        loss = gradviz_loss(gradviz_model(), X, y)
        loss.backward()
        t = time.perf_counter()
        text = gradviz.to_html(loss, collapsed=None, max_nodes=10_000_000)
        print(f"  {name}: {len(loss.topo()):,} nodes, page {len(text) / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s",
              flush=True)
        assert new_bundle in text
        new, old = Path(tmp) / f"{name}-new.html", Path(tmp) / f"{name}-old.html"
        new.write_text(text, encoding="utf-8")
        old.write_text(text.replace(new_bundle, old_bundle), encoding="utf-8")
        out[name] = (new, old)
    return out


def _measure(browser, path, shots=None):
    """Median ms of a drag move at each zoom level of ZOOM_STEPS, and of the zoom steps (a "+"
    press: the view drawn afresh at the new zoom) that lead to each level."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_selector(".gradviz-root[data-gradviz-ready='1']", timeout=300_000)
    root = page.locator(".gradviz-root")
    root.get_by_role("button", name="Fit").click()
    stage = page.locator(".gv-stage")
    box = stage.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.evaluate(_INSTALL)
    medians, zooms, sharp = [], [], []
    for k, steps in enumerate(ZOOM_STEPS):
        stage.focus()
        page.evaluate("() => { window.__zooms = []; }")
        presses = steps - (ZOOM_STEPS[k - 1] if k else 0)
        for i in range(presses):
            page.keyboard.press("+")
            page.wait_for_function("n => window.__zooms.length >= n", arg=i + 1, timeout=60_000)
        zooms.append(statistics.median(page.evaluate("() => window.__zooms.slice()")) if presses else float("nan"))
        page.wait_for_timeout(400)  # zooming paused: the new renderer redraws sharp (see canvas.js)
        sharp.append(float(page.evaluate("() => document.querySelector('.gv-canvas').dataset.renderMs || 'NaN'")))
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + 6, cy)  # past the drag threshold
        page.wait_for_timeout(50)
        page.evaluate("() => { window.__moves = []; }")
        for i in range(MOVES):
            page.mouse.move(cx + 6 + (4 if i % 2 == 0 else 0), cy + (i % 3))
            page.wait_for_function("n => window.__moves.length >= n", arg=i + 1, timeout=60_000)
        page.mouse.up()
        ms = page.evaluate("() => window.__moves.slice()")
        medians.append(statistics.median(ms))
        if shots is not None:
            p = shots / f"{path.stem}-zoom{steps}.png"
            page.screenshot(path=str(p))
    page.close()
    return medians, zooms, sharp


def _report(name, runs):
    """Print the pan and zoom medians of both renderers per zoom level, ratios and the targets."""
    pan = {k: [statistics.median(c) for c in zip(*(r[0] for r in v))] for k, v in runs.items()}
    zoom = {k: [statistics.median(c) for c in zip(*(r[1] for r in v))] for k, v in runs.items()}
    sharp = [statistics.median(c) for c in zip(*(r[2] for r in runs["new"]))]
    print(f"  {name}: zoom after Fit            " + "  ".join(f"x1.25^{s:<3d}" for s in ZOOM_STEPS))
    for what, med in (("pan", pan), ("zoom step", zoom)):
        for k in ("old", "new"):
            print(f"  {name}: {what:9s} {k} (ms)     " + "  ".join(f"{v:9.1f}" for v in med[k]))
        print(f"  {name}: {what:9s} new / old      " + "  ".join(f"{a / b:9.2f}" for a, b in zip(med["new"], med["old"])))
    print(f"  {name}: new's last full redraw (ms) " + "  ".join(f"{v:9.1f}" for v in sharp)
          + "   (a pan past the margin or a zoom that pauses costs this once)")
    target = TARGETS[name] * 1e3
    for what, med in (("pan", pan), ("zoom step", zoom)):
        worst = max(v for v in med["new"] if v == v)
        old = max(v for v in med["old"] if v == v)
        print(f"  {name}: {what} worst median {worst:.1f} ms (old {old:.1f} ms, ratio {worst / old:.3f}); "
              f"target <= {target:.0f} ms: ratio {worst / target:.2f} {'ok' if worst <= target else 'MISSED'}", flush=True)
    return dict(pan=pan, zoom=zoom, redraw=sharp)


def main():
    try:
        from playwright.sync_api import sync_playwright

        from jupyter_harness import launch_browser
    except ImportError as e:
        print(f"  skipped: {e}")
        return None
    shots = ROOT / "tests" / "artifacts" / "frames"
    shots.mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {"66k": 100, "300k": 460}
        if os.environ.get("GRADVIZ_FRAMES_QUICK"):
            sizes = {"66k": 100}
        pages = _pages(tmp, sizes)
        with sync_playwright() as p:
            browser = launch_browser(p)
            for name, (new, old) in pages.items():
                runs = {"new": [], "old": []}
                for _ in range(ROUNDS[name]):  # alternated: old, new, old, new
                    print(f"  {name}: load average {os.getloadavg()[0]:.2f}", flush=True)
                    runs["old"].append(_measure(browser, old))
                    runs["new"].append(_measure(browser, new, shots))
                results[name] = _report(name, runs)
            browser.close()
    print(f"  load average after {os.getloadavg()[0]:.2f}; screenshots in {shots}")
    return results


if __name__ == "__main__":
    main()
