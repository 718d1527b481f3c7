"""The Playground as a self-contained page (``gradviz.to_html(pg)``, ``pg.save_html``), and the case
file that keeps the page's trainer in step with Python's.

The page (``static/playground_page.js``: the Playground's view with ``local_trainer.js``, a JS
stand-in for the kernel) starts from this playground's exact state (points, weights, step and loss
history) and trains on in the reader's browser: play, step, reset and every setting work with no
kernel. A dataset or seed changed in the page is drawn by the page's own generator (not numpy's);
going back to the saved settings gives back the saved points and starting weights.

``python -m gradviz.cases playground > js/test/playground_cases.json`` writes a few SGD steps
from given weights and points (losses, grads, new weights, heatmap bytes), made by ``Trainer``;
the JS tests check ``local_trainer.js`` against them.
"""
from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import numpy as np

from ..draw.theme import constants as theme_constants

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["standalone_page", "cases", "case_file_text"]

NOTE = ("A standalone gradviz playground: the network trains in your browser (the page's own "
        "forward, backward and SGD, with the engine's formulas), with no Python, no kernel and no "
        "network. A point's or a neuron's scalar graph and the PyTorch check need Python.")


def _f8(a) -> bytes:
    return np.asarray(a, dtype="<f8").tobytes()


def trainer_state(tr: Trainer) -> dict:
    """What the page's trainer starts from: settings, grid, points, weights (now and at the
    seeded start), step and loss history, numbers as float64 bytes (exact)."""
    d, h = tr.data, tr.history
    return {
        "config": dict(tr.config), "grid": tr.grid, "steps": tr.steps, "extent": list(d.extent),
        "X_train": _f8(d.X_train.ravel()), "y_train": _f8(d.y_train),
        "X_test": _f8(d.X_test.ravel()), "y_test": _f8(d.y_test),
        "params": _f8(tr.param_data()), "init": _f8(tr.initial_param_data()),
        "history": {"step": list(h["step"]), "train": _f8(h["train"]), "test": _f8(h["test"])},
    }


def standalone_page(tr: Trainer) -> dict:
    """The parts of a Playground's page for ``to_html`` (from its trainer ``tr``): name, payload,
    bundle, CSS and note."""
    c = tr.config
    name = f"playground, {c['dataset']}, MLP 2-{'-'.join(map(str, c['hidden']))}-1"
    return {"name": name, "payload": {"constants": theme_constants(), "trainer": trainer_state(tr)},
            "bundle": "playground_page.js", "css": "playground.css", "note": NOTE}


# ---- the case file --------------------------------------------------------------------------------

# name, settings, grid, steps, batches (None: full batch; else a batch's indices for each step)
_CASES = (
    ("moons relu 2-16-16-1, full batch", dict(dataset="moons", n=30, hidden=[16, 16], activation="relu",
                                              lr=0.1, l2=1e-4, seed=3), 10, 3, None),
    ("circles tanh 2-5-1, minibatches of 7", dict(dataset="circles", n=24, hidden=[5], activation="tanh",
                                                  lr=0.3, l2=1e-3, batch_size=7, seed=5), 8, 3,
     [[0, 2, 3, 7, 11, 12, 17], [1, 4, 5, 6, 9, 15, 18], [0, 1, 8, 10, 13, 14, 16]]),
    ("spiral sigmoid 2-4-4-1, full batch, no test points", dict(dataset="spiral", n=20, hidden=[4, 4],
                                                                activation="sigmoid", lr=0.5, l2=0.0,
                                                                test_fraction=0.0, seed=7), 6, 2, None),
)


def _case(name, settings, grid, n_steps, batches):
    from .trainer import Trainer, loss_graph, quantize
    tr = Trainer(grid=grid, **settings)
    start = trainer_state(tr)
    d, l2 = tr.data, tr.config["l2"]
    steps = []
    for k in range(n_steps):
        idx = np.arange(len(d.y_train)) if batches is None else np.array(batches[k])
        loss = loss_graph(tr.model, d.X_train[idx].tolist(), d.y_train[idx].tolist(), l2).data
        tr._batch = lambda idx=idx: idx  # this step's batch, not the seeded generator's
        tr.step(1)
        steps.append({"loss": loss, "grad": [p.grad for p in tr.params], "params": tr.param_data().tolist()})
    h = tr.history
    return {
        "name": name, "start": {k: base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v
                                for k, v in start.items() if k != "history"},
        "history0": {"step": start["history"]["step"], "train": h["train"][:1], "test": _nan(h["test"][:1])},
        "batches": batches, "steps": steps,
        "history": {"step": list(h["step"]), "train": _nan(h["train"]), "test": _nan(h["test"])},
        "accuracy": _nan(list(tr.accuracy())),
        "maps": base64.b64encode(quantize(tr.heatmaps())).decode("ascii"),
    }


def _nan(xs):
    return [None if x != x else float(x) for x in xs]


def cases() -> list:
    """The page trainer's cases: see the module docstring."""
    return [_case(*c) for c in _CASES]


def case_file_text() -> str:
    """``js/test/playground_cases.json`` as it should be now."""
    return "[\n" + ",\n".join(json.dumps(c) for c in cases()) + "\n]\n"

