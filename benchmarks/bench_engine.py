"""Engine benchmark: micrograd's moons demo step on gradviz and on micrograd 0.1.0, alternated.

Prints the median step time (forward + zero_grad + backward + SGD update), the peak memory of one
step (tracemalloc started after imports and model creation), node counts, and the ratios against
the targets (>= 10x faster, <= 0.2x peak memory). Then the deepest chain that backpropagates.
Step times are this process's CPU time (``time.process_time``), so other jobs on a shared machine
skew neither side; the garbage collector runs as it does for a user (both engines pay for it).
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(__file__))
import workload as w  # noqa: E402

TARGET_SPEEDUP = 10.0
TARGET_MEMORY = 0.2


def timed(step, model, X, y):
    gc.collect()
    t = time.process_time()
    loss = step(model, X, y)
    return time.process_time() - t, loss


def peak_memory(step, model, X, y):
    gc.collect()
    tracemalloc.start()
    loss = step(model, X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, w.count_nodes(loss)


def deep_chain(n):
    from gradviz import Value
    x = Value(1.0, label="x")
    y = x
    t = time.perf_counter()
    for _ in range(n):
        y = y * 1.0
    built = time.perf_counter() - t
    t = time.perf_counter()
    y.backward()
    return built, time.perf_counter() - t, x.grad


def main(repeats=7):
    X, y = w.moons()
    gv, mg = w.gradviz_model(), w.micrograd_model()
    w.gradviz_step(gv, X, y), w.micrograd_step(mg, X, y)  # warm up
    t_gv, t_mg = [], []
    for _ in range(repeats):  # alternate, so load on the machine hits both alike
        t_gv.append(timed(w.gradviz_step, gv, X, y)[0])
        t_mg.append(timed(w.micrograd_step, mg, X, y)[0])
    m_gv, n_gv = peak_memory(w.gradviz_step, gv, X, y)
    m_mg, n_mg = peak_memory(w.micrograd_step, mg, X, y)
    a, b = statistics.median(t_gv), statistics.median(t_mg)
    print("engine: moons demo step (100 samples, MLP 2-16-16-1 relu/linear, SVM loss + 1e-4 L2)")
    print(f"  nodes a step        gradviz {n_gv:,}   micrograd {n_mg:,}")
    print(f"  median step         gradviz {a * 1e3:8.1f} ms   micrograd {b * 1e3:8.1f} ms   "
          f"speed-up {b / a:5.2f}x (target >= {TARGET_SPEEDUP:g}x) {'OK' if b / a >= TARGET_SPEEDUP else 'MISSED'}")
    print(f"  peak memory a step  gradviz {m_gv / 1e6:8.1f} MB   micrograd {m_mg / 1e6:8.1f} MB   "
          f"ratio {m_gv / m_mg:5.3f}x (target <= {TARGET_MEMORY:g}x) {'OK' if m_gv / m_mg <= TARGET_MEMORY else 'MISSED'}")
    print(f"  per node            gradviz {m_gv / n_gv:6.0f} B      micrograd {m_mg / n_mg:6.0f} B")
    print(f"  recursion limit     {sys.getrecursionlimit()}")
    for n in (1_000_000,):
        built, back, g = deep_chain(n)
        print(f"  deep chain          {n:,} ops built in {built:.2f} s, backward in {back:.2f} s, x.grad = {g}")
    return dict(speedup=b / a, memory_ratio=m_gv / m_mg)


if __name__ == "__main__":
    main()
