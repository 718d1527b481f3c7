"""Replay benchmark: Tape.run() on the 66k-node moons loss graph against micrograd's eager step.

Before every timed run a first-layer weight is nudged, so every value and gradient of the graph
changes (nothing can be skipped). Prints the median run() with and without writing back into the
Values, micrograd 0.1.0's demo step measured in the same run (the three alternate, round by
round), trace/compile times, and the ratios against the targets: <= 10 ms with write-back, <= 3 ms without, >= 100x faster than micrograd.
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import workload as w  # noqa: E402

TARGET_WRITE_BACK_MS = 10.0
TARGET_ARRAYS_MS = 3.0
TARGET_SPEEDUP = 100.0
TARGET_TRACE_S = 0.5


def _times_ms(fn, repeats, before=None):
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return times


def _verdict(ok):
    return "OK" if ok else "MISSED"


def main(rounds=5):
    from gradviz import Tape, trace

    X, y = w.moons()
    model = w.gradviz_model()
    loss = w.gradviz_loss(model, X, y)
    w0 = model.parameters()[0]
    sign = [1.0]

    def nudge():  # alternate +-0.01 on a first-layer weight: the whole graph moves
        sign[0] = -sign[0]
        w0.data += 0.01 * sign[0]

    gc.collect()
    t_trace = min(_times_ms(lambda: trace(loss), 3)) / 1e3
    t0 = time.perf_counter()
    tape = Tape(loss)
    t_compile = time.perf_counter() - t0
    n = len(tape.graph)
    tape.run()  # warm up
    mg = w.micrograd_model()
    w.micrograd_step(mg, X, y)  # warm up

    # Rounds alternate the three measurements, so load on the machine hits them alike.
    arrays_t, written_t, micro_t = [], [], []
    for _ in range(rounds):
        gc.collect()
        arrays_t += _times_ms(lambda: tape.run(write_back=False), 9, nudge)
        written_t += _times_ms(tape.run, 9, nudge)
        micro_t += _times_ms(lambda: w.micrograd_step(mg, X, y), 1)
    arrays, written, micro = (statistics.median(t) for t in (arrays_t, written_t, micro_t))

    speedup = micro / written
    print("replay: Tape.run() on the moons loss graph (100 samples, MLP 2-16-16-1, SVM loss + L2)")
    print(f"  graph               {n:,} values, {tape._nlevels} levels; trace {t_trace * 1e3:.0f} ms "
          f"(target <= {TARGET_TRACE_S * 1e3:.0f} ms) {_verdict(t_trace <= TARGET_TRACE_S)}, "
          f"compile {t_compile * 1e3:.0f} ms")
    print(f"  run, arrays only    {arrays:7.2f} ms median, {min(arrays_t):6.2f} best   (target <= "
          f"{TARGET_ARRAYS_MS:g} ms: {arrays / TARGET_ARRAYS_MS:4.2f}x of budget) "
          f"{_verdict(arrays <= TARGET_ARRAYS_MS)}")
    print(f"  run + write-back    {written:7.2f} ms median, {min(written_t):6.2f} best   (target <= "
          f"{TARGET_WRITE_BACK_MS:g} ms: {written / TARGET_WRITE_BACK_MS:4.2f}x of budget) "
          f"{_verdict(written <= TARGET_WRITE_BACK_MS)}")
    print(f"  micrograd 0.1.0     {micro:7.1f} ms median, {min(micro_t):6.1f} best: its demo step "
          f"(eager forward + backward + update)")
    print(f"  speed-up            {speedup:7.0f}x  run + write-back vs micrograd's step "
          f"(target >= {TARGET_SPEEDUP:g}x) {_verdict(speedup >= TARGET_SPEEDUP)}")
    return dict(arrays_ms=arrays, write_back_ms=written, micrograd_ms=micro, speedup=speedup,
                trace_s=t_trace, compile_s=t_compile)


if __name__ == "__main__":
    main()
