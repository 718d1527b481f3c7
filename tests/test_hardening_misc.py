"""Issue 22, small ones: the case-file commands print no warning."""
import json
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("which", ["ops", "names", "groups", "changes"])
def test_the_case_file_commands_print_no_runpy_warning(which):
    out = subprocess.run([sys.executable, "-m", "gradviz.cases", which], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0 and out.stderr == ""
    assert json.loads(out.stdout)


@pytest.mark.parametrize("lr", [0, 0.0, -0.0])
def test_a_step_of_size_zero_is_refused(lr):
    from testenv import need
    need("anywidget", "the widget")
    from gradviz import GraphWidget, Value
    a = Value(2.0, label="a")
    L = a * Value(-3.0, label="b")
    L.backward()
    w = GraphWidget(L)
    with pytest.raises(ValueError, match=r"lr=0 moves no value: give a step size, e\.g\. w\.step\(0\.01\)"):
        w.step(lr)
    assert a.data == 2.0


def test_ci_runs_the_core_suite_on_every_supported_python_and_the_readme_says_what_torch_costs():
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    assert 'requires-python = ">=3.10"' in (root / "pyproject.toml").read_text()  # (no tomllib on 3.10)
    run = (root / ".ci" / "run").read_text()
    core = re.search(r'CORE_PYTHONS="\$\{GRADVIZ_CORE_PYTHONS:-([0-9. ]+)\}"', run).group(1).split()
    assert sorted({*core, "3.11"}) == ["3.10", "3.11", "3.12", "3.13"]  # 3.11: the full suite's
    assert "GRADVIZ_CORE=1" in run and "--ignore=tests/e2e" in run
    readme = (root / "README.md").read_text()
    assert "750 MB" not in readme
    assert "https://download.pytorch.org/whl/cpu" in readme and "CUDA build" in readme
