"""Run every example notebook top to bottom in a fresh kernel; each ends by asserting the lecture's numbers.

The selected notebooks run concurrently (each in its own kernel, with its own output folder) in one
module fixture, since a kernel spends much of its time starting up and waiting; each test then
reports its notebook.

Exercises: a code cell tagged ``exercise`` with ``metadata.exercise = <id>`` holds a ``# YOUR CODE``
stub; ``examples/solutions/exercises.py`` holds its worked solution under ``# %% [<id>]``. A cell
tagged ``check`` with the same ``metadata.exercise`` prints OK or WRONG. The notebooks run with
every solution filled in (each check must print OK), and once more as stored, up to their last
check cell, where each check must print WRONG, not crash.
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
SOLUTIONS = EXAMPLES / "solutions"
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


def solutions():
    """Exercise id -> the worked solution's cell source (``examples/solutions/exercises.py``)."""
    parts = re.split(r"^# %% \[([\w-]+)\][^\n]*\n", (SOLUTIONS / "exercises.py").read_text(), flags=re.M)
    return {parts[i]: parts[i + 1].strip("\n") + "\n" for i in range(1, len(parts), 2)}


def _tagged(cell, tag):
    return cell.cell_type == "code" and tag in cell.metadata.get("tags", [])


def _prepared(nb, mode):
    """``"solved"``: every exercise cell holds its solution; ``"stubs"``: the cells as stored, up to
    the last check cell."""
    if mode == "solved":
        sol = solutions()
        for c in nb.cells:
            if _tagged(c, "exercise"):
                c.source = sol[c.metadata["exercise"]]
    else:
        last = max(i for i, c in enumerate(nb.cells) if _tagged(c, "check"))
        nb.cells = nb.cells[:last + 1]
    return nb


def _has_exercises(path):
    return any(_tagged(c, "exercise") for c in nbformat.read(path, as_version=4).cells)


async def _run_all(jobs, out_root):
    """Execute each (path, mode) in a fresh kernel with its own output folder, a few at a time;
    (name, mode) -> (executed notebook, None or the error, the output folder)."""
    gate = asyncio.Semaphore(CONCURRENT)

    async def run(path, mode):
        nb = _prepared(nbformat.read(path, as_version=4), mode)
        out = out_root / f"{path.stem}-{mode}"
        out.mkdir()
        client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                         allow_errors=mode == "stubs",
                                         resources={"metadata": {"path": str(EXAMPLES)}})
        env = {**os.environ, "GRADVIZ_EXAMPLES_OUT": str(out)}
        async with gate:
            try:
                await client.async_execute(env=env)
            except Exception as e:  # reported by the notebook's own test
                return (path.name, mode), (nb, e, out)
        return (path.name, mode), (nb, None, out)

    return dict(await asyncio.gather(*(run(p, m) for p, m in jobs)))


@pytest.fixture(scope="module")
def executed(request, tmp_path_factory):
    """Run the notebooks selected in this session that can run here; name -> None or the error."""
    selected = [(item.callspec.params["path"], "stubs" if item.originalname == "test_empty_stubs_say_wrong" else "solved")
                for item in request.session.items
                if item.module is request.module and item.originalname in ("test_notebook_runs",
                                                                            "test_empty_stubs_say_wrong")]
    runnable = [(p, m) for p, m in selected if _missing(nbformat.read(p, as_version=4)) is None]
    # The kernels inherit this environment: import this checkout's gradviz even if it is not
    # installed, draw with a non-GUI matplotlib backend, and write files outside the repository.
    env = {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        return asyncio.run(_run_all(runnable, tmp_path_factory.mktemp("examples_out")))


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
    nb, error, out = executed[(path.name, "solved")]
    if isinstance(error, nbclient.exceptions.CellExecutionError):
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # the kernel's traceback comes in colour
        pytest.fail(f"{path.name} failed in a cell:\n{plain}", pytrace=False)
    if error is not None:
        raise error
    for c in nb.cells:
        if _tagged(c, "check"):
            said = _stdout(c)
            assert "OK" in said and "WRONG" not in said, (
                f"{path.name}: with the solution of {c.metadata.get('exercise')!r} filled in, its check "
                f"printed:\n{said}")
    if (SOLUTIONS / "learner_engine.py").exists() and (out / "learner_engine.py").exists() \
            and path.name.startswith("05"):
        # the engine notebooks 2, 4 and 5 write, solved, is the one the later notebooks fall back on
        assert (out / "learner_engine.py").read_text() == (SOLUTIONS / "learner_engine.py").read_text(), (
            "examples/solutions/learner_engine.py differs from the engine notebook 05 writes with the "
            "solutions filled in: copy it from there")


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


EXERCISES = [p for p in NOTEBOOKS if _has_exercises(p)]


@pytest.mark.parametrize("path", EXERCISES, ids=[p.name for p in EXERCISES])
def test_empty_stubs_say_wrong(path, executed):
    """As stored (every stub empty), each check cell prints WRONG and raises nothing."""
    if _missing(nbformat.read(path, as_version=4)):
        pytest.skip("needs what test_notebook_runs reports")
    nb, _, _ = executed[(path.name, "stubs")]
    checks = [c for c in nb.cells if _tagged(c, "check")]
    assert checks, f"{path.name} has exercises but no check cell"
    for c in checks:
        errors = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, (f"{path.name}: the check of {c.metadata.get('exercise')!r} crashed on the empty "
                            f"stub: {errors[0].get('ename')}: {errors[0].get('evalue')}")
        assert "WRONG" in _stdout(c), (f"{path.name}: the check of {c.metadata.get('exercise')!r} did not "
                                       f"print WRONG on the empty stub:\n{_stdout(c)}")


def test_every_exercise_has_a_solution_and_a_check():
    sol = solutions()
    for path in EXERCISES:
        nb = nbformat.read(path, as_version=4)
        ids = [c.metadata.get("exercise") for c in nb.cells if _tagged(c, "exercise")]
        checked = {c.metadata.get("exercise") for c in nb.cells if _tagged(c, "check")}
        for i in ids:
            assert i in sol, f"{path.name}: exercise {i!r} has no solution in examples/solutions/exercises.py"
            assert i in checked, f"{path.name}: exercise {i!r} has no check cell"
        stubs = [c for c in nb.cells if _tagged(c, "exercise")]
        assert all("YOUR" in c.source for c in stubs), f"{path.name}: an exercise cell without its stub"
