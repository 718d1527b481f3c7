"""Fixtures for the end-to-end tests: one JupyterLab server and one Chromium per session.

Every test gets a fresh page; a screenshot of it is saved into tests/artifacts/e2e/ at the end of
the test (and a ``-FAILED`` one when it fails), and its path printed in the summary together with
the phase timings. Page errors fail the test, except Notebook 7's own two.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from jupyter_harness import CHROMIUM, REPO, JupyterServer, Notebook, allowed_page_error, launch_browser

ARTIFACTS = REPO / "tests" / "artifacts" / "e2e"
_TIMINGS: list[tuple[str, dict[str, float]]] = []
_SHOTS: list[Path] = []


def _require_browser():
    """Skip with the reason when the browser stack is missing; under CI=true, fail instead."""
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright python package is missing (pip install playwright)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI=true: {problem}", pytrace=False)
        pytest.skip(f"browser tests skipped: {problem}")


@pytest.fixture(scope="session")
def jupyter():
    _require_browser()
    server = JupyterServer().start()
    _TIMINGS.append(("session", {"server up": server.startup_s}))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_context(jupyter):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_browser(p)
        # One context: pages share the HTTP cache, so only the first page load pays for the bundles.
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        yield context
        context.close()
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")


class Session:
    """What a test drives: the page, its notebook, screenshots and timings."""

    def __init__(self, page, server: JupyterServer, slug: str):
        self.page, self.server, self.slug = page, server, slug
        self.page_errors: list[str] = []
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.notebook: Notebook | None = None
        self.timings: dict[str, float] = {}
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    def open(self, cells: list[str], flavor: str = "lab") -> Notebook:
        """Write ``cells`` as a notebook, open it in ``flavor`` and wait until its kernel is ready."""
        name = self.server.write_notebook(f"{self.slug}.ipynb", cells)
        self.notebook = Notebook(self.page, self.server, name, flavor).open()
        self.timings.update(self.notebook.timings)
        return self.notebook

    def artifact(self, name: str) -> Path:
        """A path in tests/artifacts/e2e/ for a file this test keeps (e.g. a download)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        return ARTIFACTS / f"{self.slug}-{name}"

    def shot(self, name: str = "", element=None) -> Path:
        """Save a screenshot of the page (or of ``element``, a locator) into tests/artifacts/e2e/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / (f"{self.slug}-{name}.png" if name else f"{self.slug}.png")
        if element is not None:
            element.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), full_page=True)
        _SHOTS.append(path)
        print(f"screenshot: {path}")
        return path

    def unexpected_page_errors(self) -> list[str]:
        flavor = self.notebook.flavor if self.notebook else "lab"
        return [e for e in self.page_errors if not allowed_page_error(flavor, e)]


@pytest.fixture
def e2e(request, jupyter, browser_context):
    page = browser_context.new_page()
    page.set_default_timeout(30_000)
    s = Session(page, jupyter, _slug(request.node.nodeid))
    for old in [*ARTIFACTS.glob(f"{s.slug}.png"), *ARTIFACTS.glob(f"{s.slug}-*")]:
        old.unlink()  # no stale screenshot (e.g. an old -FAILED one) next to this run's
    t0 = time.perf_counter()
    yield s
    try:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            s.shot("FAILED")
            log = s.artifact("FAILED-console.txt")
            log.write_text("\n".join(s.console + [f"pageerror: {e}" for e in s.page_errors]))
            print(f"console log: {log}")
        else:
            s.shot()
    finally:
        s.timings["test total"] = time.perf_counter() - t0
        _TIMINGS.append((s.slug, s.timings))
        errors = s.unexpected_page_errors()
        page.close()
        jupyter.shutdown_kernels()
    assert not errors, f"page errors: {errors}"


def pytest_terminal_summary(terminalreporter):
    if not _TIMINGS and not _SHOTS:
        return
    tr = terminalreporter
    tr.section("gradviz end-to-end: phase timings (s) and screenshots")
    for name, phases in _TIMINGS:
        tr.write_line(f"{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
    for path in _SHOTS:
        tr.write_line(f"screenshot: {path}")
