"""Playground from Python: training on Tape replay equals the engine, settings, the live model,
the heatmaps, the bridge down to one sample's graph, the PyTorch check."""
import sys

import numpy as np
import pytest

from gradviz import Playground
from gradviz.playground.trainer import Trainer


def test_moons_reaches_97_percent_within_300_steps_and_matches_eager_training():
    """Replay and the engine step side by side until the replayed run first reaches 0.97 on both
    train and test points; there the two runs' parameters agree to 1e-12 (the eager run is the
    slow part, so it stops there), and the replayed run keeps its accuracy up to step 300."""
    tape, eager = Trainer(seed=0), Trainer(seed=0)
    first = None
    for k in range(300):
        tape.step(1)
        if first is None:
            eager.step(1, replay=False)
            if min(tape.accuracy()) >= 0.97:
                first = k + 1
                assert np.max(np.abs(tape.param_data() - eager.param_data())) <= 1e-12
                assert np.allclose(tape.history["train"], eager.history["train"], rtol=0, atol=1e-12)
                assert eager.accuracy() == tape.accuracy()
    assert first is not None, f"accuracy after 300 steps: {tape.accuracy()}"
    assert min(tape.accuracy()) >= 0.97
    assert tape.history["train"][-1] < 0.2 * tape.history["train"][0]


@pytest.mark.parametrize("kwargs", [
    dict(activation="tanh", batch_size=16, dataset="xor", l2=1e-3),
    dict(activation="sigmoid", hidden=[6, 5, 4], dataset="spiral", lr=0.5),
])
def test_minibatch_and_other_shapes_match_eager_training(kwargs):
    tape, eager = Trainer(seed=4, **kwargs), Trainer(seed=4, **kwargs)
    tape.step(25)
    eager.step(25, replay=False)
    assert np.max(np.abs(tape.param_data() - eager.param_data())) <= 1e-12


def test_same_seed_repeats_the_run_another_seed_does_not():
    a, b, c = Playground(seed=3, batch_size=10), Playground(seed=3, batch_size=10), Playground(seed=4, batch_size=10)
    for p in (a, b, c):
        p.step(20)
    assert a.losses == b.losses
    assert a.losses.train != c.losses.train
    assert [p.data for p in a.model.parameters()] == [p.data for p in b.model.parameters()]


def test_losses_accuracy_and_steps_from_python():
    pg = Playground(seed=1)
    assert pg.steps == 0 and pg.losses.step == [0]
    pg.step(30)
    L = pg.losses
    assert pg.steps == 30 and L.step == list(range(31))
    assert len(L.train) == len(L.test) == 31
    assert L.train[-1] < L.train[0] and L.test[-1] < L.test[0]
    acc = pg.accuracy
    assert 0.0 <= acc.test <= 1.0 and acc.train == pg._trainer.accuracy()[0]
    assert pg.view._status["step"] == 30
    assert pg.view._status["train_loss"] == pytest.approx(L.train[-1], abs=1e-6)
    pg.reset()
    assert pg.steps == 0 and pg.losses.train[0] == L.train[0]


def test_model_is_live_both_ways():
    pg = Playground(seed=2)
    w = pg.model.layers[0].neurons[0].w[0]
    before = w.data
    pg.step(1)
    assert w.data != before and w.grad != 0.0  # the playground trains the model's own Values
    w.data = 5.0  # an edit in Python is what the next step starts from
    P = pg._trainer.param_data()
    assert P[0] == 5.0
    pg.step(1)
    assert w.data == pytest.approx(5.0 - 0.1 * w.grad, abs=1e-15)


def test_settings_from_python_and_the_page_checked_first():
    pg = Playground(seed=0)
    pg.lr = 0.05
    assert pg.lr == 0.05 and pg.view.config["lr"] == 0.05
    pg.configure(hidden=[4, 3], activation="tanh")
    assert [len(l.neurons) for l in pg.model.layers] == [4, 3, 1]
    assert pg.view._net["sizes"] == [2, 4, 3, 1]
    assert len(pg.view._maps) == (1 + 4 + 3 + 1) * 50 * 50
    with pytest.raises(ValueError, match="hidden must be a list of up to 6 layer sizes"):
        pg.hidden = [0]
    with pytest.raises(ValueError, match="unknown dataset 'blobs'"):
        pg.configure(dataset="blobs", lr=0.2)
    assert pg.lr == 0.05 and pg.hidden == [4, 3]  # nothing applied
    pg._on_msg(None, {"type": "config", "key": "lr", "value": "<b>fast</b>"}, [])
    assert "lr must be a number" in pg.view.error and pg.lr == 0.05
    pg._on_msg(None, {"type": "config", "key": "hidden", "value": "8, 8"}, [])
    assert pg.view.error == "" and pg.hidden == [8, 8]
    pg._on_msg(None, {"type": "config", "key": "batch_size", "value": None}, [])
    assert pg.batch_size is None and pg.view.error == ""
    pg.dataset = "circles"
    assert pg.data.name == "circles" and pg.steps == 0


