"""Drive a real JupyterLab / Notebook 7 server with Debian's Chromium through Playwright.

Shared by the end-to-end tests (tests/e2e/conftest.py) and the widget benchmark
(benchmarks/bench_widget.py), so both measure the same thing the same way. Plain module, no pytest.
The fixes for the pitfalls of driving Jupyter in Chromium (to be written up on the docs site: root, news toast, kernel-ready race,
restored tabs, page ahead of kernel) live here.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Notebook 7.6.5 raises these page errors of its own, even with no widget on the page.
NB7_OWN_PAGE_ERRORS = ("reading 'schema'", "Command 'filebrowser:open-path' not registered")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """A JupyterLab server on 127.0.0.1 with its own config/runtime/settings/workspaces dirs.

    Notebooks are written to ``self.root``; kernels import gradviz from this checkout (PYTHONPATH),
    so the tests need no ``pip install -e``. Notebook 7 is served by the same server.
    """

    def __init__(self, base: Path | None = None):
        self._tmp = None
        if base is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gradviz-e2e-")
            base = Path(self._tmp.name)
        self.base = Path(base)
        self.root = self.base / "notebooks"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = self.base / "jupyter.log"
        self.startup_s = float("nan")

    def start(self, timeout: float = 60.0) -> JupyterServer:
        dirs = {name: self.base / name for name in ("config", "runtime", "settings", "workspaces")}
        for d in [self.root, *dirs.values()]:
            d.mkdir(parents=True, exist_ok=True)
        notif = dirs["settings"] / "@jupyterlab" / "apputils-extension"
        notif.mkdir(parents=True, exist_ok=True)
        (notif / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(dirs["config"]),
            JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
            JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
            PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
        )
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            "--IdentityProvider.token=", "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",  # lets the fixtures shut kernels down over REST
            f"--ServerApp.root_dir={self.root}",
        ]
        t0 = time.perf_counter()
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.proc.returncode} before "
                                   f"answering; its log:\n{self.log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"jupyter lab did not answer /api/status within {timeout} s; "
                                   f"log: {self.log_path}")
            time.sleep(0.1)
        self.startup_s = time.perf_counter() - t0
        return self

    def api(self, method: str, path: str):
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Delete every session (and so its kernel): each test starts from a quiet machine."""
        try:
            for s in self.api("GET", "/api/sessions") or []:
                self.api("DELETE", f"/api/sessions/{s['id']}")
        except (urllib.error.URLError, OSError):
            pass

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write code cells as ``name`` (a python3 notebook) into the server's root; return name."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
        nbformat.write(nb, self.root / name)
        return name

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.shutdown_kernels()
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_log", None):
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


class Notebook:
    """One notebook open in the page, in JupyterLab (``flavor='lab'``) or Notebook 7 (``'nb7'``).

    Selectors are scoped to the visible notebook panel: JupyterLab may restore other tabs.
    """

    def __init__(self, page, server: JupyterServer, name: str, flavor: str = "lab"):
        if flavor not in ("lab", "nb7"):
            raise ValueError(f"flavor must be 'lab' or 'nb7', not {flavor!r}")
        self.page, self.server, self.name, self.flavor = page, server, name, flavor
        self.panel = page.locator(".jp-NotebookPanel:visible")
        self.timings: dict[str, float] = {}

    def open(self, timeout: float = 60_000) -> Notebook:
        t0 = time.perf_counter()
        if self.flavor == "lab":
            url = f"{self.server.url}/lab/workspaces/{uuid.uuid4().hex[:12]}/tree/{self.name}"
        else:
            url = f"{self.server.url}/notebooks/{self.name}"
        self.page.goto(url)
        self.panel.locator(".jp-Cell").first.wait_for(timeout=timeout)
        self.timings["page load"] = time.perf_counter() - t0
        self.wait_kernel_ready(timeout)
        self.timings["kernel ready"] = time.perf_counter() - t0 - self.timings["page load"]
        return self

    def wait_kernel_ready(self, timeout: float = 60_000) -> None:
        # "idle" alone shows before a kernel exists; the debugger button is enabled only once the
        # kernel is up (and supports debugging, which ipykernel does).
        page = self.page
        page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
            timeout=timeout)
        page.locator(".jp-DebuggerBugButton[aria-disabled='false']").first.wait_for(timeout=timeout)

    def cell(self, i: int):
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(i)

    def run_all(self) -> None:
        """Run > Run All Cells, through the menu bar as a user would."""
        page = self.page
        page.get_by_role("menuitem", name="Run", exact=True).first.click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).first.click()

    def execution_count(self, i: int) -> str:
        return self.cell(i).locator(".jp-InputPrompt").inner_text().strip()

    def wait_executed(self, i: int, timeout: float = 60_000) -> None:
        """Wait until cell i shows a finished execution count, e.g. ``[3]:``."""
        self.cell(i).locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for(
            timeout=timeout)

    def run_cell(self, i: int, timeout: float = 30_000) -> str:
        """Run cell i in place (Ctrl+Enter) and return its output text once it has a new count."""
        before = self.execution_count(i)
        cell = self.cell(i)
        cell.locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Control+Enter")
        deadline = time.monotonic() + timeout / 1000
        while True:
            now = self.execution_count(i)
            if re.fullmatch(r"\[\d+\]:?", now) and now != before:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell {i} did not re-run (prompt stayed {now!r})")
            time.sleep(0.05)
        return self.output_text(i)

    def output_text(self, i: int) -> str:
        out = self.cell(i).locator(".jp-OutputArea-output")
        return "\n".join(t.strip() for t in out.all_inner_texts())

    def rerun_until(self, i: int, agrees, tries: int = 20, interval: float = 0.3) -> str:
        """Re-run checking cell i until ``agrees(output_text)`` holds; the page can be ahead of
        the kernel (ipywidgets holds later updates until the kernel handled earlier ones)."""
        seen = []
        for _ in range(tries):
            text = self.run_cell(i)
            if agrees(text):
                return text
            seen.append(text)
            time.sleep(interval)
        raise AssertionError(f"the kernel never agreed after {tries} runs of cell {i}; "
                             f"last outputs: {seen[-3:]!r}")


def allowed_page_error(flavor: str, message: str) -> bool:
    return flavor == "nb7" and any(s in message for s in NB7_OWN_PAGE_ERRORS)
