"""Cost of ``GraphWidget.refresh()`` in a training loop, on the 66k-node moons loss graph (issue 10).

``refresh()`` re-reads data and grad of every Value and sends them to the page, at most ~20 times a
second; a call inside the interval only notes that a send is due. Both costs are timed inside a
real ipykernel (run through nbclient), where the widget's comm really serialises and sends its
buffers. Targets: <= 5 ms when throttled out, <= 50 ms when sent.

Also the size of the widget's state (what a saved notebook carries, and what the page loads) for the
default folded view and the full view (``collapsed=None``) of the same graph; target <= 4 MB for the
full view. Reference: the graph's values alone, data and grad as float64 (16 bytes a node).

Reference, timed in the same kernel: one ``Tape.run()`` (forward + backward of the same graph),
the work of one training step that a refresh sits next to.

Run: ``python benchmarks/run.py widget_refresh``.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"throttled out": 0.005, "sent": 0.050}

CELL = """\
import sys, time, statistics
sys.path.insert(0, {bench!r})
from workload import moons, gradviz_model, gradviz_loss
from gradviz import GraphWidget, Tape
from gradviz.widget import session as _wm
X, y = moons()
model = gradviz_model()
loss = gradviz_loss(model, X, y)
w = GraphWidget(loss)
tape = Tape(loss)
ref = []
for _ in range(5):
    t0 = time.perf_counter(); tape.run(); ref.append(time.perf_counter() - t0)
sent, out = [], []
for _ in range(15):
    w._sent_at = -1e9
    t0 = time.perf_counter(); w.refresh(); sent.append(time.perf_counter() - t0)
    for _ in range(20):
        t0 = time.perf_counter(); w.refresh(); out.append(time.perf_counter() - t0)
assert w._pending
print("nodes", len(w.graph))
print("RESULT", statistics.median(out), max(out), statistics.median(sent), max(sent), statistics.median(ref))
import json
from ipywidgets.widgets.widget import _remove_buffers
def state_bytes(widget):
    state, _, bufs = _remove_buffers(widget.get_state())
    return len(json.dumps(state)) + sum(memoryview(b).nbytes for b in bufs)
print("STATE", state_bytes(w), state_bytes(GraphWidget(loss, collapsed=None)))
"""


def main():
    import nbclient
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELL.format(bench=str(ROOT / "benchmarks")))]
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    m = re.search(r"RESULT (\S+) (\S+) (\S+) (\S+) (\S+)", text)
    if not m:
        sys.exit(f"the benchmark cell printed no result:\n{text}")
    out_med, out_max, sent_med, sent_max, ref = map(float, m.groups())
    st = re.search(r"STATE (\d+) (\d+)", text)
    print(f"  66k moons loss graph ({text.split()[1]} nodes), in a real ipykernel")
    print(f"  reference: one Tape.run() (forward + backward)   {ref * 1000:8.2f} ms")
    for name, med, mx in (("throttled out", out_med, out_max), ("sent", sent_med, sent_max)):
        t = TARGETS[name]
        print(f"  refresh(), {name:<14} median {med * 1000:8.3f} ms (max {mx * 1000:.3f})  target "
              f"{t * 1000:.0f} ms  ratio {med / t:.3f}  {'ok' if med <= t else 'MISSED'}  "
              f"({med / ref:.2f} of a Tape.run)")
    folded, full = (int(x) / 1e6 for x in st.groups())
    values = int(text.split()[1]) * 16 / 1e6
    print(f"  state, folded view (collapsed='auto')          {folded:8.2f} MB")
    print(f"  state, full view (collapsed=None)              {full:8.2f} MB  target 4 MB  ratio {full / 4:.2f}  "
          f"{'ok' if full <= 4 else 'MISSED'}  (reference: data + grad alone {values:.2f} MB, x{full / values:.1f})")


if __name__ == "__main__":
    main()
