"""Issue 22, the widget from Python: page messages checked, a closed widget closed everywhere, a
refresh that waits flushed by reading or saving, refresh after the leaves moved without a forward
pass (stale, or recomputed on request), read-only widgets that follow, nudges that write back only
what they changed."""
import threading

import pytest

from gradviz import MLP, Value, mse_loss
from testenv import lecture_L, need

need("anywidget", "the widget")
from gradviz import GraphWidget, to_html  # noqa: E402
from gradviz.widget import session as widget_mod  # noqa: E402


@pytest.fixture
def lecture():
    L, v = lecture_L()
    L.backward()
    return GraphWidget(L), v


@pytest.fixture
def at_once(monkeypatch):
    """refresh() sends at once (no 50 ms wait between pictures)."""
    monkeypatch.setattr(widget_mod, "REFRESH_INTERVAL", 0.0)


@pytest.fixture
def waiting(monkeypatch):
    """refresh() always waits for its turn (as a second call within 50 ms does)."""
    monkeypatch.setattr(widget_mod, "REFRESH_INTERVAL", 3600.0)


def ids(w):
    return {k: i for i, k in enumerate(w.graph.labels) if k}


# ---- page messages -------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [[1], None, "x", 3, 2.5, True])
def test_a_page_message_that_is_not_an_object_is_an_error_in_the_page(lecture, content):
    w, v = lecture
    w._on_msg(None, content, [])
    assert w.error.startswith("ValueError: a message from the page must be an object")
    assert v["a"].data == 2.0


@pytest.mark.parametrize("req", [float("inf"), float("-inf"), float("nan"), 1e300, "x", [1], -1, 2.5])
def test_a_req_that_is_not_a_counter_is_an_error_and_acks_nothing(lecture, req):
    w, v = lecture
    ack = w._ack
    w._on_msg(None, {"type": "set", "values": {str(w._resolve("a")): 3.0}, "req": req}, [])
    assert "req" in w.error and w._ack == ack
    assert v["a"].data == 2.0  # a malformed message changes nothing


def test_the_page_cannot_set_a_constant():
    a = Value(2.0, label="a")
    y = a * 3.0
    y.label = "y"
    w = GraphWidget(y)
    k = w.graph.kinds.index("constant")
    w._on_msg(None, {"type": "set", "values": {str(k): 5.0}, "req": 1}, [])
    assert "constant" in w.error and "no control" in w.error
    assert y._prev[1].data == 3.0 and y.data == 6.0 and w._ack == 1


def test_a_huge_expand_key_is_not_echoed_whole():
    n = MLP(2, [2, 1])
    loss = sum((n([float(i), 1.0]) - 1.0) ** 2 for i in range(40))
    w = GraphWidget(loss)
    w._on_msg(None, {"type": "expand", "key": "k" * 1_000_000, "req": 1}, [])
    assert w.error and len(w.error) < 1000
    assert "1,000,000 characters" in w.error


# ---- a closed widget -----------------------------------------------------------------------------

def test_every_public_method_and_property_of_a_closed_widget_raises(lecture, tmp_path):
    w, v = lecture
    w.close()
    calls = {
        "data": lambda: w.data, "grad": lambda: w.grad, "drawing": w.drawing,
        "collapsed": lambda: w.collapsed, "refresh": w.refresh, "nudge": lambda: w.nudge("a", 1.0),
        "set": lambda: w.set("a", 1.0), "step": lambda: w.step(0.1), "reset": w.reset,
        "expand": lambda: w.expand("x"), "collapse": lambda: w.collapse("x"),
        "save_html": lambda: w.save_html(tmp_path / "p.html"),
        "to_html": lambda: to_html(w, tmp_path / "q.html"),
    }
    open_still = []
    for name, call in calls.items():
        try:
            call()
        except RuntimeError as e:
            if "this GraphWidget is closed" in str(e):
                continue
        open_still.append(name)
    assert open_still == []
    assert list(tmp_path.iterdir()) == []  # nothing written
    assert v["a"].data == 2.0


# ---- a refresh that waits ------------------------------------------------------------------------

def test_reading_or_saving_flushes_a_waiting_refresh(lecture, waiting, tmp_path):
    w, v = lecture
    v["a"].data = 6.0
    w.refresh()
    assert w._pending
    p = tmp_path / "p.html"
    w.save_html(p)
    assert not w._pending
    assert w.data[ids(w)["a"]] == 6.0
    page = p.read_text()
    w2 = GraphWidget(lecture_L()[0])
    assert page != to_html(w2)  # the saved page holds a = 6, not the 2 the widget was built with
    v["a"].data = 7.0
    w.refresh()
    assert w._pending and w.data[ids(w)["a"]] == 7.0 and not w._pending
    v["b"].data = 1.5
    w.refresh()
    assert w.grad is not None and not w._pending and w._s.cur[0][ids(w)["b"]] == 1.5


# ---- refresh after the leaves moved without a forward pass ---------------------------------------

