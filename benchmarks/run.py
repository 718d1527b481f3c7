"""Run every benchmark: ``python benchmarks/run.py`` (or name some: ``python benchmarks/run.py engine replay``).

Each section measures gradviz against its reference in the same run and prints the ratios to the
targets in the product brief. Sections: engine, replay, shapes, layout, drawing, torch_bridge,
torch_capture, widget, widget_refresh, frames, playground, frameworks, backprop (widget, playground and
backprop's page part need Chromium, widget and playground JupyterLab too; frames needs Chromium;
torch_capture's browser part too; drawing compares with torchviz and Graphviz's dot when installed).
"""
from __future__ import annotations

import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ["engine", "replay", "shapes", "layout", "drawing", "torch_bridge", "torch_capture", "widget", "widget_refresh",
            "frames", "playground", "frameworks", "backprop"]


def main(argv):
    sys.path.insert(0, HERE)
    chosen = argv or SECTIONS
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section(s) {unknown}; choose from {SECTIONS}")
    for name in chosen:
        if not os.path.exists(os.path.join(HERE, f"bench_{name}.py")):
            print(f"[{name}] not available yet\n")
            continue
        t = time.perf_counter()
        print(f"[{name}]", flush=True)
        importlib.import_module(f"bench_{name}").main()
        print(f"[{name}] done in {time.perf_counter() - t:.1f} s\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
