"""Toy 2-D classification datasets for the playground: moons, circles, xor, spiral, gaussians.

Each is made by ``make_dataset(name, n, noise, test_fraction, seed)``: ``n`` points in the plane with
labels -1 and +1 (micrograd's SVM convention), Gaussian ``noise`` added to the coordinates, and a
seeded split into train and test points. The same arguments always give the same numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

__all__ = ["DATASETS", "Dataset", "make_dataset"]


def _moons(rng, n):
    n_a = n // 2
    t_a = np.linspace(0.0, math.pi, n_a)
    t_b = np.linspace(0.0, math.pi, n - n_a)
    X = np.concatenate([np.c_[np.cos(t_a), np.sin(t_a)],
                        np.c_[1.0 - np.cos(t_b), 0.5 - np.sin(t_b)]])
    return X, np.r_[-np.ones(n_a), np.ones(n - n_a)]


def _circles(rng, n):
    n_a = n // 2
    t = rng.uniform(0.0, 2 * math.pi, n)
    r = np.r_[np.full(n_a, 1.0), np.full(n - n_a, 0.45)]
    return np.c_[r * np.cos(t), r * np.sin(t)], np.r_[-np.ones(n_a), np.ones(n - n_a)]


def _xor(rng, n):
    X = rng.uniform(-1.0, 1.0, (n, 2))
    X += np.sign(X) * 0.05  # a small margin around the axes, as in TF Playground
    return X, np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)


def _spiral(rng, n):
    n_a = n // 2
    out = []
    for k, m in enumerate((n_a, n - n_a)):
        r = np.linspace(0.05, 1.0, m)
        t = 1.75 * 2 * math.pi * r + k * math.pi
        out.append(np.c_[r * np.sin(t), r * np.cos(t)])
    return np.concatenate(out), np.r_[-np.ones(n_a), np.ones(n - n_a)]


def _gaussians(rng, n):
    n_a = n // 2
    X = np.concatenate([rng.normal(0.0, 0.25, (n_a, 2)) + [-0.6, -0.6],
                        rng.normal(0.0, 0.25, (n - n_a, 2)) + [0.6, 0.6]])
    return X, np.r_[-np.ones(n_a), np.ones(n - n_a)]


DATASETS = {"moons": _moons, "circles": _circles, "xor": _xor, "spiral": _spiral, "gaussians": _gaussians}


@dataclass(frozen=True)
class Dataset:
    """Points ``X_train`` (m, 2), labels ``y_train`` (m,) in {-1, +1}, the same for test, and
    ``extent`` (xmin, xmax, ymin, ymax): a square around every point, the plane the heatmaps cover."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    extent: tuple

    def __repr__(self):
        return f"<Dataset {self.name}: {len(self.y_train)} train, {len(self.y_test)} test>"


def make_dataset(name="moons", n=100, noise=0.1, test_fraction=0.2, seed=0):
    """``n`` points of dataset ``name`` with Gaussian ``noise``; a seeded ``test_fraction`` is held out."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 4 <= n <= 100_000:
        raise ValueError(f"n must be an int between 4 and 100000, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, Real) or not 0 <= noise <= 10:
        raise ValueError(f"noise must be a number between 0 and 10, got {noise!r}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, Real) or not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must be a number in [0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    X, y = DATASETS[name](rng, int(n))
    X = X + rng.normal(0.0, float(noise), X.shape)
    order = rng.permutation(len(y))
    n_test = int(round(test_fraction * len(y)))
    if len(y) - n_test < 2:
        raise ValueError(f"test_fraction {test_fraction} leaves fewer than 2 training points of {n}")
    test, train = order[:n_test], order[n_test:]
    lo, hi = X.min(axis=0), X.max(axis=0)
    centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2 * 1.15 + 0.05
    extent = tuple(round(float(v), 6) for v in (centre[0] - half, centre[0] + half,
                                                centre[1] - half, centre[1] + half))
    return Dataset(name, X[train], y[train], X[test], y[test], extent)
