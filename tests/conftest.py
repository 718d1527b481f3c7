import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(module_name, why):
    """Import an optional module, or skip with a clear reason (fail instead under CI=true)."""
    try:
        return __import__(module_name)
    except ImportError:
        if IN_CI:
            pytest.fail(f"{module_name} is required in CI ({why})")
        pytest.skip(f"{module_name} is not installed ({why}); pip install -e '.[dev,torch,export]'")


@pytest.fixture(scope="session")
def torch():
    t = need("torch", "cross-checks against PyTorch")
    t.set_default_dtype(t.float64)
    return t


def chromium_path():
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
