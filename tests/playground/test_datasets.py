"""The playground's toy datasets: shapes, labels, seeded repeatability, split, clear errors."""
import numpy as np
import pytest

from gradviz.playground.datasets import DATASETS, make_dataset


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_dataset_shapes_labels_split(name):
    d = make_dataset(name, n=101, noise=0.1, test_fraction=0.25, seed=3)
    assert d.X_train.shape == (76, 2) and d.X_test.shape == (25, 2)
    assert set(np.unique(np.r_[d.y_train, d.y_test])) == {-1.0, 1.0}
    # both classes about equally often, as the generators make them
    assert abs(np.sum(np.r_[d.y_train, d.y_test] == 1) - 50.5) <= 20
    x0, x1, y0, y1 = d.extent
    X = np.r_[d.X_train, d.X_test]
    assert x0 < X[:, 0].min() and X[:, 0].max() < x1 and y0 < X[:, 1].min() and X[:, 1].max() < y1
    assert x1 - x0 == pytest.approx(y1 - y0)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_same_seed_same_points_other_seed_others(name):
    a, b = make_dataset(name, seed=7), make_dataset(name, seed=7)
    c = make_dataset(name, seed=8)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)


def test_noise_moves_points_and_zero_noise_is_the_clean_shape():
    clean = make_dataset("circles", n=40, noise=0.0, test_fraction=0.0)
    r = np.hypot(*clean.X_train.T)
    assert np.allclose(np.sort(np.unique(np.round(r, 9))), [0.45, 1.0])
    noisy = make_dataset("circles", n=40, noise=0.2, test_fraction=0.0)
    assert not np.allclose(np.hypot(*noisy.X_train.T), r)


def test_xor_labels_follow_quadrants_without_noise():
    d = make_dataset("xor", n=200, noise=0.0)
    X, y = d.X_train, d.y_train
    assert np.array_equal(y, np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0))


@pytest.mark.parametrize("kwargs, msg", [
    (dict(name="blobs"), "unknown dataset 'blobs'; choose one of moons"),
    (dict(n=2), "n must be an int between 4"),
    (dict(noise=-1), "noise must be a number between 0 and 10"),
    (dict(test_fraction=1.0), "test_fraction must be a number in [0, 1)"),
    (dict(seed=-1), "seed must be an int >= 0"),
    (dict(n=4, test_fraction=0.9), "leaves fewer than 2 training points"),
])
def test_bad_arguments_say_what_and_how(kwargs, msg):
    with pytest.raises(ValueError) as e:
        make_dataset(**kwargs)
    assert msg in str(e.value)
