"""capture_torch benchmark (issue 14, item 4), against a plain forward + backward in the same run.

1. Time: one training step (forward, MSE loss, backward) of a ResNet-18 (hand-built, 11.7M
   parameters, float32, batch 2 of 3×112×112) with and without ``capture_torch``; runs interleaved,
   medians of wall-clock time (all threads) and of process CPU time (one thread: the work itself).
   Target: capture with gradients <= 2x the plain step.
2. Memory: the peak resident memory a step adds (VmHWM after the step minus VmRSS before it, each
   variant in a fresh process). Target <= 1.5x the plain step.
3. Opening a ~1,000-op capture (18 Transformer encoder layers) in the widget: kernel side
   (``GraphWidget(g)`` and its state as the page gets it), and, when Chromium and JupyterLab are
   here, the whole open in JupyterLab (benchmarks/bench_widget.py's harness). Target <= 1 s.

Reference: TorchLens (``pip install torchlens``; a benchmark-only dependency), the closest tool
that records every op's activation and gradient, measured in the same run on the same step when
installed (``tl.trace(..., save_grads="all")`` then ``log_backward``).
Run: ``python benchmarks/run.py torch_capture``.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

RUNS = 7
LENS_RUNS = 2
TARGETS = {"time": 2.0, "memory": 1.5, "open": 1.0}
BATCH, SIZE = 2, 112


def _setup(torch):
    import torch_models as tm
    torch.manual_seed(0)
    model = tm.ResNet18().float()
    x = torch.randn(BATCH, 3, SIZE, SIZE, dtype=torch.float32)
    return model, x


def _steps(torch, model, x):
    import gradviz

    def plain():
        model.zero_grad(set_to_none=True)
        (model(x) ** 2).mean().backward()

    def capture():
        model.zero_grad(set_to_none=True)
        with gradviz.capture_torch(model) as cap:
            (model(x) ** 2).mean().backward()
        return cap

    def lens():
        import torchlens as tl
        from torchlens.options import CaptureOptions
        from torchlens.validation.backward import _reconstruct_candidate_output_for_loss
        model.zero_grad(set_to_none=True)
        tr = tl.trace(model, x, capture=CaptureOptions(layers_to_save="all", save_grads="all"))
        loss = (_reconstruct_candidate_output_for_loss(tr) ** 2).mean()
        tr.log_backward(loss)
        return tr

    return {"plain": plain, "capture": capture, "torchlens": lens}


def _have_torchlens():
    try:
        import torchlens  # noqa: F401
        return True
    except Exception:
        return False


def _rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _memory_child(variant):
    """In a fresh process: peak resident memory added by one step of ``variant``, in MB."""
    import torch
    torch.set_num_threads(1)  # the same allocation pattern in every process
    model, x = _setup(torch)
    step = _steps(torch, model, x)[variant]
    import warnings
    warnings.simplefilter("ignore")
    before = _rss_kb("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the high-water mark to the current RSS
    keep = step()
    peak = _rss_kb("VmHWM")
    del keep
    print(json.dumps({"added_mb": (peak - before) / 1024}))


def _memory(variant):
    out = subprocess.run([sys.executable, __file__, "--memory", variant], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(out.stdout.strip().splitlines()[-1])["added_mb"]


def _line(name, value, unit, ref=None, target=None):
    s = f"  {name:<46} {value:9.1f} {unit}"
    if ref is not None:
        ratio = value / ref
        s += f"  ratio {ratio:5.2f}"
        if target is not None:
            s += f"  (target <= {target:g}: {'ok' if ratio <= target else 'MISSED'})"
    print(s)


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def _time_section(torch, have_lens):
    model, x = _setup(torch)
    steps = _steps(torch, model, x)
    steps["plain"]()  # warm up (first-call allocations, kernel selection)
    steps["capture"]()
    wall = {"plain": [], "capture": []}
    cpu = {"plain": [], "capture": []}
    for _ in range(RUNS):  # interleaved, so load changes hit both alike
        for k in wall:
            wall[k].append(_timed(steps[k])[0])
    # CPU time on one thread: the work done, which other processes' load distorts least (on
    # several threads, OpenMP's spin-waiting counts as CPU time too)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(RUNS):
            for k in cpu:
                cpu[k].append(_timed(steps[k])[1])
    finally:
        torch.set_num_threads(threads)
    med = {k: statistics.median(v) for k, v in wall.items()}
    cmed = {k: statistics.median(v) for k, v in cpu.items()}
    cap = steps["capture"]()
    g = cap.graph()
    print(f"\n1. time of one step, ResNet-18 float32, batch {BATCH}×3×{SIZE}×{SIZE}; the capture's "
          f"graph has {len(g)} nodes ({sum(k == 'parameter' for k in g.kinds)} parameters), "
          f"medians of {RUNS}: wall clock on {torch.get_num_threads()} threads, process CPU time on one")
    _line("plain forward + backward, wall", med["plain"] * 1000, "ms")
    _line("capture_torch, values and gradients, wall", med["capture"] * 1000, "ms", med["plain"] * 1000,
          TARGETS["time"])
    _line("plain forward + backward, CPU, 1 thread", cmed["plain"] * 1000, "ms")
    _line("capture_torch, values and gradients, CPU, 1 thread", cmed["capture"] * 1000, "ms",
          cmed["plain"] * 1000, TARGETS["time"])
    t = time.perf_counter()
    cap.graph()
    _line("  then cap.graph()", (time.perf_counter() - t) * 1000, "ms")
    if have_lens:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TorchLens says BatchNorm statistics move in train mode
            steps["torchlens"]()
            walls = [_timed(steps["torchlens"])[0] for _ in range(LENS_RUNS)]
            torch.set_num_threads(1)
            try:
                cpus = [_timed(steps["torchlens"])[1] for _ in range(LENS_RUNS)]
            finally:
                torch.set_num_threads(threads)
        _line(f"reference: TorchLens, activations + gradients, wall (n={LENS_RUNS})",
              statistics.median(walls) * 1000, "ms", med["plain"] * 1000)
        _line("reference: TorchLens, activations + gradients, CPU, 1 thread",
              statistics.median(cpus) * 1000, "ms", cmed["plain"] * 1000)
    return med["capture"] / med["plain"], cmed["capture"] / cmed["plain"]


def _memory_section(have_lens):
    print("\n2. peak memory one step adds (VmHWM - VmRSS before; fresh process each, 1 thread)")
    plain = _memory("plain")
    _line("plain forward + backward", plain, "MB")
    cap = _memory("capture")
    _line("capture_torch, values and gradients", cap, "MB", plain, TARGETS["memory"])
    if have_lens:
        _line("reference: TorchLens, activations + gradients", _memory("torchlens"), "MB", plain)
    return cap / plain


OPEN_CELLS = [
    "import torch, gradviz\n"
    "from torch import nn\n"
    "torch.manual_seed(0)\n"
    "model = nn.TransformerEncoder(nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True), 18,\n"
    "                              enable_nested_tensor=False)\n"
    "x = torch.randn(2, 10, 32)\n"
    "with gradviz.capture_torch(model) as cap:\n"
    "    (model(x) ** 2).mean().backward()\n"
    "g = cap.graph()\n"
    "print('nodes', len(g))",
    "w = gradviz.GraphWidget(g)\nw",
]


def _open_section(torch):
    import gradviz
    ns = {}
    exec(OPEN_CELLS[0].replace("print(", "(lambda *a: None)("), ns)
    g = ns["g"]
    ts = []
    for _ in range(RUNS):
        t = time.perf_counter()
        w = gradviz.GraphWidget(g)
        json.dumps(w.get_state(), default=len)  # binary buffers travel as they are
        ts.append(time.perf_counter() - t)
    print(f"\n3. opening a {len(g)}-node capture (18 Transformer encoder layers) in the widget; "
          f"{w._view['n']} boxes drawn (folded by module)")
    _line("kernel: GraphWidget(g) + its state as JSON", statistics.median(ts) * 1000, "ms")
    print(f"  {'':<46} target <= {TARGETS['open'] * 1000:.0f} ms: "
          f"{'ok' if statistics.median(ts) <= TARGETS['open'] else 'MISSED'} (kernel side)")
    try:
        from playwright.sync_api import sync_playwright

        from bench_widget import _open_times
        from jupyter_harness import CHROMIUM, JupyterServer, Notebook, launch_browser
        if not Path(CHROMIUM).exists():
            raise ImportError(CHROMIUM)
    except ImportError as e:
        print(f"  browser part skipped: {e}")
        return statistics.median(ts)
    server = JupyterServer().start()
    try:
        server.write_notebook("bench_capture.ipynb", OPEN_CELLS)
        with sync_playwright() as p:
            browser = launch_browser(p)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            nb = Notebook(page, server, "bench_capture.ipynb").open()
            nb.run_cell(0, timeout=120_000)
            opens, render = _open_times(nb, 1, 3)
            root = nb.panel.locator(".gradviz-root").first
            med = statistics.median(opens)
            _line(f"JupyterLab: cell run -> widget ready ({root.get_attribute('data-renderer')})",
                  med * 1000, "ms")
            print(f"  {'':<46} target <= {TARGETS['open'] * 1000:.0f} ms: "
                  f"{'ok' if med <= TARGETS['open'] else 'MISSED'}")
            _line("  of which front end (data-render-ms)", statistics.median(render) * 1000, "ms")
            browser.close()
        return med
    finally:
        server.stop()


def main():
    import torch
    have_lens = _have_torchlens()
    if not have_lens:
        print("  (TorchLens not installed: pip install torchlens for the reference rows)")
    t_ratio, c_ratio = _time_section(torch, have_lens)
    m_ratio = _memory_section(have_lens)
    open_s = _open_section(torch)
    print(f"\nsummary: capture time {t_ratio:.2f}x plain wall, {c_ratio:.2f}x CPU (target <= "
          f"{TARGETS['time']:g}), memory "
          f"{m_ratio:.2f}x (target <= {TARGETS['memory']:g}), ~1,000-op capture opens in "
          f"{open_s * 1000:.0f} ms (target <= {TARGETS['open'] * 1000:.0f} ms)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--memory":
        _memory_child(sys.argv[2])
    else:
        main()
