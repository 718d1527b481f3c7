"""The README's Python examples run, top to bottom, in one namespace (so the README cannot rot)."""
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(torch, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files (to_svg(path=...)) write here
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 8
    ns = {}
    exec(compile(blocks[0], "README.md python block 0", "exec"), ns)
    # what the first example's comments promise
    assert ns["L"].data == -8.0
    assert [ns[k].grad for k in "abcf"] == [6.0, -4.0, -2.0, 4.0]
    for i, block in enumerate(blocks[1:], 1):
        exec(compile(block, f"README.md python block {i}", "exec"), ns)
    assert (tmp_path / "L.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
