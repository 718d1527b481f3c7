"""gradviz.to_html / GraphWidget.save_html: one self-contained page, nudgeable without Python.

The page is opened from file:// in headless Chromium with every network request blocked (and
none may be attempted); it must draw, answer typed values, steps and resets with the page's own
replay, and agree with GraphWidget in Python. Screenshots go to tests/artifacts/standalone/."""
from __future__ import annotations

import json
import pathlib
import re

import pytest

from testenv import lecture_L, offline_pages

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "artifacts" / "standalone"
EVIL = "</script><script>__pwned=1</script><!--"  # 39 characters: the table shows it whole


def _state(text):
    m = re.search(r'<script type="application/json" id="gradviz-state">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def _fmt(x):
    return f"{x:.4f}"


# ---- the file ------------------------------------------------------------------------------------

def test_page_is_self_contained_and_escapes_what_it_inlines(tmp_path):
    import gradviz
    from gradviz import Value
    a = Value(2.0, label=EVIL)
    L = (a * 3.0).tanh(); L.label = "<b>&L</b>"
    text = gradviz.to_html(L, tmp_path / "p.html")
    assert (tmp_path / "p.html").read_text(encoding="utf-8") == text
    # exactly two script elements end: the state's and the bundle's
    assert text.lower().count("</script") == 2 and text.count("<!--") == 0
    assert "<title>gradviz: &lt;b&gt;&amp;L&lt;/b&gt;</title>" in text
    # nothing is loaded from anywhere: no src/href attributes, and a policy that forbids loading
    assert not re.search(r"\s(src|href)\s*=", text)
    assert "default-src 'none'" in text
    state = _state(text)["state"]
    labels = state["_structure"]["labels"]["table"]
    assert EVIL in labels  # the label survives, escaped, and decodes back exactly
    assert "_esm" not in state and "_css" not in state  # the bundle is inlined once, not in the state


def test_bundle_can_be_inlined():
    static = ROOT / "gradviz" / "static"
    js = (static / "standalone.js").read_text(encoding="utf-8").lower()
    assert "</script" not in js and "<!--" not in js
    assert "</style" not in (static / "widget.css").read_text(encoding="utf-8").lower()


def test_save_html_saves_the_widget_as_it_is_now(tmp_path):
    from gradviz.widget import GraphWidget
    L, v = lecture_L()
    w = GraphWidget(L, height=300)
    w.set("a", 2.5)
    text = w.save_html(tmp_path / "w.html")
    payload = _state(text)
    import base64

    import numpy as np
    data = np.frombuffer(base64.b64decode(payload["state"]["_data"]["$bytes"]), dtype="<f8")
    init = np.frombuffer(base64.b64decode(payload["init"]["$bytes"]), dtype="<f8")
    assert data[-1] == -5.0 and init[-1] == -8.0  # shown as now; reset goes back to construction
    assert payload["state"]["height"] == 300 and payload["state"]["last_nudge"]["after"] == -5.0
    assert v["a"].data == 2.5  # saving changes nothing


def test_options_and_errors(tmp_path, torch):
    import gradviz
    from gradviz.widget import GraphWidget
    L, _ = lecture_L()
    small = _state(gradviz.to_html(L, max_nodes=5))["state"]["_structure"]
    assert "a picture only" in small["readonly"] and "7 values" in small["readonly"]
    assert _state(gradviz.to_html(L))["state"]["_structure"]["readonly"] == ""
    with pytest.raises(ValueError, match="max_nodes"):
        gradviz.to_html(L, max_nodes=0)
    with pytest.raises(TypeError, match="GraphWidget already"):
        gradviz.to_html(GraphWidget(L), height=200)
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    G = gradviz.from_torch((x * x).sum(), params={"x": x})
    assert "PyTorch" in _state(gradviz.to_html(G))["state"]["_structure"]["readonly"]


# ---- in the browser ------------------------------------------------------------------------------

@pytest.fixture
def open_page(browser, request):
    """Open a saved page from file:// with the network cut, once the widget's root is ready (testenv.offline_pages)."""
    yield from offline_pages(browser, request, SHOTS, ".gradviz-root[data-gradviz-ready='1']", timeout=10_000, height=900)


def table(pg):
    rows = pg.get_by_role("table", name="gradviz values").locator("tbody tr")
    return {r[0]: r[1:] for r in rows.evaluate_all("rs => rs.map(r => [...r.children].map(c => c.textContent))")}


def test_lecture_page_from_file_without_network(open_page, tmp_path):
    import gradviz
    from gradviz.widget import GraphWidget
    L, v = lecture_L()
    L.backward()
    path = tmp_path / "lecture.html"
    gradviz.to_html(L, path)
    pg = open_page(path)
    assert "computed in your browser" in pg.get_by_role("note").inner_text()
    assert table(pg)["L"] == ["*", "-8.0000", "1.0000"]
    assert "data -8.0000" in pg.locator(".gv-svg text").all_text_contents()

    box = pg.get_by_role("spinbutton", name="a", exact=True)
    box.fill("2.5")
    box.press("Enter")
    pg.wait_for_function("() => [...document.querySelectorAll('tr')].some(r => r.textContent.startsWith('L*-5.0000'))", timeout=5000)
    t = table(pg)
    assert t["L"] == ["*", "-5.0000", "1.0000"] and t["a"][1:] == ["2.5000", "6.0000"]
    assert "data -5.0000" in pg.locator(".gv-svg text").all_text_contents()
    out = pg.get_by_role("table", name="last nudge").inner_text()
    assert "'a' = 2.5" in out and "3.000000" in out  # predicted (grad 6 x 0.5) and actual change
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "lecture-a-2.5.png"), full_page=True)

    # the same in Python, for step and reset
    w = GraphWidget(lecture_L()[0])
    w.set("a", 2.5)
    w.step(0.01)
    pg.get_by_role("button", name="Step along gradient").click()
    pg.wait_for_function("() => document.querySelector('.gradviz-root').dataset.nudgeCount === '2'", timeout=5000)
    t = table(pg)
    labels = w.graph.labels
    for i, lab in enumerate(labels):
        assert t[lab][1:] == [_fmt(w.data[i]), _fmt(w.grad[i])], lab
    assert float(box.input_value()) == w.data[labels.index("a")]
    pg.get_by_role("button", name="Reset").click()
    pg.wait_for_function("() => document.querySelector('.gradviz-root').dataset.nudgeCount === '3'", timeout=5000)
    assert table(pg)["L"][1] == "-8.0000" and box.input_value() == "2"
    assert L.data == -8.0 and v["a"].data == 2.0  # the page never touched Python


