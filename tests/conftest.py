import pytest

from testenv import need


@pytest.fixture(scope="session")
def torch():
    t = need("torch", "cross-checks against PyTorch")
    t.set_default_dtype(t.float64)
    return t


def pytest_collection_modifyitems(config, items):
    """End-to-end browser tests run last: their session-wide Playwright (sync API) keeps an event
    loop running on the main thread until the session ends, which breaks asyncio.run() in the
    notebook tests and a second Playwright in the page tests if they come after."""
    items.sort(key=lambda item: "/e2e/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("e2e/"))