def _lecture_training(steps):
    """The lecture's MLP loop: the loss graph is rebuilt every step."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    import random
    random.seed(1337)
    model = MLP(3, [4, 4, 1])
    def loss_of():
        return mse_loss([model(x) for x in xs], ys, reduction="sum")
    first = loss_of()
    first.backward()
    w = GraphWidget(first)
    for _ in range(steps):
        loss = loss_of()
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
    return w, first, loss_of


def test_refresh_after_a_training_loop_says_the_values_inside_are_stale(at_once):
    w, first, loss_of = _lecture_training(50)
    w.refresh()
    root = len(w.graph) - 1
    assert w.data[root] == first.data  # shown as Python holds it: the first loss, never recomputed
    assert "stale" in w._stale and "refresh(recompute=True)" in w._stale
    w._after_cell()
    assert "refresh(recompute=True)" in w._stale  # the check after the cell keeps the notice
    w.refresh(recompute=True)
    truth = loss_of()
    assert w.data[root] == pytest.approx(truth.data, rel=1e-12) and truth.data < 0.1
    assert first.data == w.data[root]  # recomputing writes into the Values, as a nudge does
    assert w._stale == ""


def test_a_page_nudge_after_a_stale_refresh_starts_from_one_consistent_state(lecture, at_once):
    w, v = lecture
    v["a"].data = 4.0
    w.refresh()                      # a moved, e, d, L did not: the picture says so
    assert "stale" in w._stale
    f = w._resolve("f")
    w._on_msg(None, {"type": "set", "values": {str(f): 2.0}, "req": 1}, [])
    n = w.last_nudge
    assert (n["before"], n["predicted"], n["actual"], n["after"]) == (4.0, -8.0, -8.0, -4.0)
    assert w._stale == "" and v["L"].data == -4.0


@pytest.mark.parametrize("interval", [0.0, 3600.0])
def test_the_same_through_set_whether_the_refresh_waited_or_not(lecture, monkeypatch, interval):
    monkeypatch.setattr(widget_mod, "REFRESH_INTERVAL", interval)
    w, v = lecture
    v["a"].data = 4.0
    w.refresh()
    w.set("f", 2.0)
    n = w.last_nudge
    assert (n["before"], n["predicted"], n["actual"]) == (4.0, -8.0, -8.0)


def test_the_stale_notice_does_not_assume_the_name_w(lecture):
    w, v = lecture
    v["b"].grad = 99.0
    w._after_cell()
    assert w._stale and "w." not in w._stale and "refresh()" in w._stale


# ---- a read-only widget --------------------------------------------------------------------------

def test_a_read_only_widget_over_live_values_refreshes_and_goes_stale(at_once):
    x = Value(1.5, label="x")
    c = Value(x.data ** 3, (x,), "mycube")  # an op of the user's own, no forward registered
    c._backward = lambda: None
    y = c * 2.0
    y.label = "y"
    w = GraphWidget(y)
    assert w.readonly
    x.data = 2.0
    y.data = 99.0
    w._after_cell()
    assert "refresh()" in w._stale  # it follows Python like any widget
    w.refresh()
    assert w.data[ids(w)["x"]] == 2.0 and w.data[ids(w)["y"]] == 99.0 and w._stale == ""
    with pytest.raises(RuntimeError, match="read-only"):
        w.set("x", 3.0)


# ---- a nudge writes back what it changed, nothing else -------------------------------------------

def test_a_nudge_writes_back_only_the_nudged_leaf_and_the_recomputed_nodes():
    ps = [Value(float(i), label=f"p{i}") for i in range(6)]
    L = sum((p * p for p in ps), Value(0.0))
    L.label = "L"
    w = GraphWidget(L)
    real = w._take_leaves

    def trained_meanwhile():  # another thread sets p0 after the widget read the leaves
        out = real()
        ps[0].data = 123.0
        return out
    w._take_leaves = trained_meanwhile
    w._on_msg(None, {"type": "set", "values": {str(w._resolve("p5")): 7.0}, "req": 1}, [])
    assert w.error == ""
    assert ps[0].data == 123.0 and ps[5].data == 7.0  # p0 is not put back to what was read


def test_a_thread_training_p0_while_the_page_sets_p5_loses_no_step():
    ps = [Value(0.0, label=f"p{i}") for i in range(6)]
    L = sum((p * p for p in ps), Value(0.0))
    w = GraphWidget(L)
    p5 = str(w._resolve("p5"))
    stop = threading.Event()
    steps = []

    def train():
        k = 0
        while not stop.is_set():
            k += 1
            ps[0].data = float(k)  # each step a new, larger value
            steps.append(k)
    t = threading.Thread(target=train)
    t.start()
    older = 0
    try:
        for r in range(300):
            before = ps[0].data
            w._on_msg(None, {"type": "set", "values": {p5: float(r)}, "req": r + 1}, [])
            older += ps[0].data < before  # the page wrote back an older p0
    finally:
        stop.set()
        t.join()
    assert older == 0 and steps


def test_a_picture_shown_as_python_holds_it_says_when_its_inside_is_stale():
    x = Value(2.0, label="x")
    y = x * 3.0
    y.label = "y"
    x.data = 5.0  # no forward pass: y still holds 6
    w = GraphWidget(y, recompute=False)
    assert w.data[ids(w)["y"]] == 6.0 and "values inside are stale" in w._stale
    w.set("x", 1.0)
    assert (w.last_nudge["before"], w.last_nudge["after"], w.last_nudge["predicted"]) == (15.0, 3.0, -12.0)
    consistent = GraphWidget(Value(2.0, label="z") * 3.0, recompute=False)
    assert consistent._stale == ""
