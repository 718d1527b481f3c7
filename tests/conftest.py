import os

import pytest
from hypothesis import HealthCheck, settings

from testenv import CHROMIUM_ARGS, CORE, IN_CI, chromium_path, need

# CI runs the property tests derandomized (the same examples every run, no example database kept
# between runs, no deadline on a loaded machine) and prints the blob that reproduces a failure.
# Locally the search stays random and remembers its failures in .hypothesis/.
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or
                      ("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev"))


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Playwright's sync API) for the page tests of one module. Where Chromium
    or Playwright is missing the tests are skipped with the reason, or fail under CI=true."""
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if not path:
        if IN_CI:
            pytest.fail("chromium and playwright are required in CI (apt-get install chromium)")
        pytest.skip("chromium or playwright missing: apt-get install chromium; pip install playwright")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def torch():
    t = need("torch", "cross-checks against PyTorch")
    t.set_default_dtype(t.float64)
    return t


def pytest_collection_modifyitems(config, items):
    """End-to-end browser tests run last: their session-wide Playwright (sync API) keeps an event
    loop running on the main thread until the session ends, which breaks asyncio.run() in the
    notebook tests and a second Playwright in the page tests if they come after. The core suite
    (``GRADVIZ_CORE=1``) leaves out what needs a browser, a notebook kernel or a build."""
    if CORE:
        keep = [it for it in items if not _needs_more_than_core(it)]
        config.hook.pytest_deselected(items=[it for it in items if it not in keep])
        items[:] = keep
    items.sort(key=lambda item: "/e2e/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("e2e/"))


@pytest.fixture(autouse=True)
def _registered_ops_stay_in_their_test():
    """Ops a test registers (gradviz.register_op, also in README examples) are forgotten after it."""
    from gradviz import ops
    before = dict(ops.CUSTOM)
    yield
    for name in set(ops.CUSTOM) | set(before):
        if ops.CUSTOM.get(name) is not before.get(name):
            ops.unregister_op(name)
            if name in before:
                ops.register_op(name, *before[name][1:])


def _needs_more_than_core(item):
    path = item.nodeid.replace("\\", "/")
    return ("/e2e/" in path or path.startswith("e2e/") or "test_notebooks.py" in path
            or "browser" in getattr(item, "fixturenames", ()) or item.get_closest_marker("browser")
            or item.get_closest_marker("slow"))
