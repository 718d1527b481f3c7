"""Figures for issue 26 (no targets): what reading a graph costs against running it plainly.

1. ``from_torch(torch.export.export(cnn, (x,)), loss=...)`` on the hand-built SmallCNN (float32,
   batch 8 of 1×28×28), against the plain forward + loss + backward of the same model.
2. ``capture_jax(loss, params, x, y)`` on a tanh MLP 64-128-128-10 (float32, batch 32, softmax
   cross-entropy), against ``jax.value_and_grad(loss)`` run eagerly (op by op, as capture_jax
   evaluates) and jitted (compiled once before timing).

Runs interleaved, medians of wall-clock and process CPU time. Run: ``python benchmarks/run.py frameworks``.
"""
from __future__ import annotations

import copy
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

RUNS = 7


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _interleaved(variants, runs=RUNS):
    """{name: (median wall s, median cpu s)}, the variants alternated run by run."""
    times = {k: [] for k in variants}
    for _ in range(runs):
        for k, fn in variants.items():
            times[k].append(_timed(fn))
    return {k: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) for k, v in times.items()}


def _report(title, res, ref):
    print(f"  {title} (load average {os.getloadavg()[0]:.1f}):")
    w0, c0 = res[ref]
    for k, (w, c) in res.items():
        print(f"    {k:<34} wall {w * 1e3:8.1f} ms ({w / w0:5.2f}x)   cpu {c * 1e3:8.1f} ms ({c / c0:5.2f}x)")


def bench_export():
    import torch

    import gradviz
    import torch_models as tm
    torch.manual_seed(0)
    model = tm.SmallCNN(classes=10)
    x, y = torch.randn(8, 1, 28, 28), torch.randint(0, 10, (8,))
    ep = torch.export.export(model, (x,))

    def loss(out):
        return torch.nn.functional.cross_entropy(out, y)

    ref = copy.deepcopy(model)

    def plain():
        ref.zero_grad(set_to_none=True)
        loss(ref(x)).backward()

    res = _interleaved({"plain forward + backward": plain,
                        "from_torch(exported program)": lambda: gradviz.from_torch(ep, loss=loss)})
    n = len(gradviz.from_torch(ep, loss=loss))
    _report(f"exported SmallCNN, {n} nodes", res, "plain forward + backward")


def bench_jax():
    import jax
    import jax.numpy as jnp

    import gradviz
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    sizes = [64, 128, 128, 10]
    params = {f"w{i}": jax.random.normal(keys[i], (a, b)) / a ** 0.5 for i, (a, b) in enumerate(zip(sizes, sizes[1:]))}
    x = jax.random.normal(keys[3], (32, 64))
    y = jnp.arange(32) % 10

    def loss(p, x, y):
        h = x
        for i in range(3):
            h = h @ p[f"w{i}"]
            if i < 2:
                h = jnp.tanh(h)
        logp = jax.nn.log_softmax(h)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    eager = jax.value_and_grad(loss)
    jitted = jax.jit(eager)
    jax.block_until_ready(jitted(params, x, y))

    def run(f):
        return lambda: jax.block_until_ready(f(params, x, y))

    res = _interleaved({"value_and_grad, eager": run(eager), "value_and_grad, jitted": run(jitted),
                        "capture_jax": lambda: gradviz.capture_jax(loss, params, x, y)})
    n = len(gradviz.capture_jax(loss, params, x, y))
    _report(f"JAX tanh MLP 64-128-128-10, batch 32, {n} nodes", res, "value_and_grad, eager")


def main():
    bench_export()
    bench_jax()


if __name__ == "__main__":
    main()
