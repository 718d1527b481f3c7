"""PyTorch bridge benchmark on the 66k-node moons loss graph (micrograd's demo step).

Prints the median time of: to_torch (trace + mirror), PyTorch's backward over the mirror,
compare_with_torch on the graph, compare_with_torch(model=...) and from_torch of the mirrored
graph; the reference is PyTorch building and backpropagating the same scalar graph by hand in the
same run (the floor for any op-for-op mirror). Target: the whole comparison in seconds (<= 5 s).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import workload as w  # noqa: E402

RUNS = 3
TARGET_COMPARE_S = 5.0


def median_time(fn, runs=RUNS):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def torch_by_hand(torch, X, y, model):
    """The same moons loss written directly as scalar torch ops (what a mirror cannot beat)."""
    f64 = torch.float64
    layers = [[([torch.tensor(wi.data, dtype=f64, requires_grad=True) for wi in n.w],
                torch.tensor(n.b.data, dtype=f64, requires_grad=True), n.activation)
               for n in layer.neurons] for layer in model.layers]
    params = [p for layer in layers for ws, b, _ in layer for p in (*ws, b)]
    losses = []
    for xrow, yi in zip(X, y):
        x = [torch.tensor(v, dtype=f64, requires_grad=True) for v in xrow]
        for layer in layers:
            out = []
            for ws, b, act in layer:
                a = b
                for wi, xi in zip(ws, x):
                    a = a + wi * xi
                out.append(torch.relu(a) if act == "relu" else a)
            x = out
        losses.append(torch.relu(1 + -yi * x[0]))
    total = losses[0]
    for l in losses[1:]:
        total = total + l
    reg = params[0] * params[0]
    for p in params[1:]:
        reg = reg + p * p
    loss = total * (1.0 / len(losses)) + 1e-4 * reg
    loss.backward()
    return loss


def main():
    import torch

    import gradviz
    from gradviz import trace
    X, y = w.moons()
    model = w.gradviz_model()
    L = w.gradviz_loss(model, X, y)
    L.backward()
    g = trace(L)
    print(f"graph: {len(g)} nodes")

    ref = median_time(lambda: torch_by_hand(torch, X, y, model))
    mirror = median_time(lambda: gradviz.to_torch(L))
    root, _ = gradviz.to_torch(L)
    back = median_time(lambda: root.backward(retain_graph=True))
    compare = median_time(lambda: gradviz.compare_with_torch(L))
    report = gradviz.compare_with_torch(L)
    model_cmp = median_time(lambda: gradviz.compare_with_torch(model=model, inputs=X, targets=y,
                                                              loss="svm"))
    imported = median_time(lambda: gradviz.from_torch(root))

    print(f"reference, torch by hand (build + backward): {ref:.2f} s")
    print(f"to_torch (trace + mirror):                   {mirror:.2f} s")
    print(f"torch backward over the mirror:              {back:.2f} s")
    print(f"compare_with_torch(L):                       {compare:.2f} s  "
          f"({compare / ref:.2f}x the reference; target <= {TARGET_COMPARE_S:.0f} s: "
          f"{compare / TARGET_COMPARE_S:.2f} of it)  ok={report.ok} max abs err {report.max_abs_err:.2g}")
    print(f"compare_with_torch(model=...) svm loss:      {model_cmp:.2f} s")
    print(f"{f'from_torch of the {len(g)}-node mirror:':45}{imported:.2f} s")


if __name__ == "__main__":
    main()
