"""Issue 22, Playground: page messages that are not objects, a step count without bound, and the
graph widgets each step or click used to leave open."""
import time

import pytest

from gradviz import Playground
from testenv import need


@pytest.fixture
def pg():
    need("anywidget", "the playground")
    return Playground(seed=0)


@pytest.mark.parametrize("content", [[1], None, "x", 3, 2.5])
def test_a_message_that_is_not_an_object_is_an_error_in_the_page(pg, content):
    pg._on_msg(None, content, [])
    assert pg.view.error.startswith("ValueError: a message from the page must be an object")
    assert pg.steps == 0


@pytest.mark.parametrize("n", [10 ** 9, 1001, float("inf"), float("nan"), 0, -5, 2.5, True, "7"])
def test_a_page_step_is_capped_per_message(pg, n):
    t0 = time.perf_counter()
    pg._on_msg(None, {"type": "step", "n": n}, [])
    assert time.perf_counter() - t0 < 5.0
    assert pg.steps == 0
    assert "a step message asks for 1 to 1,000 steps" in pg.view.error and "p.step(n)" in pg.view.error
    pg._on_msg(None, {"type": "step", "n": 3}, [])
    assert pg.steps == 3 and pg.view.error == ""


def _live_widgets():
    from ipywidgets.widgets import widget

    from gradviz.widget.session import _LIVE
    return len(widget._instances), len(_LIVE)


def test_steps_and_clicks_close_the_graph_widget_they_replace(pg):
    pg._on_msg(None, {"type": "select", "what": "sample", "split": "train", "index": 3}, [])
    first = pg.graph_widget
    pg.step(1)
    before = _live_widgets()
    for k in range(30):
        pg._on_msg(None, {"type": "step", "n": 1}, [])
        if k % 10 == 0:
            pg._on_msg(None, {"type": "select", "what": "neuron", "layer": 0, "index": k % 4}, [])
    assert _live_widgets() == before  # no growth: each old GraphWidget (and its title) closed
    assert first._closed and not pg.graph_widget._closed
    with pytest.raises(RuntimeError, match="closed"):
        first.nudge("x0", 0.1)
    # a nudge in the open graph (neuron 0 of layer 0) still moves the playground
    w = pg.model.layers[0].neurons[0].w[0]
    pg.graph_widget.nudge(w, 0.5)
    assert pg._trainer.param_data()[pg.model.parameters().index(w)] == w.data