def test_page_shows_domain_errors_and_escaped_labels(open_page, tmp_path):
    import gradviz
    from gradviz import Value
    x = Value(2.0, label=EVIL)
    y = Value(1.0, label="y")
    out = (x.log() * y); out.label = "out"
    gradviz.to_html(out, tmp_path / "evil.html")
    pg = open_page(tmp_path / "evil.html")
    assert pg.evaluate("() => window.__pwned") is None
    assert EVIL in table(pg)
    box = pg.get_by_role("spinbutton", name=EVIL, exact=True)
    box.fill("-1")
    box.press("Enter")
    alert = pg.get_by_role("alert")
    alert.wait_for(state="visible", timeout=5000)
    assert "ValueError: log of a non-positive number" in alert.inner_text() and EVIL in alert.inner_text()
    assert table(pg)["out"][1] == _fmt(out.data)  # every value as it was


def test_a_power_graph_is_nudged_in_its_page_with_the_exponents_it_was_sent(open_page, tmp_path):
    """The page's engine takes each ``**k`` exponent from the saved structure's column (including a
    ``**-0.5``, and a domain error worded as the kernel's), and computes what the Tape computes."""
    import gradviz
    from gradviz import Value
    from gradviz.widget import GraphWidget
    x = Value(3.0, label="x")
    y = x ** 2 + x ** -0.5; y.label = "y"
    gradviz.to_html(y, tmp_path / "power.html")
    pg = open_page(tmp_path / "power.html")
    box = pg.get_by_role("spinbutton", name="x", exact=True)
    box.fill("4")
    box.press("Enter")
    pg.wait_for_function("() => document.querySelector('.gradviz-root').dataset.nudgeCount === '1'", timeout=5000)
    w = GraphWidget(y)
    w.set("x", 4.0)
    t = table(pg)
    assert t["y"][1:] == [_fmt(w.data[-1]), "1.0000"] and t["x"][1:] == [_fmt(4.0), _fmt(w.grad[0])]
    box.fill("0")
    box.press("Enter")
    alert = pg.get_by_role("alert")
    alert.wait_for(state="visible", timeout=5000)
    with pytest.raises(ZeroDivisionError) as e:
        w.set("x", 0.0)
    assert alert.inner_text() == f"ZeroDivisionError: {e.value}"
    assert table(pg)["y"][1] == _fmt(w.data[-1])


