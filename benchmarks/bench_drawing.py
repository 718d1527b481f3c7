"""Drawing PyTorch graphs: ``to_svg(from_torch(loss, params=model))`` against torchviz + system dot.

Reference, measured in the same run: torchviz's ``make_dot(loss, params).pipe("svg")`` (torchviz
walks the same autograd graph and hands it to Graphviz's ``dot``). Models built by hand
(tests/torch_models.py; torchvision is not installable here): ResNet-18, a TransformerEncoderLayer
and an MLP. Target: gradviz no slower than the reference (ratio <= 1.0) on each.

The two are timed alternately, run by run, so a burst of load on this shared machine hits both.
torchviz and Graphviz are benchmark-only: ``pip install -c .ci/constraints.txt torchviz`` and
``apt-get install -y graphviz``; without them the section prints gradviz's times only.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

RUNS = 9
TARGET_RATIO = 1.0


def _models(torch):
    from torch import nn

    import torch_models as tm
    torch.manual_seed(0)
    out = []
    res = tm.ResNet18(classes=10)
    out.append(("ResNet-18", res, lambda m: m(torch.randn(2, 3, 64, 64)).square().mean()))
    enc = nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True, dropout=0.0)
    out.append(("TransformerEncoderLayer", enc, lambda m: m(torch.randn(2, 10, 64)).square().mean()))
    mlp = tm.mlp((4, 16, 16, 1))
    out.append(("MLP 4-16-16-1", mlp, lambda m: m(torch.randn(8, 4)).square().mean()))
    return out


def _alternate(fns, runs):
    """Median seconds of each function, called in turn run by run."""
    times = [[] for _ in fns]
    for _ in range(runs):
        for k, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return [statistics.median(t) for t in times]


def main():
    try:
        import torch
    except ImportError:
        print("  skipped: torch is not installed")
        return None
    import gradviz
    try:
        from torchviz import make_dot
    except ImportError:
        make_dot = None
    have_dot = shutil.which("dot") is not None
    if make_dot is None or not have_dot:
        print("  reference missing (pip install -c .ci/constraints.txt torchviz; apt-get install -y graphviz):"
              " gradviz only")
    print(f"  load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}; {RUNS} runs each, alternated")
    results = {}
    for name, model, loss_of in _models(torch):
        loss = loss_of(model)
        loss.backward()
        params = dict(model.named_parameters())

        def ours():
            return gradviz.to_svg(gradviz.from_torch(loss, params=params))

        fns = [ours]
        if make_dot is not None and have_dot:
            fns.append(lambda: make_dot(loss, params=params).pipe(format="svg"))
        ours(), [f() for f in fns[1:]]  # warm both (imports, caches)
        t = _alternate(fns, RUNS)
        n = len(gradviz.from_torch(loss, params=params))
        if len(t) == 2:
            ratio = t[0] / t[1]
            ok = "ok" if ratio <= TARGET_RATIO else "MISSED"
            print(f"  {name:<24} {n:4d} nodes   gradviz {t[0] * 1e3:7.1f} ms   torchviz+dot {t[1] * 1e3:7.1f} ms"
                  f"   ratio {ratio:4.2f} (target <= {TARGET_RATIO:g}: {ok})")
            results[name] = dict(gradviz_s=t[0], torchviz_s=t[1], ratio=ratio)
        else:
            print(f"  {name:<24} {n:4d} nodes   gradviz {t[0] * 1e3:7.1f} ms")
            results[name] = dict(gradviz_s=t[0])
    print(f"  load average after {os.getloadavg()[0]:.2f}")
    return results


if __name__ == "__main__":
    main()
