"""GraphWidget end to end: a real kernel, JupyterLab / Notebook 7, Debian's Chromium.

What a user sees and does: the lecture's L graph renders with its numbers, typing a value for a
leaf repaints the graph and the kernel's Values agree, a failed nudge shows its error and changes
nothing, a slider moved with the keyboard reaches the kernel (JupyterLab's ArrowRight shortcut
once swallowed it).
"""
from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from widget_page import (
    LECTURE_CELL,
    drawing_text,
    fmt4,
    nudge_count,
    number_box,
    slider,
    type_value,
    values_table,
    wait_nudge_count,
    wait_rendered,
    wait_table,
)

pytestmark = pytest.mark.browser

# The lecture's inputs (a=2, b=-3, c=10, f=-2) and graph L = (a*b + c) * f.
LECTURE = LECTURE_CELL + """\
w = GraphWidget(L)
w"""
# GRADVIZ_UPDATE_SCREENSHOTS=1 refreshes the README's picture from the JupyterLab run.
README_SHOT = Path(__file__).resolve().parents[2] / "examples" / "screenshots" / "lecture_graph.png"
CHECK = 'print(f"kernel a={a.data:.4f} L={L.data:.4f} a.grad={a.grad:.4f} d.grad={d.grad:.4f}")'


def lecture_numbers(a=2.0, b=-3.0, c=10.0, f=-2.0):
    """Every node's (data, grad) of L = (a*b + c) * f by the chain rule, worked by hand."""
    e = a * b
    d = e + c
    L = d * f
    dL_dd = f
    return {"L": (L, 1.0), "d": (d, dL_dd), "f": (f, d), "e": (e, dL_dd), "c": (c, dL_dd),
            "a": (a, b * dL_dd), "b": (b, a * dL_dd)}


def assert_table_matches(root, expected):
    table = values_table(root)
    for label, (data, grad) in expected.items():
        assert label in table, f"{label} missing from the values table: {sorted(table)}"
        assert table[label]["data"] == fmt4(data), (label, table[label])
        assert table[label]["grad"] == fmt4(grad), (label, table[label])
    return table


def assert_drawing_shows(root, *numbers: str):
    """The SVG drawing (a lecture-size graph is drawn as SVG, so its text can be read) shows them."""
    text = drawing_text(root)
    assert text, f"no SVG text in the drawing (renderer {root.get_attribute('data-renderer')!r})"
    for n in numbers:
        assert n in text, f"the drawing does not show {n}; it shows: {text[:400]!r}"


def _open_lecture(e2e, flavor):
    nb = e2e.open([LECTURE, CHECK], flavor)
    t0 = time.perf_counter()
    nb.run_all()
    root = wait_rendered(nb, 0)
    e2e.timings["first render"] = time.perf_counter() - t0
    e2e.timings["render ms (JS)"] = float(root.get_attribute("data-render-ms")) / 1000
    nb.wait_executed(1)
    return nb, root


@pytest.mark.parametrize("flavor", ["lab", "nb7"])
def test_lecture_graph_renders_and_typed_value_reaches_kernel(e2e, flavor):
    nb, root = _open_lecture(e2e, flavor)
    root.scroll_into_view_if_needed()

    # The lecture's numbers, in the table and in the drawing.
    start = lecture_numbers()
    table = assert_table_matches(root, start)
    assert table["L"]["data"] == "-8.0000" and table["a"]["grad"] == "6.0000"
    ops = {label: table[label]["op"] for label in ("L", "d", "e", "a")}
    assert ops["L"] == "*" and ops["d"] == "+" and ops["e"] == "*" and ops["a"] == "", ops
    assert_drawing_shows(root, "data -8.0000", "grad 6.0000", "data -6.0000")
    for label in ("a", "b", "c", "f"):
        assert number_box(root, label).input_value() != "", f"no value in {label}'s number box"
    e2e.shot("rendered")
    e2e.shot("widget", element=root)
    if flavor == "lab" and os.environ.get("GRADVIZ_UPDATE_SCREENSHOTS") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        root.screenshot(path=str(README_SHOT))
        print(f"README screenshot: {README_SHOT}")

    # Typing a = 3 repaints L = (3*-3 + 10) * -2 = -2.
    before = nudge_count(root)
    type_value(root, "a", "3")
    new = lecture_numbers(a=3.0)
    e2e.timings["nudge to repaint"] = wait_table(root, "L", "data", fmt4(new["L"][0]))
    assert wait_nudge_count(root, before) == before + 1
    e2e.timings["nudge ms (JS)"] = float(root.get_attribute("data-last-nudge-ms")) / 1000
    assert_table_matches(root, new)
    assert_drawing_shows(root, f"data {fmt4(new['L'][0])}", f"data {fmt4(new['d'][0])}")
    e2e.shot("after-a=3")

    # The kernel's Values hold what the page shows.
    want = (f"kernel a={fmt4(3.0)} L={fmt4(new['L'][0])} a.grad={fmt4(new['a'][1])} "
            f"d.grad={fmt4(new['d'][1])}")
    nb.rerun_until(1, lambda out: want in out)


