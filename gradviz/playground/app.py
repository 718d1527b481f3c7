"""``Playground``: train a small network on a toy dataset and watch it learn, down to one sample's
scalar graph.

The kernel trains (``Trainer``: Tape replay) and evaluates the heatmaps (``Batched``); the page
(js/src/playground) draws the controls, the loss curve, the decision heatmap with the points and
the network with every neuron's output over the input plane. While playing, the page keeps two
frames asked for: for each, the kernel trains for what is left of 50 ms after evaluating the
heatmaps, then sends losses and heatmaps, so the kernel trains while the page paints, a slow
machine trains fewer steps per frame rather than repainting less often, and a pause waits for at
most one more frame. Clicking a point (or a neuron)
opens its scalar graph in a ``GraphWidget`` below; nudges there change the model's Values, and the
playground repaints from them.
"""
from __future__ import annotations

import html
import math
import time
from collections import namedtuple
from typing import TYPE_CHECKING, Any

import anywidget
import ipywidgets
import numpy as np
import traitlets as t

from ..draw.theme import constants as theme_constants
from ..engine import Value
from ..widget.bundle import bundle
from .trainer import CONFIG_KEYS, Trainer, quantize

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Literal

    from ..comparison import Comparison
    from ..graph.types import PathLike
    from ..nn import MLP
    from ..widget.graph_widget import GraphWidget
    from .datasets import Dataset

__all__ = ["Playground"]

Losses = namedtuple("Losses", "step train test")
Accuracy = namedtuple("Accuracy", "train test")
FRAME_SECONDS = 0.05  # kernel time per frame while playing: training, then the heatmaps
MIN_TRAIN_SECONDS = 0.005
CURVE_POINTS = 400  # the loss curve is sent decimated to about this many points


class _View(anywidget.AnyWidget):
    """The drawn part of a Playground (controls, loss curve, heatmaps, network)."""

    _esm, _css = bundle("playground")  # the built page; a missing build fails the import

    config = t.Dict().tag(sync=True)
    """The training settings (dataset, hidden sizes, learning rate, batch size, ...); the page's
    controls send changes as ``config`` messages and show what the kernel accepted."""

    _points = t.Dict().tag(sync=True)
    """The dataset: plane ``extent``, heatmap ``grid`` size, ``train`` and ``test`` samples."""

    _net = t.Dict().tag(sync=True)
    """The network drawn: layer ``sizes`` and each layer's weights ``w`` and biases ``b``."""

    _maps = t.Bytes().tag(sync=True)
    """Heatmaps over the plane, one byte a pixel (127.5 is zero): the output score clipped to
    [-1, 1], then each hidden neuron scaled by its largest magnitude."""

    _curve = t.Dict().tag(sync=True)
    """The loss curve (``step``, ``train``, ``test``), decimated to about 400 points."""

    _status = t.Dict().tag(sync=True)
    """Step, play state, last train/test loss and accuracy, the selected sample or neuron."""

    _report = t.Dict().tag(sync=True)
    """The last PyTorch comparison: ``ok``, its text, and the step it was made at."""

    error = t.Unicode("").tag(sync=True)
    """The last message's error, shown in the page; empty when it worked."""

    _constants = t.Dict().tag(sync=True)
    """Colours and fonts (``gradviz/theme.py``), set once."""