def test_picture_only_pages(open_page, tmp_path, torch):
    import gradviz
    L, _ = lecture_L()
    gradviz.to_html(L, tmp_path / "big.html", max_nodes=5)
    pg = open_page(tmp_path / "big.html")
    assert "a picture only: this graph has 7 values" in pg.get_by_role("region", name="leaf controls").inner_text()
    assert pg.get_by_role("spinbutton", name="a", exact=True).count() == 0
    assert pg.get_by_role("button", name="Step along gradient").is_disabled()
    assert table(pg)["L"][1] == "-8.0000"

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
    loss = net(torch.ones(3, 2)).pow(2).mean()
    loss.backward()
    G = gradviz.from_torch(loss, params=dict(net.named_parameters()))
    gradviz.to_html(G, tmp_path / "torch.html")
    pg = open_page(tmp_path / "torch.html", dark=True)
    assert "PyTorch" in pg.get_by_role("region", name="leaf controls").inner_text()
    assert pg.locator(".gradviz-root").get_attribute("data-theme") == "dark"
    assert pg.locator(".gv-svg text").filter(has_text="addmm").count() >= 1


@pytest.mark.slow
def test_the_moons_loss_graph_is_nudgeable_in_its_page(open_page, tmp_path):
    """micrograd's demo loss (65,818 values) opens folded and answers a typed weight with the
    page's own replay, agreeing with GraphWidget in Python."""
    import gradviz
    from benchmarks import workload
    from gradviz.widget import GraphWidget
    X, y = workload.moons()
    loss = workload.gradviz_loss(workload.gradviz_model(), X, y)
    text = gradviz.to_html(loss, tmp_path / "moons.html")
    print(f"moons page: {len(text.encode()):,} bytes")
    pg = open_page(tmp_path / "moons.html")
    root = pg.locator(".gradviz-root")
    assert root.get_attribute("data-renderer") == "svg" and int(root.get_attribute("data-boxes")) < 200
    name = "layers.0.neurons.0.w.0"
    pg.get_by_role("searchbox", name="search").fill(name)
    box = pg.get_by_role("spinbutton", name=name, exact=True)
    box.fill("0.5")
    box.press("Enter")
    pg.wait_for_function("() => document.querySelector('.gradviz-root').dataset.nudgeCount === '1'", timeout=20_000)
    w = GraphWidget(loss)
    w.set(name, 0.5)
    out = pg.get_by_role("table", name="last nudge").inner_text()
    assert f"loss = {loss.data:.4f}" in out and f"'{name}' = 0.5" in out
    i = w.graph.labels.index(name)
    assert table(pg)[name][1:] == [_fmt(0.5), _fmt(w.grad[i])]
    print(f"moons page: a typed weight repainted in {root.get_attribute('data-last-nudge-ms')} ms")
