"""What the test environment offers, shared by the test modules (import as ``from testenv import ...``)."""
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


def chromium_path():
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
