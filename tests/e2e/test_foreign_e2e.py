"""Graphs not built from gradviz's own ops, end to end in JupyterLab: a micrograd graph is nudged
and the new numbers land in micrograd's Values; a graph with a custom op (the lecture's
``out._backward = ...``) is shown read-only, with the reason, and its controls are absent; once
its forward is registered (``gradviz.register_op``) the same kind of op is nudged, the kernel
replaying it and running its closure."""
from __future__ import annotations

import pytest

from widget_page import fmt4, number_box, type_value, values_table, wait_rendered, wait_table, widget_root

pytestmark = pytest.mark.browser

MICROGRAD = """\
from micrograd.engine import Value as MV
from gradviz import GraphWidget
a, b, c, f = MV(2.0), MV(-3.0), MV(10.0), MV(-2.0)
L = (a * b + c) * f
for v, name in ((a, "a"), (b, "b"), (c, "c"), (f, "f"), (L, "L")):
    v.label = name          # micrograd's Value has no label; gradviz reads one if it is there
L.backward()                # the widget shows the Values as they are: grads from micrograd's backward
w = GraphWidget(L)
w"""
CUSTOM = """\
from gradviz import Value, GraphWidget
def cube(self):
    out = Value(self.data ** 3, (self,), "cube")
    def _backward():
        self.grad += 3 * self.data ** 2 * out.grad
    out._backward = _backward
    return out
x = Value(2.0, label="x")
y = cube(x) * 2; y.label = "y"
y.backward()
GraphWidget(y)"""
REGISTERED = """\
import gradviz
gradviz.register_op("cube3", forward=lambda v: v ** 3)  # its backward: the closure below
def cube3(self):
    out = Value(self.data ** 3, (self,), "cube3")
    def _backward():
        self.grad += 3 * self.data ** 2 * out.grad
    out._backward = _backward
    return out
u = Value(2.0, label="u")
z = cube3(u) + 1; z.label = "z"
z.backward()
GraphWidget(z)"""
CHECK = ('print(f"kernel a={a.data:.4f} L={L.data:.4f} a.grad={a.grad:.4f} x={x.data:.4f} x.grad={x.grad:.4f} "\n'
         '      f"u={u.data:.4f} z={z.data:.4f} u.grad={u.grad:.4f}")')


def test_micrograd_graph_nudges_and_custom_op_is_read_only(e2e):
    nb = e2e.open([MICROGRAD, CUSTOM, REGISTERED, CHECK], "lab")
    nb.run_all()
    mg = wait_rendered(nb, 0)
    nb.wait_executed(3)
    custom = widget_root(nb, 1)
    custom.and_(custom.locator("xpath=self::*[@data-gradviz-ready='1']")).wait_for(timeout=30_000)

    # micrograd's graph: the labels set on micrograd's Values show, and every leaf has a box
    assert wait_table(mg, "L", "data", "-8.0000") >= 0
    rows = values_table(mg)
    assert rows["a"]["grad"] == fmt4(6.0) and rows["f"]["grad"] == fmt4(4.0), rows
    e2e.shot("micrograd-rendered", element=mg)

    # custom op: read-only with the reason, values as backward() left them, no leaf controls
    note = custom.get_by_text("custom op", exact=False).first
    note.wait_for(timeout=10_000)
    assert "_backward" in note.inner_text()
    table = values_table(custom)
    assert table["y"]["data"] == fmt4(16.0) and table["x"]["grad"] == fmt4(24.0), table
    assert number_box(custom, "x").count() == 0
    e2e.shot("custom-op-read-only", element=custom)

    # type a = 3 in micrograd's graph: L = (3*-3 + 10) * -2 = -2, written into micrograd's Values
    type_value(mg, "a", "3")
    wait_table(mg, "L", "data", fmt4(-2.0))
    nb.rerun_until(3, lambda out: "kernel a=3.0000 L=-2.0000 a.grad=6.0000 x=2.0000 x.grad=24.0000" in out)
    e2e.shot("micrograd-after-a=3", element=mg)

    # the registered op: u = 3 gives z = 3**3 + 1 = 28 and, through the lecture's closure, u.grad = 27
    reg = widget_root(nb, 2)
    reg.and_(reg.locator("xpath=self::*[@data-gradviz-ready='1']")).wait_for(timeout=30_000)
    assert wait_table(reg, "z", "data", fmt4(9.0)) >= 0
    type_value(reg, "u", "3")
    wait_table(reg, "z", "data", fmt4(28.0))
    assert values_table(reg)["u"]["grad"] == fmt4(27.0)
    nb.rerun_until(3, lambda out: "u=3.0000 z=28.0000 u.grad=27.0000" in out)
    e2e.shot("registered-op-after-u=3", element=reg)


BUGGY = """\
from gradviz import GraphWidget
from tests.learner import SetsInAdd as Value  # the lecture's Value with its bug: '+' sets the grads instead of adding them
a = Value(3.0, label="a")
b = a + a; b.label = "b"
b.backward()
GraphWidget(b)"""
GOOD = """\
from micrograd.engine import Value as MV
m = MV(3.0); m.label = "m"
n = m + m; n.label = "n"
n.backward()
GraphWidget(n)"""
CHECK_BUG = 'print(f"kernel a={a.data:.4f} a.grad={a.grad:.4f}")'


def test_learners_bug_is_shown_beside_gradviz_reference_never_fixed(e2e):
    nb = e2e.open([BUGGY, GOOD, CHECK_BUG], "lab")
    nb.run_all()
    bug = wait_rendered(nb, 0)
    nb.wait_executed(2)
    good = widget_root(nb, 1)
    good.and_(good.locator("xpath=self::*[@data-gradviz-ready='1']")).wait_for(timeout=30_000)
    # the learner's a.grad (1, the bug) and gradviz's rule (2) side by side; a is marked
    rows = values_table(bug)
    assert rows["a"]["grad"] == fmt4(1.0) and rows["a"]["gradviz grad"] == "≠ " + fmt4(2.0), rows
    assert rows["b"]["gradviz grad"] == fmt4(1.0), rows
    assert bug.locator(".gv-box.gv-mismatch").count() == 1
    assert bug.get_attribute("data-replay") == "kernel" and bug.get_attribute("data-mismatches") == "1"
    e2e.shot("learner-bug-marked", element=bug)
    # a nudge keeps the learner's rule: a = 4, a.grad still 1
    type_value(bug, "a", "4")
    wait_table(bug, "b", "data", fmt4(8.0))
    assert values_table(bug)["a"]["grad"] == fmt4(1.0)
    nb.rerun_until(2, lambda out: "kernel a=4.0000 a.grad=1.0000" in out)
    # micrograd's closures are right: the column agrees and nothing is marked
    rows = values_table(good)
    assert rows["m"]["grad"] == fmt4(2.0) and rows["m"]["gradviz grad"] == fmt4(2.0), rows
    assert good.locator(".gv-box.gv-mismatch").count() == 0 and good.get_attribute("data-mismatches") == "0"
    e2e.shot("micrograd-no-mismatch", element=good)
