"""Run every example notebook top to bottom in a fresh kernel; each ends by asserting the lecture's numbers.

The selected notebooks run concurrently (each in its own kernel) in one module fixture, since a
kernel spends much of its time starting up and waiting; each test then reports its notebook.
"""
from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason='needs nbformat: pip install -e ".[dev]"')
nbclient = pytest.importorskip("nbclient", reason='needs nbclient: pip install -e ".[dev]"')

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell
CONCURRENT = 3      # kernels at a time


def _needs_torch(nb):
    return any(c.cell_type == "code" and re.search(r"^\s*(import|from) torch\b", c.source, re.M)
               for c in nb.cells)


def _needs_jax(nb):
    return any(c.cell_type == "code" and re.search(r"^\s*(import|from) jax\b", c.source, re.M)
               for c in nb.cells)


def _missing(nb):
    """What this notebook needs that is not installed here (None if nothing)."""
    if _needs_torch(nb) and importlib.util.find_spec("torch") is None:
        return 'torch: pip install -e ".[torch]"'
    if _needs_jax(nb) and importlib.util.find_spec("jax") is None:
        return 'jax: pip install -e ".[jax]"'
    return None


async def _run_all(paths):
    """Execute each notebook in a fresh kernel, a few at a time; name -> None or the error."""
    gate = asyncio.Semaphore(CONCURRENT)

    async def run(path):
        nb = nbformat.read(path, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                         resources={"metadata": {"path": str(EXAMPLES)}})
        async with gate:
            try:
                await client.async_execute()
            except Exception as e:  # reported by the notebook's own test
                return path.name, e
        return path.name, None

    return dict(await asyncio.gather(*(run(p) for p in paths)))


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory):
    """Run the notebooks selected in this session that can run here; name -> None or the error."""
    selected = [item.callspec.params["path"] for item in request.session.items
                if item.module is request.module and item.originalname == "test_notebook_runs"]
    runnable = [p for p in selected if _missing(nbformat.read(p, as_version=4)) is None]
    # The kernels inherit this environment: import this checkout's gradviz even if it is not
    # installed, draw with a non-GUI matplotlib backend, and write files outside the repository.
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "GRADVIZ_EXAMPLES_OUT": str(tmp_path_factory.mktemp("examples_out")),
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        return asyncio.run(_run_all(runnable))


def test_examples_are_numbered_in_lecture_order():
    assert NOTEBOOKS, f"no notebooks found in {EXAMPLES}"
    names = [p.name for p in NOTEBOOKS]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", n) for n in names), names
    numbers = [n[:2] for n in names]
    assert len(set(numbers)) == len(numbers), f"two notebooks share a number: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec must be python3"
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{path.name} is stored with outputs in cells {dirty}; clear them "
                       f"(Kernel > Restart Kernel and Clear Outputs) and save")


TORCH_NOTEBOOKS = [p for p in NOTEBOOKS if _needs_torch(nbformat.read(p, as_version=4))]


@pytest.mark.parametrize("path", TORCH_NOTEBOOKS, ids=[p.name for p in TORCH_NOTEBOOKS])
def test_torch_notebooks_say_how_to_install_torch(path, monkeypatch):
    """Without PyTorch, the first cell that imports it stops with the install command, not with a
    bare ModuleNotFoundError (or a NameError further down)."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and _needs_torch(nbformat.v4.new_notebook(cells=[c])))
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=re.escape('pip install "gradviz-explorer[torch]"')):
        exec(compile(cell.source, f"{path.name} (first torch cell)", "exec"), {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, executed):
    missing = _missing(nbformat.read(path, as_version=4))
    if missing:
        if os.environ.get("CI") == "true":  # CI installs everything: a skip there would hide a gap
            pytest.fail(f"{path.name} needs {missing}")
        pytest.skip(f"{path.name} needs {missing}")
    error = executed[path.name]
    if isinstance(error, nbclient.exceptions.CellExecutionError):
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # the kernel's traceback comes in colour
        pytest.fail(f"{path.name} failed in a cell:\n{plain}", pytrace=False)
    if error is not None:
        raise error
