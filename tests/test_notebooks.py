"""Run every example notebook top to bottom in a fresh kernel; each ends by asserting the lecture's numbers."""
from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason='needs nbformat: pip install -e ".[dev]"')
nbclient = pytest.importorskip("nbclient", reason='needs nbclient: pip install -e ".[dev]"')

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell


def _needs_torch(nb):
    return any(c.cell_type == "code" and ("import torch" in c.source or "from torch" in c.source)
               for c in nb.cells)


def test_examples_are_numbered_in_lecture_order():
    assert NOTEBOOKS, f"no notebooks found in {EXAMPLES}"
    numbers = [p.name[:2] for p in NOTEBOOKS]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS), numbers
    assert len(set(numbers)) == len(numbers), f"two notebooks share a number: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch, tmp_path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code"), \
        f"{path.name} is stored with outputs; clear them (Kernel > Restart and Clear Outputs) and save"
    if _needs_torch(nb) and importlib.util.find_spec("torch") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path.name} needs torch, which CI must have: pip install -e \".[torch]\"")
        pytest.skip(f"{path.name} needs torch: pip install -e \".[torch]\"")

    # The kernel inherits this environment: import this checkout's gradviz even if not installed,
    # draw with a non-GUI matplotlib backend, and keep files the notebook writes out of the repo.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("GRADVIZ_EXAMPLES_OUT", str(tmp_path))

    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name} failed in a cell:\n{e}", pytrace=False)
