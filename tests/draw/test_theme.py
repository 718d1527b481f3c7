"""gradviz/draw/theme.py is the one place colours, fonts and the character width are defined: every
picture reads them from there, and the pages get them once, in their state."""
import importlib
import importlib.util
import json
import re
import xml.etree.ElementTree as ET

import pytest

from gradviz import Value, to_svg
from gradviz.draw import render, theme
from gradviz.graph import trace
from gradviz.ops import ERROR_TEMPLATES

SVG = "{http://www.w3.org/2000/svg}"
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def test_palettes_have_the_same_entries_and_only_hex_colours():
    light, dark = theme.PALETTE["light"], theme.PALETTE["dark"]
    assert set(light) == set(dark)
    for p in (light, dark):
        assert all(HEX.fullmatch(v) for v in p.values()), p
    assert set(theme.OP_MARKS) == {"custom", "none"}


def test_constants_are_json_and_a_fresh_copy_each_time():
    c = theme.constants()
    assert json.loads(json.dumps(c)) == c
    assert c["charWidth"] == theme.CHAR_WIDTH and c["fontSize"] == theme.FONT_SIZE
    assert c["palette"] == theme.PALETTE and c["opMarks"] == theme.OP_MARKS
    c["palette"]["light"]["bg"] = "#000000"
    assert theme.constants()["palette"]["light"]["bg"] == theme.PALETTE["light"]["bg"]


def test_the_layout_sizes_text_with_the_themes_character_width():
    sizing = importlib.import_module("gradviz.draw.textsize")
    assert sizing.CHAR_WIDTH is theme.CHAR_WIDTH and sizing.FONT_SIZE is theme.FONT_SIZE
    assert sizing.text_width("abcde") == 5 * theme.CHAR_WIDTH


def test_to_svg_paints_with_the_light_palette():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = a * b
    L.label = "L"
    root = ET.fromstring(to_svg(L))
    light = theme.PALETTE["light"]
    fills = {g.get("class").split()[1]: g.find(SVG + "rect").get("fill")
             for g in root.iter(SVG + "g") if (g.get("class") or "").startswith("value ")}
    assert fills == {"input": light["input"], "output": light["output"]}
    ops = [g.find(SVG + "ellipse").get("fill") for g in root.iter(SVG + "g") if g.get("class") == "op"]
    assert ops == [light["op"]]
    assert root.get("font-family") == theme.FONT_SVG
    assert render.STYLE["parameter"][0] == light["param"]


def test_to_svg_marks_custom_ops_with_the_themes_texts_and_colours():
    x = Value(0.5, label="x")
    y = Value(x.data ** 3, (x,), "cube")  # not a gradviz op, no _backward: passes no gradient
    svg = to_svg(y)
    assert theme.OP_MARKS["none"] in svg and f'stroke="{theme.PALETTE["light"]["nograd"]}"' in svg
    assert trace(y).meta[1]["backward"] == "none"


def test_the_widget_sends_the_constants_once_in_its_structure():
    pytest.importorskip("anywidget")
    from gradviz.widget import GraphWidget
    x = Value(0.5, label="x")
    y = Value(x.data ** 3, (x,), "cube")
    w = GraphWidget(y * 2.0)
    # the theme's constants, and the op table's error messages for the page's replay
    assert w._structure["constants"] == {**theme.constants(), "opErrors": ERROR_TEMPLATES}
    assert w._structure["backward"] == [[1, "none"]]
    assert GraphWidget(x * 2.0)._structure["backward"] == []


def test_the_standalone_page_and_the_playground_get_the_same_constants():
    pytest.importorskip("anywidget")
    import gradviz
    from gradviz.widget import standalone
    a = Value(2.0, label="a")
    page = gradviz.to_html(a * 3.0)
    state = json.loads(re.search(r'id="gradviz-state">(.*?)</script>', page, re.S).group(1))
    assert state["state"]["_structure"]["constants"] == {**theme.constants(), "opErrors": ERROR_TEMPLATES}
    for mode in ("light", "dark"):
        assert theme.PALETTE[mode]["bg"] in standalone._PAGE_CSS
    from gradviz.playground import Playground
    pg = Playground(n=20, hidden=(2,), grid=8)
    assert pg.view._constants == theme.constants()


def test_no_other_source_types_a_palette_colour():
    """The page's CSS and scripts hold no palette colour of their own (they read the constants)."""
    import pathlib
    root = pathlib.Path(theme.__file__).resolve().parents[2]
    colours = {v.lower() for p in theme.PALETTE.values() for v in p.values()}
    for path in [*(root / "js" / "src").rglob("*.js"), *(root / "js" / "src").rglob("*.css")]:
        found = {c.lower() for c in HEX.findall(path.read_text(encoding="utf-8"))} & colours
        assert not found, f"{path.relative_to(root)} types {sorted(found)}: read it from the constants"
    for mod in ("draw/render.py", "widget/standalone.py", "playground/app.py", "widget/graph_widget.py",
                "draw/layout.py"):
        found = {c.lower() for c in HEX.findall((root / "gradviz" / mod).read_text(encoding="utf-8"))} & colours
        assert not found, f"gradviz/{mod} types {sorted(found)}: use gradviz.draw.theme"