def test_failed_nudge_shows_error_and_changes_nothing(e2e):
    nb = e2e.open([
        "from gradviz import Value, GraphWidget\n"
        "x = Value(2.0, label='x'); k = Value(3.0, label='k')\n"
        "y = x.log(); y.label = 'y'\n"
        "z = y * k; z.label = 'z'\n"
        "z.backward()\n"
        "GraphWidget(z)",
        'print(f"kernel x={x.data:.4f} z={z.data:.4f} x.grad={x.grad:.4f}")',
    ])
    nb.run_all()
    root = wait_rendered(nb, 0)
    nb.wait_executed(1)
    z0, xg0 = 3.0 * math.log(2.0), 3.0 / 2.0
    wait_table(root, "z", "data", fmt4(z0))
    alerts = root.get_by_role("alert")
    assert not any(t.strip() for t in alerts.all_inner_texts()), "an error shows before any nudge"

    type_value(root, "x", "-1")
    alert = alerts.filter(has_text=re.compile(r"\S")).first
    alert.wait_for(timeout=10_000)
    message = alert.inner_text()
    assert "log" in message.lower(), f"the error does not name the failing op: {message!r}"
    assert "'x'" in message and "-1" in message, f"the error does not name the leaf and value: {message!r}"
    table = values_table(root)
    assert (table["x"]["data"], table["z"]["data"], table["x"]["grad"]) == (
        fmt4(2.0), fmt4(z0), fmt4(xg0)), table
    e2e.shot("error-shown")

    # The kernel handled the failed nudge (execute requests queue behind widget messages) and
    # kept every value; re-run a few times in case the page sent it late.
    unchanged = f"kernel x={fmt4(2.0)} z={fmt4(z0)} x.grad={fmt4(xg0)}"
    for _ in range(3):
        assert unchanged in nb.run_cell(1)
        time.sleep(0.3)

    # And the widget still works: a valid value goes through and clears the error.
    type_value(root, "x", "4")
    wait_table(root, "z", "data", fmt4(3.0 * math.log(4.0)))
    assert not any(t.strip() for t in alerts.all_inner_texts()), "the error stayed after a good nudge"
    nb.rerun_until(1, lambda out: f"kernel x={fmt4(4.0)} z={fmt4(3.0 * math.log(4.0))}" in out)


def test_keyboard_slider_reaches_kernel(e2e):
    nb, root = _open_lecture(e2e, "lab")
    s = slider(root, "a")
    assert s.count() == 1, "expected exactly one slider named for leaf 'a'"
    before = nudge_count(root)
    s.focus()
    s.press("ArrowRight")
    s.press("ArrowRight")
    # The browser moves the range input synchronously; JupyterLab's ArrowRight shortcut, when it
    # swallows the key, leaves it at 2.
    new_a = float(s.input_value())
    assert new_a > 2.0, f"ArrowRight did not move a's slider up (it shows {new_a})"
    wait_nudge_count(root, before)
    new = lecture_numbers(a=new_a)
    wait_table(root, "a", "data", fmt4(new_a))
    wait_table(root, "L", "data", fmt4(new["L"][0]))
    assert float(number_box(root, "a").input_value()) == new_a
    e2e.shot("after-arrows")
    nb.rerun_until(1, lambda out: f"kernel a={fmt4(new_a)} L={fmt4(new['L'][0])}" in out)


def test_buttons_step_reset_fit_and_downloads(e2e):
    nb, root = _open_lecture(e2e, "lab")
    page = e2e.page

    # The lecture's step: every leaf moves by 0.01 * its grad, up the gradient.
    root.get_by_role("spinbutton", name="step size").fill("0.01")
    root.get_by_role("combobox", name="direction").select_option("up")
    start = lecture_numbers()
    up = {k: start[k][0] + 0.01 * start[k][1] for k in ("a", "b", "c", "f")}
    stepped = lecture_numbers(**up)
    root.get_by_role("button", name="Step along gradient").click()
    wait_table(root, "L", "data", fmt4(stepped["L"][0]))  # -7.2865: "negative seven"
    assert_table_matches(root, stepped)
    e2e.shot("stepped")
    nb.rerun_until(1, lambda out: f"kernel a={fmt4(up['a'])} L={fmt4(stepped['L'][0])}" in out)

    root.get_by_role("button", name="Reset").click()
    wait_table(root, "L", "data", "-8.0000")
    assert_table_matches(root, start)
    nb.rerun_until(1, lambda out: "kernel a=2.0000 L=-8.0000 a.grad=6.0000" in out)

    # Fit: after zooming in, the view goes back to the fitted transform.
    world = root.locator("svg g[transform]").first
    root.get_by_role("button", name="Fit").click()
    fitted = world.get_attribute("transform")
    root.get_by_role("button", name="Zoom in").click()
    root.get_by_role("button", name="Zoom in").click()
    assert world.get_attribute("transform") != fitted
    root.get_by_role("button", name="Fit").click()
    assert world.get_attribute("transform") == fitted

    # Downloads of the current view: an SVG with every record of the lecture graph, a PNG image.
    with page.expect_download() as dl:
        root.get_by_role("button", name="Download SVG").click()
    svg_path = e2e.artifact("download.svg")
    dl.value.save_as(svg_path)
    svg = ElementTree.parse(svg_path).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg", svg.tag
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    for label, (data, grad) in start.items():
        assert {label, f"data {fmt4(data)}", f"grad {fmt4(grad)}"} <= texts, (label, sorted(texts))
    with page.expect_download() as dl:
        root.get_by_role("button", name="Download PNG").click()
    png_path = e2e.artifact("download.png")
    dl.value.save_as(png_path)
    png = png_path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n", png[:16]
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 200 and height > 50, (width, height)
    print(f"downloads saved: {svg_path}, {png_path}")
