"""Read and drive a GraphWidget in a notebook page the way a user finds it: by role and name.

The contract (issue 4; the product notes go to the docs site): root ``.gradviz-root`` with ``data-gradviz-ready="1"``
after the first render (and ``data-render-ms``), ``data-nudge-count`` / ``data-last-nudge-ms``
after each nudge repaint; a table named "gradviz values"; per leaf a number box named by its label;
errors in ``role="alert"``.
"""
from __future__ import annotations

import re
import time

# A notebook cell that builds the lecture's graph L = (a*b + c) * f from a=2, b=-3, c=10, f=-2.
LECTURE_CELL = """\
from gradviz import Value, GraphWidget
a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10.0, label="c")
e = a * b; e.label = "e"
d = e + c; d.label = "d"
f = Value(-2.0, label="f")
L = d * f; L.label = "L"
L.backward()  # a widget shows the Values as they are: the lecture's grads
"""

_TABLE_JS = """t => [...t.querySelectorAll('tr')].map(
    r => [...r.querySelectorAll('th,td')].map(c => c.textContent.trim()))"""

# Text drawn in an SVG drawing of the graph (empty when the drawing is a canvas).
_DRAWING_TEXT_JS = """root => [...root.querySelectorAll('svg text')]
    .filter(t => !t.closest('table')).map(t => t.textContent).join('\\n')"""


def widget_root(nb, index: int = 0):
    return nb.panel.locator(".gradviz-root").nth(index)


def wait_rendered(nb, cell: int, timeout: float = 60.0):
    """Wait until the widget in the notebook is ready; fail with the cell's traceback if it raised."""
    root = widget_root(nb)
    ready = nb.panel.locator(".gradviz-root[data-gradviz-ready='1']").first
    error = nb.cell(cell).locator(".jp-OutputArea-output[data-mime-type*='error'],"
                                  ".jp-OutputArea-output[data-mime-type*='stderr']")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready.count():
            return root
        if error.count():
            raise AssertionError(f"the widget cell raised:\n{error.first.inner_text()}")
        time.sleep(0.05)
    raise AssertionError(f"no .gradviz-root[data-gradviz-ready='1'] after {timeout} s; "
                         f"cell {cell} shows: {nb.output_text(cell)!r}")


def values_table(root) -> dict[str, dict[str, str]]:
    """The "gradviz values" table as {label: {column header (lower case): cell text}}."""
    rows = root.get_by_role("table", name="gradviz values").evaluate(_TABLE_JS)
    header = [h.lower() for h in rows[0]]
    for col in ("label", "op", "data", "grad"):
        assert col in header, f"the values table has no {col!r} column; header: {rows[0]}"
    table = {}
    for r in rows[1:]:
        if len(r) == len(header):
            rec = dict(zip(header, r))
            table[rec["label"]] = rec
    return table


def drawing_text(root) -> str:
    return root.evaluate(_DRAWING_TEXT_JS)


def wait_table(root, label: str, column: str, text: str, timeout: float = 10.0) -> float:
    """Wait until the table shows ``text`` for ``label``'s ``column``; return the seconds waited."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = values_table(root).get(label, {}).get(column)
        if last == text:
            return time.perf_counter() - t0
        time.sleep(0.01)
    raise AssertionError(f"table never showed {label}.{column} = {text}; last {last!r}")


def number_box(root, label: str):
    return root.get_by_role("spinbutton", name=label, exact=True)


def type_value(root, label: str, value: str) -> float:
    """Type ``value`` into leaf ``label``'s number box like a user and press Enter.

    Returns ``time.perf_counter()`` just before Enter, to time the repaint from.
    """
    from playwright.sync_api import expect

    box = number_box(root, label)
    box.click()
    expect(box).to_be_focused(timeout=5_000)
    box.press("Control+a")
    box.page.keyboard.type(value)
    expect(box).to_have_value(value, timeout=5_000)
    t = time.perf_counter()
    box.press("Enter")
    return t


def slider(root, label: str):
    """The slider of leaf ``label``: named by the label (exactly, or as a whole word)."""
    exact = root.get_by_role("slider", name=label, exact=True)
    if exact.count():
        return exact
    return root.get_by_role("slider", name=re.compile(rf"(^|\W){re.escape(label)}(\W|$)"))


def nudge_count(root) -> int:
    return int(root.get_attribute("data-nudge-count") or 0)


def wait_nudge_count(root, above: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = nudge_count(root)
        if n > above:
            return n
        time.sleep(0.01)
    raise AssertionError(f"data-nudge-count stayed at {nudge_count(root)} (expected > {above})")


def fmt4(x: float) -> str:
    """Four decimals, as the lecture prints them (gradviz.draw.textsize.fmt4: scientific past 1e16)."""
    from gradviz.draw.textsize import fmt4
    return fmt4(x)
