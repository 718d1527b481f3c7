"""The README's Python examples run: each block on its own in a fresh interpreter (a reader copies
one block, not the whole README), and all of them top to bottom in one namespace."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def _run_alone(code, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("k", range(len(BLOCKS)), ids=lambda k: f"block{k}")
def test_each_readme_python_block_runs_on_its_own(k, torch, tmp_path):
    r = _run_alone(BLOCKS[k], tmp_path)
    assert r.returncode == 0, f"README.md python block {k} fails on its own:\n{BLOCKS[k]}\n{r.stderr[-3000:]}"


def test_readme_python_blocks_run_in_order(torch, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files (to_svg(path=...)) write here
    ns = {}
    exec(compile(BLOCKS[0], "README.md python block 0", "exec"), ns)
    # what the first example's comments promise
    assert ns["L"].data == -8.0
    assert [ns[k].grad for k in "abcf"] == [6.0, -4.0, -2.0, 4.0]
    for i, block in enumerate(BLOCKS[1:], 1):
        exec(compile(block, f"README.md python block {i}", "exec"), ns)
    assert (tmp_path / "L.svg").read_text().lstrip().startswith(("<?xml", "<svg"))


def test_the_widget_block_nudges_as_its_comment_says(tmp_path):
    (block,) = [b for b in BLOCKS if 'w.nudge("a", 0.01)' in b]
    lines = block.splitlines()
    upto = next(i for i, line in enumerate(lines) if line.startswith('w.nudge("a", 0.01)'))
    assert "L goes from -8.0 to -7.94" in lines[upto]
    code = "\n".join(lines[:upto] + ["before = L.data"] + [lines[upto]] + ["print(before, round(L.data, 10))"])
    r = _run_alone(code, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["-8.0", "-7.94"]


def test_the_readme_test_command_is_what_ci_runs():
    readme = README.read_text(encoding="utf-8")
    (cmd,) = re.findall(r"Run the tests:\n\n```bash\n(.*?)\n```", readme)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    k = ci.index("# The README's test command, exactly:")
    assert ci[k + 1] == cmd
    assert "-c .ci/constraints.txt" in cmd and (ROOT / ".ci" / "constraints.txt").is_file()