def test_heatmap_row_zero_is_the_decision_over_the_plane():
    pg = Playground(seed=0).step(50)
    tr = pg._trainer
    maps = np.frombuffer(pg.view._maps, dtype=np.uint8).reshape(-1, 50 * 50)
    assert maps.shape[0] == 1 + 16 + 16 + 1
    s = tr.scores(tr.grid_points)
    assert np.array_equal(maps[0] > 127, s > 0)
    assert np.all(maps[0][s >= 1.0] == 255) and np.all(maps[0][s <= -1.0] == 0)
    # every hidden neuron row equals its Batched output scaled by its largest magnitude
    V = tr.heatmaps()
    k = 5
    want = np.round((V[k] / np.abs(V[k]).max() + 1) * 127.5) if np.abs(V[k]).max() > 0 else np.full(2500, 128)
    assert np.array_equal(maps[k], want.astype(np.uint8))


def test_playing_ticks_train_and_repaint():
    pg = Playground(seed=0)
    maps0 = pg.view._maps
    pg._on_msg(None, {"type": "play"}, [])
    pg._on_msg(None, {"type": "tick", "tick": 1}, [])
    assert pg.steps >= 1 and pg.view._status["tick"] == 1 and pg.view._status["playing"]
    assert pg.view._maps != maps0
    pg._on_msg(None, {"type": "pause"}, [])
    assert not pg.view._status["playing"]
    n = pg.steps
    pg._on_msg(None, {"type": "step", "n": 1}, [])
    assert pg.steps == n + 1


def test_clicked_sample_opens_its_graph_and_a_nudge_there_moves_the_playground():
    pg = Playground(seed=0).step(20)
    pg._on_msg(None, {"type": "select", "what": "sample", "split": "train", "index": 3}, [])
    gw = pg.graph_widget
    assert gw is not None and pg.inspector.children[-1] is gw
    g = gw.graph
    labels = set(g.labels)
    assert {"x0", "x1", "y", "score", "loss", "layers.0.neurons.0.w.0"} <= labels
    X, y = pg.data.X_train[3], pg.data.y_train[3]
    d = dict(zip(g.labels, gw.data))
    assert d["x0"] == X[0] and d["x1"] == X[1] and d["y"] == y
    assert d["score"] == pg._trainer.scores(X[None])[0]
    # the grads are d loss / d node: a weight's grad matches a finite difference of the loss
    gd = dict(zip(g.labels, gw.grad))
    assert gd["loss"] == 1.0
    maps, status = pg.view._maps, dict(pg.view._status)
    w = pg.model.layers[1].neurons[0].w[0]
    gw.nudge(w, 0.75)
    assert pg._trainer.param_data()[pg.model.parameters().index(w)] == w.data
    assert pg.view._maps != maps
    # the losses shown are those of the nudged model, at the same step
    tr = pg._trainer
    assert pg.losses.step[-1] == 20 and len(pg.losses.step) == 21
    assert pg.losses.train[-1] == tr.loss_of(pg.data.X_train, pg.data.y_train)
    assert abs(pg.losses.train[-1] - status["train_loss"]) > 1e-4  # the nudge moved it
    assert pg.view._status["train_loss"] == pytest.approx(pg.losses.train[-1], abs=1e-6)
    # playing closes the (soon stale) graph; pausing reopens it with the Values as they are then
    pg._on_msg(None, {"type": "play"}, [])
    assert pg.graph_widget is None
    pg._on_msg(None, {"type": "tick", "tick": 1}, [])
    pg._on_msg(None, {"type": "pause"}, [])
    gw2 = pg.graph_widget
    assert gw2 is not None and gw2 is not gw
    d2 = dict(zip(gw2.graph.labels, gw2.data))
    assert d2["layers.1.neurons.0.w.0"] == w.data


def test_neuron_click_opens_that_neurons_graph():
    pg = Playground(seed=0, hidden=[3, 2])
    pg.select_sample(1, "test")
    gw = pg.select_neuron(1, 1)
    assert gw.graph.labels[-1] == "layers.1.neurons.1"
    assert "layers.1.neurons.1.b" in gw.graph.labels
    assert "layers.2.neurons.0.b" not in gw.graph.labels
    X = pg.data.X_test[1]
    d = dict(zip(gw.graph.labels, gw.data))
    assert (d["x0"], d["x1"]) == tuple(X)
    with pytest.raises(IndexError, match="layer 1 has neurons 0..1"):
        pg.select_neuron(1, 2)
    with pytest.raises(IndexError, match=r"test point index must be an int in 0..19"):
        pg.select_sample(20, "test")


def test_inspector_title_is_escaped():
    pg = Playground(seed=0)
    pg.select_sample(0)
    head = pg.inspector.children[0].value
    assert head.startswith("<b>Scalar graph of train point 0") and "<script" not in head
    from gradviz.playground.app import html
    assert html.escape("<x>") == "&lt;x&gt;"


def test_compare_with_torch_checks_the_current_step(torch):
    pg = Playground(seed=0, n=30).step(3)
    grads = [p.grad for p in pg.model.parameters()]
    report = pg.compare()
    assert report.ok and len(report) > 1000
    assert pg.view._report["ok"] and "agree with PyTorch" in pg.view._report["text"]
    assert pg.view._report["step"] == 3
    assert [p.grad for p in pg.model.parameters()] == grads  # the model's grads left as they were


def test_compare_without_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    pg = Playground(seed=0, n=20)
    pg._on_msg(None, {"type": "compare"}, [])
    assert pg.view._report["ok"] is False
    assert "needs PyTorch" in pg.view._report["text"] and "install" in pg.view._report["text"]
