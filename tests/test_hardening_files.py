"""Issue 22, files: pages and drawings are written whole or not at all (a temporary file and a
rename), keep an existing file's mode, give a new one the umask's mode, and write through a
symlink; a page title must be text a page can encode."""
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from gradviz import Value, to_html, to_svg
from testenv import need

OLD = "<html>the old page</html>\n"


def lecture():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b + Value(10.0, label="c")
    L.label = "L"
    return L


def _html(path, **kw):
    need("anywidget", "to_html")
    return to_html(lecture(), path, **kw)


def _svg(path, **kw):
    return to_svg(lecture(), path)


def _save(path, **kw):
    need("anywidget", "save_html")
    from gradviz import GraphWidget
    return GraphWidget(lecture()).save_html(path, **kw)


WRITERS = [_html, _svg, _save]


@pytest.mark.parametrize("title", ["caf\udce9", b"bytes", 3])
@pytest.mark.parametrize("write", [_html, _save])
def test_a_bad_title_is_refused_and_leaves_the_old_page_whole(tmp_path, write, title):
    p = tmp_path / "p.html"
    p.write_text(OLD)
    with pytest.raises((TypeError, ValueError), match="title"):
        write(p, title=title)
    assert p.read_text() == OLD
    assert os.listdir(tmp_path) == ["p.html"]  # no temporary file left behind


@pytest.mark.parametrize("write", WRITERS)
def test_an_existing_file_keeps_its_mode_and_a_new_one_gets_the_umask_mode(tmp_path, write):
    p = tmp_path / "old.out"
    p.write_text(OLD)
    os.chmod(p, 0o664)
    write(p)
    assert stat.S_IMODE(os.stat(p).st_mode) == 0o664 and p.read_text() != OLD
    old = os.umask(0o027)
    try:
        write(tmp_path / "new.out")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.out").st_mode) == 0o640


@pytest.mark.parametrize("write", WRITERS)
def test_a_symlink_is_written_through(tmp_path, write):
    target = tmp_path / "real.out"
    target.write_text(OLD)
    link = tmp_path / "link.out"
    link.symlink_to(target)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() != OLD and target.read_text().rstrip().endswith(("</html>", "</svg>"))


@pytest.mark.parametrize("what", ["to_html", "to_svg"])
def test_past_the_file_size_limit_the_old_file_stays_whole(tmp_path, what):
    if what == "to_html":
        need("anywidget", "to_html")
    p = tmp_path / "p.out"
    p.write_text(OLD)
    code = textwrap.dedent(f"""
        import resource, signal, sys
        from gradviz import Value, to_html, to_svg
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
        a = Value(2.0, label="a")
        L = (a * Value(-3.0, label="b") + Value(10.0, label="c")).tanh()
        try:
            {what}(L, sys.argv[1])
        except OSError as e:
            print("refused", e.errno)
    """)
    out = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert "refused 27" in out.stdout, out.stdout + out.stderr  # EFBIG
    assert p.read_text() == OLD
    assert os.listdir(tmp_path) == ["p.out"]
