"""gradviz/widget/bundle.py: the one place that finds the built front end for every widget."""
from __future__ import annotations

import pytest

from gradviz.widget import bundle


def test_a_missing_build_names_the_command_that_makes_it(monkeypatch, tmp_path):
    monkeypatch.setattr(bundle, "STATIC", tmp_path)
    (tmp_path / "widget.js").write_text("export default {}")  # the CSS is missing
    with pytest.raises(ImportError, match=r"widget bundle is missing .*npm run build"):
        bundle.bundle("widget")
    (tmp_path / "widget.css").write_text("")
    assert bundle.bundle("widget") == (tmp_path / "widget.js", tmp_path / "widget.css")


def test_the_widgets_load_the_committed_bundles():
    from gradviz.playground.app import _View
    from gradviz.widget import GraphWidget
    for cls, name in ((GraphWidget, "widget"), (_View, "playground")):
        esm, css = bundle.bundle(name)
        # anywidget reads a path's file when the class is made: the page gets exactly the built files
        assert str(cls._esm) == esm.read_text(encoding="utf-8")
        assert str(cls._css) == css.read_text(encoding="utf-8")