class Playground(ipywidgets.VBox):
    """Train an MLP on a toy 2-D dataset, watch it learn, open any sample's scalar graph.

    Settings (each also a property, e.g. ``pg.lr = 0.05``, and a control in the page):
    ``dataset`` (moons, circles, xor, spiral, gaussians), ``n`` points, ``noise``,
    ``test_fraction``, ``hidden`` layer sizes, ``activation`` (relu, tanh, sigmoid), ``lr``, ``l2``,
    ``batch_size`` (None: full batch) and ``seed`` (the same seed repeats a run exactly).
    ``grid``: heatmap points per side. The model is ``MLP(2, hidden + [1], linear_output=True)``
    trained with micrograd's hinge loss + L2 by SGD.

    It is an ``ipywidgets.VBox`` of two parts: ``view``, the anywidget drawing, and ``inspector``,
    where a clicked point's (or neuron's) ``GraphWidget`` opens (``graph_widget``).
    """

    def __init__(self, dataset: str = "moons", n: int = 100, noise: float = 0.1, test_fraction: float = 0.2,
                 hidden: Sequence[int] = (16, 16), activation: str = "relu", lr: float = 0.1, l2: float = 1e-4,
                 batch_size: int | None = None, seed: int = 0, grid: int = 50) -> None:
        self._trainer = Trainer(dataset, n, noise, test_fraction, hidden, activation, lr, l2,
                                batch_size, seed, grid)
        self.view = _View(_constants=theme_constants())
        self.inspector = ipywidgets.VBox()
        self.graph_widget = None
        self.selected = None
        self._sample = ("train", 0)  # the point a neuron's graph is drawn for: the last one clicked
        self._playing = False
        self._tick = 0
        self._publish_s = 0.02
        super().__init__(children=[self.view, self.inspector])
        self.add_class("gradviz-playground-box")
        self._publish(data=True)
        self.view.on_msg(self._on_msg)

    # ---- from Python --------------------------------------------------------------------------

    @property
    def model(self) -> MLP:
        """The gradviz ``MLP`` being trained; its parameter Values are the playground's, live."""
        return self._trainer.model

    @property
    def data(self) -> Dataset:
        """The current ``Dataset`` (train and test points, labels, plane extent)."""
        return self._trainer.data

    @property
    def steps(self) -> int:
        """SGD steps taken since the last reset."""
        return self._trainer.steps

    @property
    def losses(self) -> Losses:
        """``Losses(step, train, test)``: lists of the loss (hinge + L2) on the train and test
        points at each recorded step."""
        h = self._trainer.history
        return Losses(list(h["step"]), list(h["train"]), list(h["test"]))

    @property
    def accuracy(self) -> Accuracy:
        """``Accuracy(train, test)``: the fraction of points classified right, now."""
        return Accuracy(*self._trainer.accuracy())

    def step(self, n: int = 1) -> Playground:
        """Take ``n`` SGD steps (Tape replay) and repaint. Returns self."""
        self._trainer.step(n)
        self._publish()
        self._reopen()
        return self

    def reset(self) -> Playground:
        """Back to the seeded initial model, step 0 (same data and settings)."""
        self._trainer.reset()
        self._publish(data=True)
        self._reopen()
        return self

    def configure(self, **settings: Any) -> Playground:
        """Change several settings at once (all checked first). Data and network changes restart."""
        changed = self._trainer.configure(**settings)
        self._publish(data=bool(changed - {"lr", "l2", "batch_size"}))
        if changed - {"lr", "l2", "batch_size"}:
            self._sample = ("train", 0)
            self._select(None)
        else:
            self._reopen()
        return self

    def refresh(self) -> Playground:
        """Re-read the model's Values (e.g. after editing them in Python) and repaint; the current
        step's losses are measured again from them."""
        self._trainer._record(again=True)
        self._publish()
        return self

    def compare(self) -> Comparison:
        """Check the current step against PyTorch (``compare_with_torch`` on the loss graph of the
        training batch, values and grads). Shows the summary in the page; returns the report."""
        from ..pytorch.bridge import compare_with_torch
        from .trainer import loss_graph
        tr = self._trainer
        d = tr.data
        loss = loss_graph(tr.model, d.X_train.tolist(), d.y_train.tolist(), tr.config["l2"])
        saved = [p.grad for p in tr.params]
        try:
            report = compare_with_torch(loss, backward=True)
        finally:
            for p, g in zip(tr.params, saved):
                p.grad = g
        self.view._report = {"ok": bool(report.ok), "text": report.summary(), "step": tr.steps}
        return report

    def select_sample(self, index: int, split: Literal["train", "test"] = "train") -> GraphWidget:
        """Open the scalar graph of point ``index`` of ``split`` ("train" or "test"): its hinge loss
        through every neuron, label, data and grad on every node. Returns the GraphWidget."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        m = len(getattr(self._trainer.data, f"y_{split}"))
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < m:
            raise IndexError(f"{split} point index must be an int in 0..{m - 1}, got {index!r}")
        return self._select(("sample", split, int(index)))

    def select_neuron(self, layer: int, index: int) -> GraphWidget:
        """Open the scalar graph of neuron ``index`` of hidden ``layer`` (0-based) for the selected
        point (train point 0 if none). Returns the GraphWidget."""
        sizes = self._trainer.config["hidden"] + [1]
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < len(sizes):
            raise IndexError(f"layer must be an int in 0..{len(sizes) - 1}, got {layer!r}")
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < sizes[layer]:
            raise IndexError(f"layer {layer} has neurons 0..{sizes[layer] - 1}, got {index!r}")
        return self._select(("neuron", int(layer), int(index)))

    def save_html(self, path: PathLike, *, title: str | None = None) -> str:
        """Save this playground, as it is now, as one self-contained HTML page where readers train
        it on in their browser, with no Python (see ``gradviz.to_html``). Returns the page's text."""
        from ..widget.standalone import to_html
        return to_html(self, path, title=title)

    def _standalone_page(self):
        from .page import standalone_page
        return standalone_page(self._trainer)

    # ---- settings as properties -----------------------------------------------------------------

    def __getattr__(self, name):
        if name in CONFIG_KEYS and "_trainer" in self.__dict__:
            v = self._trainer.config[name]
            return list(v) if isinstance(v, list) else v
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in CONFIG_KEYS and "_trainer" in self.__dict__:
            self.configure(**{name: value})
        else:
            super().__setattr__(name, value)

    def __repr__(self):
        c = self._trainer.config
        return (f"<Playground {c['dataset']} MLP 2-{'-'.join(map(str, c['hidden']))}-1 {c['activation']}, "
                f"step {self.steps}>")

    # ---- the bridge down ------------------------------------------------------------------------

    def _sample_graph(self, split, i):
        d = self._trainer.data
        X, y = getattr(d, f"X_{split}"), getattr(d, f"y_{split}")
        x = [Value(float(X[i, 0]), label="x0"), Value(float(X[i, 1]), label="x1")]
        yv = Value(float(y[i]), label="y")
        score = self._trainer.model(x)
        score.label = "score"
        loss = (1 - yv * score).relu()
        loss.label = "loss"
        return loss, f"{split} point {i}: x = ({X[i, 0]:.3f}, {X[i, 1]:.3f}), y = {y[i]:+g}, hinge loss"

    def _neuron_graph(self, layer, j):
        d = self._trainer.data
        split, i = self._sample
        X = getattr(d, f"X_{split}")
        h = [Value(float(X[i, 0]), label="x0"), Value(float(X[i, 1]), label="x1")]
        layers = self._trainer.model.layers
        for lay in layers[:layer]:
            h = [nrn(h) for nrn in lay.neurons]
        out = layers[layer].neurons[j](h)
        out.label = f"layers.{layer}.neurons.{j}"  # the neuron's name, as its parameters' labels
        return out, f"neuron {out.label} at {split} point {i} ({X[i, 0]:.3f}, {X[i, 1]:.3f})"

    def _select(self, sel):
        self.selected = sel
        if sel is not None and sel[0] == "sample":
            self._sample = sel[1:]
        return self._reopen()

    def _reopen(self):
        """(Re)build the selected graph's widget from the Values as they are now. The old one is
        closed: it leaves the page, the widget registry and the widgets that follow a nudge."""
        from ..widget.graph_widget import GraphWidget
        for old in self.inspector.children:
            _close(old)
        self.inspector.children = ()
        self.graph_widget = None
        sel = self.selected
        if sel is None or self._playing:
            self._status()
            return None
        root, title = self._sample_graph(*sel[1:]) if sel[0] == "sample" else self._neuron_graph(*sel[1:])
        gw = GraphWidget(root, height=460, recompute=True)  # a click asks for this sample's gradients
        gw.observe(lambda _change: self.refresh(), names="last_nudge")
        head = ipywidgets.HTML(f"<b>Scalar graph of {html.escape(title)}</b>: nudge a weight to see "
                               f"the playground follow")
        self.graph_widget = gw
        self.inspector.children = (head, gw)
        self._status()
        return gw

    # ---- to the page ----------------------------------------------------------------------------

    def _publish(self, data=False):
        tr = self._trainer
        v = self.view
        with v.hold_sync():
            v.config = dict(tr.config)
            if data:
                d = tr.data
                v._points = {
                    "extent": list(d.extent), "grid": tr.grid,
                    "train": _flat(d.X_train, d.y_train), "test": _flat(d.X_test, d.y_test),
                }
            w = tr.weights()
            v._net = {"sizes": [2] + tr.config["hidden"] + [1],
                      "w": [[_r(x) for row in ws for x in row] for ws, _ in w],
                      "b": [[_r(x) for x in bs] for _, bs in w]}
            v._maps = quantize(tr.heatmaps())
            h = tr.history
            keep = np.unique(np.linspace(0, len(h["step"]) - 1, min(len(h["step"]), CURVE_POINTS)).astype(int)) \
                if h["step"] else []
            v._curve = {k: [_r(h[k][i]) for i in keep] for k in ("step", "train", "test")}
            self._status()

    def _status(self):
        tr = self._trainer
        acc = tr.accuracy()
        h = tr.history
        sel = self.selected
        self.view._status = {
            "step": tr.steps, "tick": self._tick, "playing": self._playing,
            "train_loss": _r(h["train"][-1]) if h["train"] else None,
            "test_loss": _r(h["test"][-1]) if h["test"] else None,
            "train_acc": _r(acc[0]), "test_acc": _r(acc[1]),
            "selected": list(sel) if sel else None,
        }

    # ---- from the page ----------------------------------------------------------------------------

    def _on_msg(self, _view, content, _buffers):
        if not isinstance(content, dict):
            self.view.error = (f"ValueError: a message from the page must be an object with a type, got "
                               f"{type(content).__name__} {_short(content)}")
            return
        kind = content.get("type")
        try:
            if kind == "tick":
                self._playing = True
                self._tick = int(content.get("tick", 0))
                # train for what the frame leaves after publishing (as long as the last one took),
                # so a slow machine trains less per frame but still repaints 10+ times a second
                budget = max(MIN_TRAIN_SECONDS, FRAME_SECONDS - self._publish_s)
                self._trainer.step(10**9, budget=budget)
                t0 = time.perf_counter()
                self._publish()
                self._publish_s = time.perf_counter() - t0
            elif kind == "play":
                self._playing = True
                self._reopen()
            elif kind == "pause":
                self._playing = False
                self._reopen()
            elif kind == "step":
                self.step(_page_steps(content.get("n", 1)))
            elif kind == "reset":
                self._playing = False
                self.reset()
            elif kind == "config":
                key = str(content.get("key"))
                value = content.get("value")
                if key == "hidden" and isinstance(value, str):
                    value = _parse_hidden(value)
                self.configure(**{key: value})
            elif kind == "select":
                if content.get("what") == "neuron":
                    self.select_neuron(int(content["layer"]), int(content["index"]))
                else:
                    self.select_sample(int(content["index"]), str(content.get("split", "train")))
            elif kind == "compare":
                try:
                    self.compare()
                except ImportError as e:
                    self.view._report = {"ok": False, "text": str(e), "step": self.steps}
            self.view.error = ""
        except Exception as e:  # shown in the page; the state is as it was
            self.view.error = f"{type(e).__name__}: {e}"
            self.view.config = dict(self._trainer.config)


