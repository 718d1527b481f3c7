"""What the test environment offers, shared by the test modules (import as ``from testenv import ...``)."""
import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
# The core suite (``GRADVIZ_CORE=1``, what .ci/run runs on the other Pythons): no browser, no
# notebook kernels, and these optional packages absent on purpose, so tests needing them skip.
CORE = os.environ.get("GRADVIZ_CORE", "") == "1"
CORE_ABSENT = {"torch", "jax", "model_explorer", "mkdocs", "marimo", "hatchling"}


def need(module_name, why):
    """Import an optional module, or skip with a clear reason (fail instead under CI=true, unless
    the core suite leaves that module out on purpose)."""
    try:
        return __import__(module_name)
    except ImportError:
        if IN_CI and not (CORE and module_name in CORE_ABSENT):
            pytest.fail(f"{module_name} is required in CI ({why})")
        pytest.skip(f"{module_name} is not installed ({why}); pip install -e '.[dev,torch,export,jax,model-explorer]'")


# Headless, and quiet: no network of its own (updates, sync, QUIC), so pages load only what a test serves.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path():
    return shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def lecture_L():
    """The lecture's first graph, L = (a*b + c) * f = -8, with every value labelled:
    returns L and a dict of all seven values by label."""
    from gradviz import Value
    a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10.0, label="c")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"
    return L, dict(a=a, b=b, c=c, e=e, d=d, f=f, L=L)
