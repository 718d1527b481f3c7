"""Replay on every graph shape, each figure as a ratio to the engine measured in the same run.

Shapes (benchmarks/workload.py): wide (the 66k-node moons step), deep (a 1,000,000-op chain
``y = y * 1.0001 + 0.0001``), random DAGs (shallow: operands drawn from all earlier nodes; narrow:
from the last 32), and a tanh RNN (8 units) unrolled in scalars over 200 steps. For each: the
engine's ``backward()`` on the graph, ``Tape.run()`` with write-back (the plan ``Tape`` picks, and
the other plan for comparison), ``trace()`` and ``Tape(root)`` (compile, its trace included).
Engine and replay runs alternate, and every figure is this process's CPU time
(``time.process_time``), so other jobs on a shared machine skew neither side. Targets: run <= 1x the engine's backward on every shape; compile <= 2x trace.
"""
from __future__ import annotations

import gc
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import workload as w  # noqa: E402

TARGET_RUN = 1.0      # Tape.run() (write-back) / engine backward()
TARGET_COMPILE = 2.0  # Tape(root) / trace(root)


def _time(fn):
    t = time.process_time()
    fn()
    return time.process_time() - t


def _ok(ratio, target):
    return "OK" if ratio <= target else "MISSED"


def shapes(deep_ops=1_000_000):
    yield "wide: moons step (MLP 2-16-16-1, 100 samples)", lambda: w.gradviz_loss(w.gradviz_model(), *w.moons())
    yield f"deep: chain of {deep_ops:,} ops", lambda: w.deep_chain(deep_ops)[1]
    yield "random DAG, shallow (100k ops)", lambda: w.random_dag(100_000)
    yield "random DAG, narrow (100k ops, window 32)", lambda: w.random_dag(100_000, window=32)
    yield "RNN unrolled over 200 steps (8 tanh units)", lambda: w.rnn_loss(200, 8)[1]


def measure(build, rounds):
    from gradviz import Tape, trace
    root = build()
    gc.collect()
    t_trace = min(_time(lambda: trace(root)) for _ in range(2))
    tapes = {}
    t_compile = []
    for _ in range(2):
        t = time.process_time()
        tape = Tape(root)
        t_compile.append(time.process_time() - t)
    tapes[tape.mode] = tape
    other = "scalar" if tape.mode == "vector" else "vector"
    # the vector plan of a million levels takes many seconds a run: shown for smaller graphs only
    tapes[other] = Tape(tape.graph, mode=other) if other == "scalar" or len(tape.graph) < 500_000 else None
    eng, run, alt = [], [], []
    for _ in range(rounds):
        eng.append(_time(root.backward))
        run.append(_time(tape.run))
        alt.append(_time(tapes[other].run) if tapes[other] is not None else math.nan)
    med = statistics.median
    return dict(n=len(tape.graph), mode=tape.mode, other=other, levels=tape._nlevels,
                trace=t_trace, compile=min(t_compile), engine=med(eng), run=med(run), alt=med(alt))


def main(deep_ops=1_000_000, rounds=9):
    print("shapes: Tape.run() with write-back vs the engine's backward(); Tape(root) vs trace(root)")
    rows = []
    for name, build in shapes(deep_ops):
        r = measure(build, 3 if "deep" in name and deep_ops >= 1_000_000 else rounds)
        rows.append((name, r))
        e = r["engine"]
        print(f"  {name}: {r['n']:,} nodes, {r['levels']:,} levels")
        print(f"    engine backward()        {e * 1e3:9.1f} ms   1.00x")
        print(f"    Tape.run() ({r['mode']:6})     {r['run'] * 1e3:9.1f} ms   {r['run'] / e:4.2f}x "
              f"(target <= {TARGET_RUN:g}x) {_ok(r['run'] / e, TARGET_RUN)}")
        if math.isnan(r["alt"]):
            print(f"    the {r['other']} plan         (not run: seconds a run at this depth)")
        else:
            print(f"    the {r['other']} plan         {r['alt'] * 1e3:9.1f} ms   {r['alt'] / e:4.2f}x")
        print(f"    trace()                  {r['trace'] * 1e3:9.1f} ms   {r['trace'] / e:4.2f}x")
        print(f"    Tape(root) compile       {r['compile'] * 1e3:9.1f} ms   {r['compile'] / e:4.2f}x, "
              f"{r['compile'] / r['trace']:4.2f}x trace (target <= {TARGET_COMPILE:g}x) "
              f"{_ok(r['compile'] / r['trace'], TARGET_COMPILE)}", flush=True)
        gc.collect()
    print("widget, kernel side (wall-clock):", flush=True)
    big()
    return rows


