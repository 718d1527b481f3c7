"""to_model_explorer: the graph JSON (nodes, operand edges, namespaces from scopes, attributes) and
the node-data overlays, for gradviz graphs, captures, exported programs and JAX captures; and the
real Model Explorer (ai-edge-model-explorer), started headless, showing the nodes and the numbers
in Chromium (the ``browser`` tests; screenshots in tests/artifacts/)."""
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import gradviz
from gradviz import MLP, Value
from gradviz.model_explorer.write import overlay_names
from testenv import lecture_L, need

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def test_lecture_graph_and_overlays(tmp_path):
    L, v = lecture_L()
    L.backward()
    files = gradviz.to_model_explorer(L, tmp_path / "lecture.json")
    doc = _load(files.graph)
    (graph,) = doc["graphs"]
    g = gradviz.trace(L)
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert len(nodes) == 7 and [nodes[str(i)]["label"] for i in range(7)] == list(g.labels)
    for i, cs in enumerate(g.children):  # operands in order, as edges into the node
        edges = nodes[str(i)]["incomingEdges"]
        assert [(e["sourceNodeId"], e["targetNodeInputId"]) for e in edges] == [(str(c), str(k)) for k, c in enumerate(cs)]
    attrs = {a["key"]: a["value"] for a in nodes[str(g.labels.index("a"))]["attrs"]}
    assert attrs["data"] == "2" and attrs["grad"] == "6"
    assert set(files.overlays) == {"data", "grad"}
    grad = _load(files.overlays["grad"])
    assert grad["name"] == "grad"
    assert {k: r["value"] for k, r in grad["results"].items()} == {str(i): float(x) for i, x in enumerate(g.grad)}
    assert files.command.startswith("model-explorer ") and "--node_data_paths=" in files.command


def test_namespaces_fold_by_scope_and_nan_has_no_entry(tmp_path):
    model = MLP(2, [3, 1])
    out = model([1.0, -2.0]) + Value(math.nan, label="n") * 0
    files = gradviz.to_model_explorer(out, tmp_path / "mlp", overlays=["data"])
    g = gradviz.trace(out)
    nodes = _load(files.graph)["graphs"][0]["nodes"]
    assert [n["namespace"] for n in nodes] == ["/".join(p for p in s.split("/") if p) for s in g.scopes]
    assert any(n["namespace"].count("/") >= 2 for n in nodes)  # model / layer / neuron
    data = _load(files.overlays["data"])["results"]
    assert str(g.labels.index("n")) not in data and str(len(g) - 1) not in data  # NaN: no number
    assert files.graph.endswith("mlp.json") and list(files.overlays) == ["data"]


def test_user_strings_survive_as_text(tmp_path):
    evil = '</script><img src=x onerror=alert(1)>"\\'
    a = Value(1.0, label=evil)
    b = a * 2.0
    files = gradviz.to_model_explorer(b, str(tmp_path / "evil.json"), name=evil)
    doc = _load(files.graph)
    assert doc["label"] == evil and doc["graphs"][0]["nodes"][0]["label"] == evil


def test_bad_input(tmp_path):
    L, _ = lecture_L()
    with pytest.raises(ValueError, match="unknown overlay 'value.norm'.*offers data, grad"):
        gradviz.to_model_explorer(L, tmp_path / "x.json", overlays=["value.norm"])
    with pytest.raises(TypeError, match="to_model_explorer takes a root Value"):
        gradviz.to_model_explorer([1, 2], tmp_path / "x.json")


