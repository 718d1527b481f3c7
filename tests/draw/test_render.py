"""draw_dot in the lecture's format; to_svg as valid, complete SVG with no Graphviz anywhere."""
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from test_layout import lecture_L, mlp_loss

from gradviz import Value
from gradviz.draw.render import STYLE, draw_dot, to_svg
from gradviz.graph import trace

SVG = "{http://www.w3.org/2000/svg}"


def texts(root):
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def test_draw_dot_lecture_L():
    pytest.importorskip("graphviz")
    dot = draw_dot(lecture_L())
    src = dot.source
    # the lecture's numbers: L = -8 and the grads it derives by hand
    for rec in ["{ a | data 2.0000 | grad 6.0000 }", "{ b | data -3.0000 | grad -4.0000 }",
                "{ c | data 10.0000 | grad -2.0000 }", "{ e | data -6.0000 | grad -2.0000 }",
                "{ d | data 4.0000 | grad -2.0000 }", "{ f | data -2.0000 | grad 4.0000 }",
                "{ L | data -8.0000 | grad 1.0000 }"]:
        assert rec in src
    assert src.count("shape=record") == 7
    assert "rankdir=LR" in src
    # 3 op ellipses (*, +, *), and 6 child -> op plus 3 op -> value edges
    assert src.count("->") == 9
    assert src.count("label=\"*\"") + src.count("label=\"+\"") == 3
    assert "grad" not in draw_dot(lecture_L(), show_grad=False).source
    assert "rankdir=TB" in draw_dot(lecture_L(), rankdir="TB").source


def test_draw_dot_escapes_record_syntax_and_dedupes_square_edges():
    pytest.importorskip("graphviz")
    a = Value(3.0, label="a|{b}<c>")
    sq = a * a
    src = draw_dot(sq).source
    assert r"a\|\{b\}\<c\>" in src
    assert src.count("->") == 2  # a -> op once (as the lecture's edge set), op -> value


def test_draw_dot_without_graphviz_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r'pip install "gradviz-explorer\[export\]"'):
        draw_dot(lecture_L())


def test_to_svg_with_no_dot_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None

    def no_processes(*a, **k):
        raise AssertionError("to_svg started a process")
    monkeypatch.setattr(subprocess, "Popen", no_processes)
    L = lecture_L()
    path = tmp_path / "L.svg"
    svg = to_svg(L, path=path)
    assert path.read_text(encoding="utf-8") == svg
    root = ET.fromstring(svg.encode())
    assert root.tag == SVG + "svg"
    t = texts(root)
    for label, data, grad in [("a", 2, 6), ("b", -3, -4), ("c", 10, -2), ("e", -6, -2),
                              ("d", 4, -2), ("f", -2, 4), ("L", -8, 1)]:
        i = t.index(label)
        assert t[i + 1:i + 3] == ["data %.4f" % data, "grad %.4f" % grad]
    assert sorted(x for x in t if x in "*+") == ["*", "*", "+"]
    assert len(list(root.iter(SVG + "ellipse"))) == 3
    # 6 child -> op arrows and 3 op -> value arrows
    assert len([p for p in root.iter(SVG + "path") if p.get("marker-end")]) == 9


def test_to_svg_every_label_of_an_mlp_and_kind_colours():
    loss = mlp_loss()[0]
    g = trace(loss)
    root = ET.fromstring(to_svg(loss, show_grad=False).encode())
    t = texts(root)
    for lab in set(g.labels) - {""}:
        assert lab in t
    assert not any(x.startswith("grad ") for x in t)
    fills = {}
    for grp in root.iter(SVG + "g"):
        cls = (grp.get("class") or "").split()
        if cls[:1] == ["value"]:
            fills.setdefault(cls[1], set()).add(grp.find(SVG + "rect").get("fill"))
    assert {"input", "parameter", "constant", "intermediate", "output"} <= set(fills)
    assert len({next(iter(v)) for v in fills.values()}) == len(fills)  # visibly distinct
    assert all(len(v) == 1 for v in fills.values())
    assert fills["parameter"] == {STYLE["parameter"][0]}


def test_to_svg_escapes_xml_and_shows_non_finite_plainly():
    a = Value(float("nan"), label='<a & "b">')
    b = Value(float("inf"), label="b\x01")
    c = a + b
    c.label = "c"
    c.grad = -math.inf
    svg = to_svg(c)
    root = ET.fromstring(svg.encode())
    t = texts(root)
    assert '<a & "b">' in t and "b\ufffd" in t
    assert "data nan" in t and "data inf" in t and "grad -inf" in t


def test_to_svg_of_a_collapsed_view_and_directions():
    loss = mlp_loss()[0]
    g = trace(loss)
    s0 = sorted({s.split("/")[0] for s in g.scopes if "#" in s})[0]
    root = ET.fromstring(to_svg(loss, collapsed=[s0, "layers.0"]).encode())
    t = texts(root)
    assert any(x.startswith(f"sample {s0.split('#')[1]} (") for x in t), t
    assert "parameters of layer 0 (16)" in t and "16 outputs" in t
    for rd in ("TB", "RL", "BT"):
        ET.fromstring(to_svg(lecture_L(), rankdir=rd).encode())
    with pytest.raises(ValueError, match="rankdir"):
        to_svg(lecture_L(), rankdir="up")