TARGET_WIDGET_MB = 300.0   # peak memory of building a GraphWidget of the 300k-node graph
TARGET_FOLDED_1M_S = 5.0   # kernel side of a folded widget of a 1,000,000-node graph


def _peak_mb(fn):
    import tracemalloc
    gc.collect()
    tracemalloc.start()
    try:
        out = fn()
        return tracemalloc.get_traced_memory()[1] / 1e6, out
    finally:
        tracemalloc.stop()


def _wall(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def big(samples=460, million_samples=1520):
    """The kernel side of big widgets: an MLP loss over ``samples`` moons samples (~300k nodes),
    drawn in full and folded, and a folded widget of ~1,000,000 nodes. Times are wall-clock here
    (what a user waits for); the engine's backward on the same graph is the reference."""
    from gradviz import Tape, trace
    from gradviz.draw.layout import group_view, layout
    from gradviz.widget import GraphWidget

    X, y = w.moons(n=samples)
    model = w.gradviz_model()
    t_build, loss = _wall(lambda: w.gradviz_loss(model, X, y))
    t_eng, _ = _wall(loss.backward)
    t_trace, g = _wall(lambda: trace(loss))
    t_tape, tape = _wall(lambda: Tape(loss))
    t_run, _ = _wall(tape.run)
    # g goes to the timed calls as an argument: a lambda closing over it would read a name that the
    # `del g` below unbinds
    t_auto, lay_auto = _wall(lambda graph: layout(group_view(graph, "auto")), g)
    t_full, lay = _wall(layout, g)
    del tape, lay
    gc.collect()
    t_wfull, wfull = _wall(lambda: GraphWidget(loss, collapsed=None))
    del wfull
    gc.collect()
    t_wauto, wauto = _wall(lambda: GraphWidget(loss))
    del wauto
    m_full, wfull = _peak_mb(lambda: GraphWidget(loss, collapsed=None))
    del wfull
    m_auto, _ = _peak_mb(lambda: GraphWidget(loss))
    n = len(g)
    print(f"  MLP loss over {samples} samples: {n:,} nodes (engine: built in {t_build:.2f} s, "
          f"backward {t_eng * 1e3:.0f} ms = 1.00x)")
    for name, t in [("trace()", t_trace), ("Tape(root) compile", t_tape), (f"Tape.run() ({tape_mode(loss)})", t_run),
                    ("group_view('auto') + layout", t_auto), ("layout, every node", t_full),
                    ("GraphWidget, every node", t_wfull), ("GraphWidget, folded", t_wauto)]:
        print(f"    {name:30} {t * 1e3:9.0f} ms   {t / t_eng:5.2f}x")
    print(f"    GraphWidget peak memory       every node {m_full:6.0f} MB, folded {m_auto:6.0f} MB "
          f"(target <= {TARGET_WIDGET_MB:g} MB) {_ok(max(m_full, m_auto), TARGET_WIDGET_MB)}   "
          f"[{len(lay_auto.view)} boxes folded]")
    del loss, g, model
    gc.collect()

    X, y = w.moons(n=million_samples)
    model = w.gradviz_model()
    t_build, loss = _wall(lambda: w.gradviz_loss(model, X, y))
    t_eng, _ = _wall(loss.backward)
    t_w, wbig = _wall(lambda: GraphWidget(loss))
    print(f"  MLP loss over {million_samples} samples: {len(wbig.graph):,} nodes (built in {t_build:.1f} s, "
          f"backward {t_eng:.2f} s): folded GraphWidget, kernel side {t_w:.2f} s "
          f"(target <= {TARGET_FOLDED_1M_S:g} s) {_ok(t_w, TARGET_FOLDED_1M_S)}   [{wbig._view['n']} boxes]")


def tape_mode(root):
    from gradviz import Tape
    return Tape(root).mode


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
