"""The widget is a truthful view of the Values, in JupyterLab with a real kernel: a Python change
survives a nudge, two widgets agree, a widget whose kernel restarted says it is not connected and
changes nothing, refresh() repaints after a training loop."""
from __future__ import annotations

import re
import time

import pytest

from widget_page import LECTURE_CELL as LECTURE
from widget_page import fmt4, type_value, values_table, wait_rendered, wait_table, widget_root

pytestmark = pytest.mark.browser

CHECK = 'print(f"kernel a={a.data:.4f} b={b.data:.4f} c={c.data:.4f} L={L.data:.4f}")'


def status_text(root) -> str:
    s = root.get_by_role("status")
    return s.inner_text() if s.is_visible() else ""


def wait_status(root, needle: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = status_text(root)
        if needle in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"the widget never said {needle!r}; it says {status_text(root)!r}")


def test_python_change_then_nudge_keeps_the_python_value(e2e):
    nb = e2e.open([LECTURE + "w = GraphWidget(L)\nw", "a.data = 4.0", CHECK])
    nb.run_all()
    root = wait_rendered(nb, 0)
    nb.wait_executed(2)
    # after the cell that changed a, the page knows its picture is older than the Values
    wait_status(root, "refresh() on this widget")
    e2e.shot("stale")
    type_value(root, "b", "-2")  # a nudge in the page starts from Python's a = 4
    want_L = -((4.0 * -2.0) + 10.0) * 2.0
    wait_table(root, "L", "data", fmt4(want_L))
    t = values_table(root)
    assert t["a"]["data"] == "4.0000" and t["b"]["data"] == "-2.0000", t
    assert status_text(root) == ""
    e2e.shot("after-nudge")
    nb.rerun_until(2, lambda out: f"kernel a=4.0000 b=-2.0000 c=10.0000 L={fmt4(want_L)}" in out)


def test_two_widgets_over_one_graph_agree(e2e):
    nb = e2e.open([LECTURE + "w1 = GraphWidget(L)\nw1", "w2 = GraphWidget(L)\nw2", CHECK])
    nb.run_all()
    wait_rendered(nb, 0)
    nb.wait_executed(2)
    w1, w2 = widget_root(nb, 0), widget_root(nb, 1)
    w2.wait_for()
    type_value(w1, "a", "2.5")
    wait_table(w1, "L", "data", "-5.0000")
    wait_table(w2, "L", "data", "-5.0000")  # w2 follows w1
    type_value(w2, "b", "-2")
    want = -((2.5 * -2.0) + 10.0) * 2.0
    wait_table(w2, "L", "data", fmt4(want))
    wait_table(w1, "L", "data", fmt4(want))  # and w1 follows w2, keeping its own a = 2.5
    type_value(w1, "c", "12")
    want = -((2.5 * -2.0) + 12.0) * 2.0
    for root in (w1, w2):
        wait_table(root, "L", "data", fmt4(want))
        t = values_table(root)
        assert (t["a"]["data"], t["b"]["data"], t["c"]["data"]) == ("2.5000", "-2.0000", "12.0000"), t
    e2e.shot("agree")
    nb.rerun_until(2, lambda out: f"kernel a=2.5000 b=-2.0000 c=12.0000 L={fmt4(want)}" in out)


def test_after_a_kernel_restart_the_old_widget_is_not_connected_and_changes_nothing(e2e):
    nb = e2e.open([LECTURE + "w = GraphWidget(L)\nw", "print('a' in globals())"])
    nb.run_all()
    root = wait_rendered(nb, 0)
    nb.wait_executed(1)
    assert status_text(root) == "" and root.get_attribute("data-connection") == "live"
    page = e2e.page  # Kernel > Restart Kernel…, confirmed, as a user does
    page.get_by_role("menuitem", name="Kernel", exact=True).first.click()
    page.get_by_role("menuitem", name=re.compile(r"^Restart Kernel…")).first.click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    text = wait_status(root, "not connected: a saved picture")
    assert root.get_attribute("data-connection") == "saved"
    nb.wait_kernel_ready()
    type_value(root, "a", "3")  # computed in the page, and said so; nothing reaches the new kernel
    wait_table(root, "L", "data", "-2.0000")
    assert "not in Python" in root.get_by_role("table", name="last nudge").inner_text()
    assert "not connected" in status_text(root), text
    e2e.shot("not-connected")
    for _ in range(3):
        assert nb.run_cell(1).strip().endswith("False"), "the restarted kernel has an 'a'"
        time.sleep(0.3)


TRAIN = """\
import random
from gradviz import MLP, GraphWidget, Tape, mse_loss
random.seed(1337)
n = MLP(3, [4, 4, 1])
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
loss = mse_loss([n(x) for x in xs], ys, reduction="sum"); loss.label = "loss"
w = GraphWidget(loss, collapsed=None)
w"""
LOOP = """\
tape = Tape(loss)
for k in range(200):
    tape.run()
    for p in n.parameters():
        p.data -= 0.05 * p.grad
    w.refresh()
tape.run()
w.refresh()
print(f"trained loss={loss.data:.4f}")"""


def test_refresh_repaints_after_a_training_loop(e2e):
    nb = e2e.open([TRAIN, LOOP])
    nb.run_all()
    root = wait_rendered(nb, 0)
    nb.wait_executed(1, timeout=120_000)
    out = nb.output_text(1)
    trained = out.split("trained loss=")[1].split()[0]
    assert float(trained) < 1.0, out
    panel = root.get_by_role("table", name="last nudge")
    deadline = time.monotonic() + 20
    while f"loss = {trained}" not in panel.inner_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f"loss = {trained}" in panel.inner_text() and "refreshed from Python" in panel.inner_text()
    assert f"data {trained}" in root.evaluate("r => [...r.querySelectorAll('svg text')].map(t => t.textContent).join('|')")
    e2e.shot("trained")
