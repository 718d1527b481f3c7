"""Playground speed (issue 16): training on Tape replay, the heatmaps, and the page while playing.

1. Training: ``Trainer.step()`` (Tape replay of the batch's loss graph, SGD update written into the
   model's Values, train/test loss recorded) on moons, 100 points, MLP 2-16-16-1 ReLU, full batch;
   against micrograd 0.1.0's eager demo step and gradviz's own eager step on the same data, rounds
   alternated, each eager step timed after a full garbage collection (as the engine section does). Targets: >= 100 steps/s, >= 50x micrograd's step.
2. Heatmaps: one frame's kernel work, the batched forward over the 50x50 grid (the score and all 33
   neurons) plus publishing every trait; a playing frame trains for what is left of 50 ms after it.
3. The page, in JupyterLab in headless Chromium with a real kernel: press play and, for 6 s, count
   repaints of the heatmaps (``data-repaints``) and record every animation frame; the longest gap
   between two frames is the worst stall the user sees. Targets: >= 10 repaints/s, no gap > 100 ms.
   Reference, same run: the frames of the same page idle for 3 s before play (the machine's share).

4. The standalone page (``gradviz.to_html(pg)``), which trains in the browser: the page trainer's
   step (js/src/playground/local_trainer.js in node: moons, 80 training points, 2-16-16-1 ReLU,
   full batch; wall and CPU time, target well under 1 ms) and, opened from file:// in headless
   Chromium, heatmap repaints while playing for 6 s (target >= 10/s), with the same page idle as
   the reference.

Run: ``python benchmarks/run.py playground`` (part 3 needs /usr/bin/chromium, jupyterlab, playwright).
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
import workload as w  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_STEPS_PER_S = 100.0
TARGET_SPEEDUP = 50.0
TARGET_REPAINTS_PER_S = 10.0
TARGET_MAX_GAP_MS = 100.0
PLAY_SECONDS = 6.0
IDLE_SECONDS = 3.0

_FRAME_RECORDER = """root => {
  const r = window.__gvpFrames = {gaps: [], last: null, on: true,
                                  repaints0: +root.dataset.repaints, t0: performance.now()};
  const tick = t => {
    if (r.last !== null) r.gaps.push(t - r.last);
    r.last = t;
    if (r.on) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
_FRAME_RESULT = """root => {
  const r = window.__gvpFrames; r.on = false;
  return {gaps: r.gaps, repaints: +root.dataset.repaints - r.repaints0,
          seconds: (performance.now() - r.t0) / 1000, step: +root.dataset.step,
          paint_max: +root.dataset.paintMaxMs, paint_last: +root.dataset.paintMs};
}"""


def _verdict(ok):
    return "OK" if ok else "MISSED"


def training(rounds=5):
    from gradviz.playground.trainer import Trainer

    tr = Trainer("moons", n=100, noise=0.1, test_fraction=0.0, hidden=[16, 16], activation="relu",
                 lr=0.05, l2=1e-4, seed=1)
    X, y = tr.data.X_train.tolist(), tr.data.y_train.tolist()
    eager = Trainer("moons", n=100, noise=0.1, test_fraction=0.0, hidden=[16, 16], activation="relu",
                    lr=0.05, l2=1e-4, seed=1)
    mg = w.micrograd_model()
    tr.step(1)  # compile the Tape
    w.micrograd_step(mg, X, y, lr=0.05)
    replay_t, micro_t, eager_t = [], [], []
    for _ in range(rounds):
        gc.collect()
        for _ in range(40):
            t = time.perf_counter()
            tr.step(1)
            replay_t.append(time.perf_counter() - t)
        gc.collect()  # the last round's garbage (micrograd's graphs are cyclic) is nobody's cost
        t = time.perf_counter()
        w.micrograd_step(mg, X, y, lr=0.05)
        micro_t.append(time.perf_counter() - t)
        gc.collect()
        t = time.perf_counter()
        eager.step(1, replay=False)
        eager_t.append(time.perf_counter() - t)
    step, micro, eng = (statistics.median(v) for v in (replay_t, micro_t, eager_t))
    rate = 1.0 / step
    speedup = micro / step
    print("training: moons, 100 points, MLP 2-16-16-1 ReLU, hinge + L2, full batch "
          f"({len(tr._tape.graph):,}-node loss graph on Tape)")
    print(f"  playground step     {step * 1e3:7.2f} ms median = {rate:6.0f} steps/s  (target >= "
          f"{TARGET_STEPS_PER_S:g} steps/s: {rate / TARGET_STEPS_PER_S:4.1f}x) {_verdict(rate >= TARGET_STEPS_PER_S)}")
    print(f"  micrograd 0.1.0     {micro * 1e3:7.1f} ms median: its eager demo step on the same points")
    print(f"  gradviz eager       {eng * 1e3:7.1f} ms median: Trainer.step(replay=False), same numbers")
    print(f"  speed-up            {speedup:7.0f}x  playground step vs micrograd's step (target >= "
          f"{TARGET_SPEEDUP:g}x) {_verdict(speedup >= TARGET_SPEEDUP)}; {eng / step:.0f}x vs gradviz eager")
    return dict(step_ms=step * 1e3, steps_per_s=rate, micrograd_ms=micro * 1e3, speedup=speedup)


def heatmaps(repeats=15):
    from gradviz import Playground

    pg = Playground(seed=0)
    pg.step(5)
    tr = pg._trainer
    maps_t, pub_t = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        tr.heatmaps()
        maps_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        pg._publish()
        pub_t.append(time.perf_counter() - t)
    maps, pub = statistics.median(maps_t), statistics.median(pub_t)
    print(f"heatmaps: 50x50 grid, score + {len(tr._neuron_ids)} neurons by batched forward")
    print(f"  batched forward     {maps * 1e3:7.2f} ms median; whole frame published {pub * 1e3:.2f} ms "
          f"(of a 50 ms frame; the rest trains)")
    return dict(maps_ms=maps * 1e3, publish_ms=pub * 1e3)


def page():
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from jupyter_harness import CHROMIUM, JupyterServer, Notebook, launch_browser

    if not Path(CHROMIUM).exists():
        print(f"page: skipped, {CHROMIUM} is missing")
        return {}
    from playwright.sync_api import sync_playwright

    server = JupyterServer().start()
    try:
        server.write_notebook("bench_playground.ipynb",
                              ["from gradviz import Playground\npg = Playground(seed=0)\npg"])
        with sync_playwright() as p:
            browser = launch_browser(p)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            pg_page = context.new_page()
            nb = Notebook(pg_page, server, "bench_playground.ipynb").open()
            nb.run_all()
            root = nb.panel.locator(".gvp-root[data-ready='1']").first
            root.wait_for(timeout=60_000)
            root.evaluate(_FRAME_RECORDER)  # reference: the same page, idle, same run
            time.sleep(IDLE_SECONDS)
            idle = root.evaluate(_FRAME_RESULT)
            root.evaluate(_FRAME_RECORDER)
            root.get_by_role("button", name="play").click()
            time.sleep(PLAY_SECONDS)
            res = root.evaluate(_FRAME_RESULT)
            root.get_by_role("button", name="pause").click()
            browser.close()
    finally:
        server.stop()
    gaps = res["gaps"]
    rate = res["repaints"] / res["seconds"]
    worst = max(gaps) if gaps else float("nan")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"page: JupyterLab, headless Chromium, playing for {res['seconds']:.1f} s ({res['step']} steps; "
          f"machine load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"  heatmap repaints    {rate:7.1f} /s  (target >= {TARGET_REPAINTS_PER_S:g}/s: "
          f"{rate / TARGET_REPAINTS_PER_S:4.2f}x) {_verdict(rate >= TARGET_REPAINTS_PER_S)}")
    print(f"  frame gaps          {len(gaps)} frames, median {statistics.median(gaps):.1f} ms, "
          f"99th pct {sorted(gaps)[int(0.99 * (len(gaps) - 1))]:.1f} ms, longest {worst:.1f} ms "
          f"(target <= {TARGET_MAX_GAP_MS:g} ms) {_verdict(worst <= TARGET_MAX_GAP_MS)}")
    ig = idle["gaps"]
    print(f"  idle page (ref.)    {len(ig)} frames in {idle['seconds']:.1f} s, median {statistics.median(ig):.1f} ms, "
          f"longest {max(ig):.1f} ms: the same page before play, what the machine's load alone costs")
    print(f"  page's own paint    {res['paint_last']:.1f} ms last frame, {res['paint_max']:.1f} ms longest "
          f"(tiles, edges, points, curve)")
    return dict(repaints_per_s=rate, max_gap_ms=worst, idle_max_gap_ms=max(ig))


_JS_STEP = """
import { LocalTrainer, initParams } from "./src/playground/local_trainer.js";
import { makeDataset } from "./src/playground/local_data.js";
const config = { dataset: "moons", n: 100, noise: 0.1, test_fraction: 0.2, hidden: [16, 16], activation: "relu",
                 lr: 0.1, l2: 1e-4, batch_size: null, seed: 0 };
const init = initParams([2, 16, 16, 1], 0);
const tr = new LocalTrainer({ config, grid: 50, data: makeDataset("moons", 100, 0.1, 0.2, 0), params: init, init,
                              steps: 0, history: { step: [], train: [], test: [] } });
tr.step(300);  // warm up the JIT
const wall = [], cpu = [];
for (let r = 0; r < 9; r++) {
  const c = process.cpuUsage(), t = performance.now();
  tr.step(300);
  wall.push((performance.now() - t) / 300);
  const u = process.cpuUsage(c);
  cpu.push((u.user + u.system) / 1000 / 300);
}
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
console.log(JSON.stringify({ points: tr.data.ytrain.length, wall: med(wall), cpu: med(cpu) }));
"""


def standalone_page():
    import json
    import shutil
    import subprocess
    import tempfile

    import gradviz
    from gradviz import Playground

    out = {}
    node = shutil.which("node")
    if node:
        r = json.loads(subprocess.run([node, "--input-type=module", "-e", _JS_STEP], cwd=ROOT / "js", check=True,
                                      capture_output=True, text=True).stdout)
        load = os.getloadavg()[0]
        print(f"standalone page: the page's trainer in node (moons, {r['points']} training points, 2-16-16-1 ReLU, "
              f"full batch; load average {load:.1f} on {os.cpu_count()} cores)")
        print(f"  page trainer step   {r['wall'] * 1e3:7.1f} us median wall, {r['cpu'] * 1e3:.1f} us CPU "
              f"(target < 1000 us) {_verdict(r['wall'] < 1.0)}")
        out.update(js_step_us=r["wall"] * 1e3, js_step_cpu_us=r["cpu"] * 1e3)
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from jupyter_harness import CHROMIUM, launch_browser
    if not Path(CHROMIUM).exists():
        print(f"standalone page: browser part skipped, {CHROMIUM} is missing")
        return out
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "playground.html"
        gradviz.to_html(Playground(seed=0), path)
        with sync_playwright() as p:
            browser = launch_browser(p)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_offline(True)
            pg = context.new_page()
            pg.goto(path.as_uri())
            root = pg.locator(".gvp-root[data-ready='1']")
            root.wait_for(timeout=30_000)
            root.evaluate(_FRAME_RECORDER)
            time.sleep(IDLE_SECONDS)
            idle = root.evaluate(_FRAME_RESULT)
            root.evaluate(_FRAME_RECORDER)
            pg.get_by_role("button", name="play").click()
            time.sleep(PLAY_SECONDS)
            res = root.evaluate(_FRAME_RESULT)
            browser.close()
    rate = res["repaints"] / res["seconds"]
    gaps, ig = res["gaps"], idle["gaps"]
    load = os.getloadavg()[0]
    print(f"standalone page: file://, headless Chromium, no kernel, playing for {res['seconds']:.1f} s "
          f"({res['step']} steps; load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"  heatmap repaints    {rate:7.1f} /s  (target >= {TARGET_REPAINTS_PER_S:g}/s: "
          f"{rate / TARGET_REPAINTS_PER_S:4.2f}x) {_verdict(rate >= TARGET_REPAINTS_PER_S)}; "
          f"{res['step'] / res['seconds']:.0f} steps/s")
    print(f"  frame gaps          median {statistics.median(gaps):.1f} ms, longest {max(gaps):.1f} ms; idle page "
          f"(ref.) median {statistics.median(ig):.1f} ms, longest {max(ig):.1f} ms; own paint "
          f"{res['paint_last']:.1f} ms last, {res['paint_max']:.1f} ms longest")
    out.update(page_repaints_per_s=rate, page_max_gap_ms=max(gaps))
    return out


def main():
    out = training()
    out.update(heatmaps())
    out.update(page())
    out.update(standalone_page())
    return out


if __name__ == "__main__":
    main()
