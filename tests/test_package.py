"""The package as users get it: a wheel built from a clean checkout (the files git tracks, nothing
else) carries the widget bundle, and installed into a fresh virtual environment (no system site
packages, no clone on the path) `import gradviz`, `GraphWidget` and `to_html` work."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from testenv import IN_CI, need

ROOT = pathlib.Path(__file__).resolve().parents[1]
DIST = "gradviz-explorer"
pytestmark = pytest.mark.slow


def _clean_checkout(dest):
    """Copy the files git tracks (as they are in the work tree) to `dest`."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        if IN_CI:
            pytest.fail("CI runs in a git clone: the wheel test needs git and the checkout")
        pytest.skip("not a git checkout: cannot tell a clean checkout's files")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, out.decode().split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    need("hatchling", "builds the wheel offline (it is in the dev extra)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = _clean_checkout(tmp / "src")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (whl,) = (tmp / "dist").glob("*.whl")
    return whl


def test_wheel_carries_the_bundle_and_the_metadata(wheel):
    assert wheel.name.startswith("gradviz_explorer-")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = next(z.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    for f in ("widget.js", "widget.css", "standalone.js"):
        packed = zipfile.ZipFile(wheel).read(f"gradviz/static/{f}")
        assert packed == (ROOT / "gradviz" / "static" / f).read_bytes(), f
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gradviz").rglob("*.py")}
    assert sources <= names, f"the wheel lacks {sorted(sources - names)}"  # every subpackage goes in
    assert not [n for n in names if n.startswith(("tests/", "js/", "examples/", "benchmarks/"))]
    assert f"Name: {DIST}" in meta
    assert "Requires-Dist: torch>=2.2; extra == 'torch'" in meta
    assert not [line for line in meta.splitlines() if line.startswith("Requires-Dist: torch") and "extra" not in line]
    print(f"wheel {wheel.name}: {wheel.stat().st_size:,} bytes")


def test_wheel_installs_and_works_in_a_fresh_venv(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=120)
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
                       capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    code = textwrap.dedent(f"""
        import importlib.metadata, pathlib, sys
        import gradviz
        from gradviz import Value, GraphWidget, to_html
        here = pathlib.Path(gradviz.__file__).resolve()
        assert "site-packages" in here.parts, here
        assert {str(ROOT)!r} not in str(here)
        assert importlib.metadata.version({DIST!r}) == gradviz.__version__
        a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10.0, label="c")
        f = Value(-2.0, label="f")
        L = (a * b + c) * f; L.label = "L"
        w = GraphWidget(L)
        w.nudge("a", 0.5)
        assert L.data == -5.0, L.data
        page = to_html(L, "page.html")
        assert 'id="gradviz-state"' in page and len(page) > 40_000
        assert "torch" not in sys.modules
        print("ok", len(page))
    """)
    r = subprocess.run([str(py), "-I", "-c", code], capture_output=True, text=True, timeout=120,
                       env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ok") and (tmp_path / "page.html").is_file()
