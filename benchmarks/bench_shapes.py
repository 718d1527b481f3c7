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
    tapes[other] = Tape(tape.graph, mode=other)
    eng, run, alt = [], [], []
    for _ in range(rounds):
        eng.append(_time(root.backward))
        run.append(_time(tape.run))
        alt.append(_time(tapes[other].run))
    med = statistics.median
    return dict(n=len(tape.graph), mode=tape.mode, other=other, levels=tapes["vector"]._nlevels,
                trace=t_trace, compile=min(t_compile), engine=med(eng), run=med(run), alt=med(alt))


def main(deep_ops=1_000_000, rounds=5):
    print("shapes: Tape.run() with write-back vs the engine's backward(); Tape(root) vs trace(root)")
    rows = []
    for name, build in shapes(deep_ops):
        r = measure(build, rounds if deep_ops < 1_000_000 or "deep" not in name else 3)
        rows.append((name, r))
        e = r["engine"]
        print(f"  {name}: {r['n']:,} nodes, {r['levels']:,} levels")
        print(f"    engine backward()        {e * 1e3:9.1f} ms   1.00x")
        print(f"    Tape.run() ({r['mode']:6})     {r['run'] * 1e3:9.1f} ms   {r['run'] / e:4.2f}x "
              f"(target <= {TARGET_RUN:g}x) {_ok(r['run'] / e, TARGET_RUN)}")
        print(f"    the {r['other']} plan         {r['alt'] * 1e3:9.1f} ms   {r['alt'] / e:4.2f}x")
        print(f"    trace()                  {r['trace'] * 1e3:9.1f} ms   {r['trace'] / e:4.2f}x")
        print(f"    Tape(root) compile       {r['compile'] * 1e3:9.1f} ms   {r['compile'] / e:4.2f}x, "
              f"{r['compile'] / r['trace']:4.2f}x trace (target <= {TARGET_COMPILE:g}x) "
              f"{_ok(r['compile'] / r['trace'], TARGET_COMPILE)}", flush=True)
        gc.collect()
    return rows


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