PAGE_MAX_STEPS = 1000  # steps one page message may ask for: each answers within a few seconds


def _page_steps(n):
    """The step count of a page message: an int in 1..PAGE_MAX_STEPS (the page's button sends 1).
    A bigger one would pin the kernel for minutes; train longer from Python, ``p.step(n)``."""
    if isinstance(n, bool) or not isinstance(n, (int, float)) or not 1 <= n <= PAGE_MAX_STEPS or n != int(n):
        raise ValueError(f"a step message asks for 1 to {PAGE_MAX_STEPS:,} steps, got {_short(n)}; "
                         f"for more, call p.step(n) in Python (interrupt the kernel to stop it)")
    return int(n)


def _close(w):
    """Close widget ``w`` and the layout and style widgets it made (ipywidgets keeps them in its
    registry until closed)."""
    parts = [getattr(w, name, None) for name in ("layout", "style")]
    w.close()
    for part in parts:
        if isinstance(part, ipywidgets.Widget):
            part.close()


def _short(x, limit=60):
    r = repr(x)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def _parse_hidden(s):
    parts = [p.strip() for p in s.replace(";", ",").split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"hidden layers must be sizes separated by commas, e.g. 16, 16; got {s!r}") from None


def _r(x):
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def _flat(X, y):
    return [_r(v) for row in np.c_[X, y] for v in row]

