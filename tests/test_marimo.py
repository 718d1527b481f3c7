"""GraphWidget in marimo, end to end: marimo's own server (`marimo run`) and Chromium.

- The widget's theme follows marimo's (a `dark`/`light` class on <body>), not the OS setting:
  marimo dark on a light OS, and marimo light on a dark OS.
- A nudge in the page makes marimo re-run the cells that read the widget (the page raises the
  `nudges` trait after each answered change: a state update, which is what marimo reacts to).
Screenshots go to tests/artifacts/marimo/."""
from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

from testenv import need

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHOTS = ROOT / "tests" / "artifacts" / "marimo"
pytestmark = pytest.mark.slow

APP = textwrap.dedent('''
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import marimo as mo
        from gradviz import GraphWidget, Value
        a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10.0, label="c"); f = Value(-2.0, label="f")
        L = (a * b + c) * f; L.label = "L"
        w = mo.ui.anywidget(GraphWidget(L))
        w
        return L, a, mo, w


    @app.cell
    def _(L, a, mo, w):
        mo.md(f"python: L = {L.data:.4f}, a = {a.data:.4f}, nudges = {w.value['nudges']}")
        return
''')


class MarimoServer:
    """`marimo run app.py` on a free port of 127.0.0.1, with its own config folder (theme)."""

    def __init__(self, folder, theme):
        need("marimo", "the marimo tests")
        cfg = folder / "config" / "marimo"
        cfg.mkdir(parents=True)
        (cfg / "marimo.toml").write_text(f'[display]\ntheme = "{theme}"\n')
        (folder / "app.py").write_text(APP)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(folder / "config"),
               "MARIMO_SKIP_UPDATE_CHECK": "1"}
        self.log = open(folder / "server.log", "w")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "marimo", "run", "--headless", "--no-token", "--host", "127.0.0.1",
             "--port", str(self.port), "app.py"], cwd=folder, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/"
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"marimo exited with {self.proc.returncode}: {(folder / 'server.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url, timeout=2).read()
                break
            except OSError as e:
                if time.perf_counter() - t0 > 60:
                    self.stop()
                    raise RuntimeError(f"marimo did not answer within 60 s ({e})") from e
                time.sleep(0.2)
        self.startup_s = time.perf_counter() - t0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _open(browser, server, os_scheme, shot):
    ctx = browser.new_context(viewport={"width": 1300, "height": 1000}, color_scheme=os_scheme)
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
    t0 = time.perf_counter()
    pg.goto(server.url)
    root = pg.locator(".gradviz-root[data-gradviz-ready='1']")
    root.wait_for(timeout=60_000)
    print(f"marimo {shot}: server up {server.startup_s:.1f} s, widget drawn {time.perf_counter() - t0:.1f} s after load")
    return ctx, pg, root, errors


@pytest.mark.parametrize("theme,os_scheme", [("dark", "light"), ("light", "dark")])
def test_widget_theme_follows_marimo_not_the_os(browser, tmp_path, theme, os_scheme):
    server = MarimoServer(tmp_path, theme)
    try:
        ctx, pg, root, errors = _open(browser, server, os_scheme, f"{theme} on {os_scheme} OS")
        try:
            assert theme in pg.evaluate("document.body.className").split()
            assert root.get_attribute("data-theme") == theme
            bg = root.evaluate("e => getComputedStyle(e).backgroundColor")
            assert bg == ("rgb(13, 17, 23)" if theme == "dark" else "rgb(255, 255, 255)")
            assert pg.get_by_role("table", name="gradviz values").locator("tbody tr").count() == 7
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(SHOTS / f"theme-{theme}-on-{os_scheme}-os.png"), full_page=True)
            ctx.close()
        assert not errors, errors
    finally:
        server.stop()


def test_a_nudge_reruns_the_cells_that_read_the_widget(browser, tmp_path):
    server = MarimoServer(tmp_path, "dark")
    try:
        ctx, pg, root, errors = _open(browser, server, "light", "nudge")
        try:
            said = pg.get_by_text("python: L = ")
            said.wait_for(timeout=30_000)
            assert said.inner_text().strip() == "python: L = -8.0000, a = 2.0000, nudges = 0"
            box = pg.get_by_role("spinbutton", name="a", exact=True)
            box.fill("2.5")
            box.press("Enter")
            pg.get_by_text("python: L = -5.0000, a = 2.5000, nudges = 1").wait_for(timeout=30_000)
            pg.get_by_role("button", name="Step along gradient").click()
            pg.get_by_text("nudges = 2").wait_for(timeout=30_000)
            # a = 2.5 - 0.01 * 6 = 2.44; b = -3 - 0.01 * (-5) = -2.95, and so on: L = -4.70...
            assert "a = 2.4400" in said.inner_text()
            rows = pg.get_by_role("table", name="gradviz values").locator("tbody tr")
            table = {r[0]: r[1:] for r in rows.evaluate_all("rs => rs.map(r => [...r.children].map(c => c.textContent))")}
            assert f"python: L = {table['L'][1]}," in said.inner_text()
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(SHOTS / "nudge-reruns-cells.png"), full_page=True)
            ctx.close()
        assert not errors, errors
    finally:
        server.stop()