def test_exported_program_capture_and_jax(tmp_path, torch):
    import torch_models as tm
    torch.manual_seed(0)
    model = tm.SmallCNN(classes=3)
    x = torch.randn(2, 1, 28, 28)
    ep = torch.export.export(model, (x,))
    files = gradviz.to_model_explorer(ep, tmp_path / "cnn.json", loss=lambda o: o.square().mean())
    nodes = _load(files.graph)["graphs"][0]["nodes"]
    assert {"SmallCNN#1/features/0", "SmallCNN#1/classifier"} <= {n["namespace"] for n in nodes}
    conv = next(n for n in nodes if n["label"] == "conv2d")
    assert conv["outputsMetadata"][0]["attrs"][0] == {"key": "shape", "value": "2×8×28×28"}
    g = gradviz.from_torch(ep, loss=lambda o: o.square().mean())
    norms = _load(files.overlays["grad.norm"])["results"]
    assert norms[conv["id"]]["value"] == pytest.approx(g.meta[int(conv["id"])]["grad"]["norm"], rel=1e-12)
    assert set(files.overlays) == {"value.mean", "value.norm", "grad.norm"}
    assert "grad.std" in overlay_names(g)
    with gradviz.capture_torch(model) as cap:
        model(x).sum().backward()
    cfiles = gradviz.to_model_explorer(cap, tmp_path / "cap.json")
    assert any(n["namespace"].startswith("SmallCNN#1/features") for n in _load(cfiles.graph)["graphs"][0]["nodes"])
    jax = need("jax", "capture_jax")
    jnp = jax.numpy
    jg = gradviz.capture_jax(lambda w, x: jnp.sum(jnp.tanh(x @ w)), jnp.ones((3, 2)), jnp.ones((4, 3)))
    jfiles = gradviz.to_model_explorer(jg, tmp_path / "jax.json", overlays=["grad.norm", "value.max"])
    jn = _load(jfiles.graph)["graphs"][0]["nodes"]
    assert [n["label"] for n in jn][:2] == ["w", "x"] and any(n["label"] == "tanh" for n in jn)
    assert _load(jfiles.overlays["value.max"])["results"][str(len(jg) - 1)]["value"] == pytest.approx(
        float(jnp.sum(jnp.tanh(jnp.ones((4, 3)) @ jnp.ones((3, 2))))), rel=1e-6)


# ---- the real Model Explorer, in Chromium ------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """``model-explorer graph.json --node_data_paths=... --no_open_in_browser`` on a free port."""

    def __init__(self, files):
        self.port = _free_port()
        self.log = ARTIFACTS / f"model_explorer-{self.port}.log"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "model_explorer", files.graph,
               "--node_data_paths=" + ",".join(files.overlays.values()),
               "--no_open_in_browser", "--host", "127.0.0.1", "--port", str(self.port)]
        self._out = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.url = None
        deadline = time.time() + 120
        while time.time() < deadline:
            assert self.proc.poll() is None, f"model-explorer exited: {self.log.read_text()}"
            text = self.log.read_text()
            if "Starting Model Explorer server at:" in text:
                self.url = text.split("server at:\n", 1)[1].split("\n", 1)[0].strip()
                if self.url:
                    break
            time.sleep(0.3)
        assert self.url, f"model-explorer did not start: {self.log.read_text()}"
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/check_health", timeout=10) as r:
            assert r.read() == b"model_explorer_ok"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()


def _open(browser, files, shot):
    need("model_explorer", "the Model Explorer browser tests (pip install ai-edge-model-explorer)")
    server = _Server(files)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url)
        # the side panel's three tables (aggregated stats, root-level nodes, node data) are filled
        page.wait_for_function("() => document.querySelectorAll('table').length >= 3 && "
                               "document.querySelectorAll('table td').length > 8", timeout=60_000)
        page.wait_for_timeout(1500)  # the WebGL scene paints after the panels
        page.screenshot(path=str(ARTIFACTS / shot))
        return page, server, errors
    except Exception:
        page.screenshot(path=str(ARTIFACTS / ("FAILED-" + shot)))
        server.stop()
        raise


def _table_rows(page, header):
    """The rows of the side-panel table whose header row mentions ``header`` ("Sum %": the
    root-level nodes; "" the last table, "Node data"): [index, node label, overlay values...]."""
    return page.evaluate("""(header) => {
        const tables = [...document.querySelectorAll('table')]
            .filter(t => (t.querySelector('tr') || {innerText: ''}).innerText.includes(header));
        const t = tables[tables.length - 1];
        return [...t.querySelectorAll('tr')].map(r => [...r.querySelectorAll('td')].map(c => c.innerText.trim()))
            .filter(r => r.length);
    }""", header)


def _layers(scopes):
    """How many layers Model Explorer makes of these namespaces: those holding two or more things
    (nodes or inner layers); a module with one node (a ReLU) is drawn as that node."""
    prefixes = {"/".join(s.split("/")[:k]) for s in scopes if s for k in range(1, s.count("/") + 2)}
    count = 0
    for p in prefixes:
        inner = {q for q in prefixes if q.startswith(p + "/") and "/" not in q[len(p) + 1:]}
        count += sum(s == p for s in scopes) + len(inner) >= 2
    return count


