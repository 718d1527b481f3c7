"""Issue 22, the page (Chromium, the built bundle, a real GraphWidget answering): an empty graph,
text in a number box, a theme switch under a canvas, what a selected group offers, search ranking,
unlabelled records. Screenshots in tests/artifacts/widget/."""
import pytest
from test_widget_js import open_widget, page_server, root_attr  # noqa: F401  (fixtures)

from testenv import need

need("anywidget", "the widget")
from gradviz import Graph, GraphWidget, Value  # noqa: E402


def test_an_empty_graph_shows_an_empty_labelled_stage(open_widget):  # noqa: F811
    g = Graph([], [], [], [], [], [], [])
    wp = open_widget(GraphWidget(g))
    pg = wp.page
    assert root_attr(pg, "data-gradviz-ready") == "1"
    note = pg.get_by_role("note").filter(has_text="this graph is empty")
    assert note.is_visible()
    assert "none: the graph is empty" in pg.get_by_role("region", name="last nudge").inner_text()
    assert wp.errors == []


def _lecture_widget():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c, f = Value(10.0, label="c"), Value(-2.0, label="f")
    L = (a * b + c) * f
    L.label = "L"
    return GraphWidget(L), a


@pytest.mark.parametrize("box", ["a", "step size"])
def test_typing_letters_in_a_number_box_says_what_was_typed(open_widget, box):  # noqa: F811
    w, a = _lecture_widget()
    wp = open_widget(w)
    pg = wp.page
    num = pg.get_by_role("spinbutton", name=box, exact=True)
    num.click()
    pg.keyboard.press("Control+A")
    pg.keyboard.type("abc")  # the browser drops the letters: the box reads as empty
    assert num.input_value() == ""
    if box == "a":
        num.press("Enter")
    else:
        pg.get_by_role("button", name="Step along gradient").click()
    alert = pg.get_by_role("alert")
    alert.filter(has_text='not a number: "abc"').wait_for(timeout=5000)
    assert "the box is empty" not in alert.inner_text()
    assert a.data == 2.0 and wp.pump() == []  # nothing sent, nothing changed
    num.click()
    pg.keyboard.press("Control+A")
    pg.keyboard.press("Delete")
    num.press("Enter") if box == "a" else pg.get_by_role("button", name="Step along gradient").click()
    alert.filter(has_text="the box is empty").wait_for(timeout=5000)  # an empty box is still empty


def test_unlabelled_micrograd_records_are_named_as_their_sliders(open_widget):  # noqa: F811
    need("micrograd", "micrograd graphs")
    from micrograd.engine import Value as MValue
    xs = [MValue(float(k) + 1.0) for k in range(6)]  # no labels: micrograd's Values have none
    out = ((xs[0] * xs[1] + xs[2]) * xs[3] + xs[4] * xs[5]).relu()
    w = GraphWidget(out)
    wp = open_widget(w)
    pg = wp.page
    leaves = w._s.controls
    assert len(leaves) == 6
    records = pg.locator(".gv-box text").all_text_contents()
    for i in leaves:
        assert pg.get_by_role("slider", name=f"#{i} slider").count() == 1
        assert f"#{i}" in records  # the record's title is its control's name
    pg.get_by_role("button", name="Fit").click()  # the screenshot shows every record


def _big_widget():
    """A graph drawn on a canvas (more than drawing.js's SVG_MAX_BOXES boxes), every value shown."""
    xs = [Value(0.001 * k, label=f"x{k}") for k in range(900)]
    out = xs[0]
    for x in xs[1:]:
        out = out + x * 0.5
    return GraphWidget(out, collapsed=None)


def test_a_live_theme_switch_leaves_the_canvas_and_its_minimap_drawn(open_widget):  # noqa: F811
    wp = open_widget(_big_widget())
    pg = wp.page
    assert root_attr(pg, "data-renderer") == "canvas"
    size = "() => { const c = document.querySelector('.gv-stage canvas'); return [c.width, c.height]; }"
    before = pg.evaluate(size)
    assert min(before) > 100
    minimap = pg.locator(".gv-minimap")
    assert minimap.is_visible()
    for dark in (True, False):
        # JupyterLab swaps its theme's style sheets: for a moment the notebook lays out nothing,
        # and the class changes while the widget measures 0 x 0; the size is back before a frame
        pg.evaluate("""async (dark) => {
            const out = document.getElementById('out');
            out.style.display = 'none';
            document.body.classList.toggle('dark', dark);
            await Promise.resolve(); await Promise.resolve();
            out.style.display = '';
        }""", dark)
        pg.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        pg.wait_for_timeout(200)
        assert pg.evaluate(size) == before, "the canvas keeps its size"
        assert minimap.is_visible()
        drawn = pg.evaluate("""() => { const c = document.querySelector('.gv-stage canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set(); for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]);
            return seen.size; }""")
        assert drawn > 2, "the canvas shows the graph, not a blank"
