import pytest

from testenv import need


@pytest.fixture(scope="session")
def torch():
    t = need("torch", "cross-checks against PyTorch")
    t.set_default_dtype(t.float64)
    return t