def _graph_info(page):
    """GRAPH INFO's numbers: {"op node count": ..., "layer count": ...}."""
    t = page.inner_text("body")
    info = t[t.index("GRAPH INFO"):t.index("NODE DATA PROVIDERS")].split()
    return {"op node count": int(info[info.index("op") + 3]), "layer count": int(info[info.index("layer") + 2])}


@pytest.mark.browser
def test_model_explorer_shows_the_lecture_graph_and_its_numbers(browser, tmp_path):
    L, v = lecture_L()
    L.backward()
    files = gradviz.to_model_explorer(L, tmp_path / "lecture.json")
    page, server, errors = _open(browser, files, "model_explorer-lecture.png")
    try:
        assert _graph_info(page) == {"op node count": 7, "layer count": 0}
        rows = {r[1]: r[2:] for r in _table_rows(page, "") if len(r) >= 4}
        # every node, with gradviz's data and grad (the lecture's numbers)
        assert rows == {"a": ["2", "6"], "b": ["-3", "-4"], "e": ["-6", "-2"], "c": ["10", "-2"],
                        "d": ["4", "-2"], "f": ["-2", "4"], "L": ["-8", "1"]}, rows
        assert not errors, errors
    finally:
        page.close()
        server.stop()


@pytest.mark.browser
def test_model_explorer_folds_an_exported_cnn_by_module(browser, tmp_path, torch):
    import torch_models as tm
    torch.manual_seed(0)
    model = tm.SmallCNN(classes=3)
    ep = torch.export.export(model, (torch.randn(2, 1, 28, 28),))
    files = gradviz.to_model_explorer(ep, tmp_path / "cnn.json", loss=lambda o: o.square().mean())
    g = gradviz.from_torch(ep, loss=lambda o: o.square().mean())
    page, server, errors = _open(browser, files, "model_explorer-cnn.png")
    try:
        assert _graph_info(page) == {"op node count": len(g), "layer count": _layers(g.scopes)}
        # folded: the root level holds the model's layer and what sits outside it (input, loss)
        assert sorted(r[1] for r in _table_rows(page, "Sum %")) == ["SmallCNN#1", "loss", "x"]
        rows = {r[1]: r[2:] for r in _table_rows(page, "")}
        assert float(rows["loss"][0]) == pytest.approx(g.data[-1], rel=1e-6)  # value.mean
        conv = g.labels.index("conv2d")
        assert float(rows["conv2d"][2]) == pytest.approx(g.meta[conv]["grad"]["norm"], rel=1e-6)
        assert rows["features.1.running_mean"][2] == "-"  # a buffer: no gradient, no number
        page.get_by_text("unfold_more_double").click()  # "expand all layers"
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / "model_explorer-cnn-expanded.png"))
        assert not errors, errors
    finally:
        page.close()
        server.stop()



def test_the_widget_names_the_hand_off_past_its_size(monkeypatch):
    from gradviz.widget import state
    L, _ = lecture_L()
    assert gradviz.GraphWidget(L)._structure["notice"] == ""
    monkeypatch.setattr(state, "HANDOFF_NODES", 5)
    note = gradviz.GraphWidget(L)._structure["notice"]
    assert note.startswith("7 nodes:") and 'gradviz.to_model_explorer(x, "graph.json")' in note


@pytest.mark.browser
def test_the_page_shows_the_hand_off_notice(browser, tmp_path, monkeypatch):
    from gradviz.widget import state
    monkeypatch.setattr(state, "HANDOFF_NODES", 5)
    L, _ = lecture_L()
    L.backward()
    page_file = tmp_path / "page.html"
    gradviz.to_html(L, str(page_file))
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(page_file.as_uri())
        note = page.get_by_text("gradviz.to_model_explorer(x,")
        note.wait_for(timeout=30_000)
        assert note.inner_text().startswith("7 nodes:")
        assert page.get_by_role("spinbutton", name="a").is_visible()  # the controls are still there
        page.screenshot(path=str(ARTIFACTS / "model_explorer-notice.png"))
        assert not errors, errors
    finally:
        page.close()
