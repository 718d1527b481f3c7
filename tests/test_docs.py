"""The docs site: every page's Python blocks run (in the reader's order, in a fresh interpreter),
the site builds with ``mkdocs build --strict``, and a built page's live example is nudged in
Chromium with no kernel and no network."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

from testenv import need

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# What a page's blocks import beyond the core (torch, jax, Model Explorer): a machine without them
# skips that page, as the core suite on the other Pythons does (CI=true fails instead, elsewhere).
OPTIONAL = {"torch": re.compile(r"torch"), "jax": re.compile(r"\bjax\b"),
            "model_explorer": re.compile(r"model_explorer")}
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts)
SHOTS = ROOT / "tests" / "artifacts" / "docs"


def _blocks(page):
    return FENCE.findall(page.read_text(encoding="utf-8"))


def test_the_site_has_pages_with_code_and_live_examples():
    assert (ROOT / "mkdocs.yml").is_file() and PAGES
    live = [p for p in PAGES if "```python live" in p.read_text(encoding="utf-8")]
    assert len(live) >= 4, [p.name for p in live]


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: str(p.relative_to(DOCS)))
def test_each_docs_page_runs_top_to_bottom(page, tmp_path):
    code = "\n\n".join(_blocks(page))
    for module, used in OPTIONAL.items():
        if used.search(code):
            need(module, f"the examples of {page.name}")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"{page.relative_to(ROOT)}: its python blocks fail in order:\n{r.stderr[-3000:]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    need("mkdocs", "the docs site; the docs extra: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    return out


def test_every_live_block_became_a_self_contained_page(site):
    pages = sorted(site.rglob("live-*.html"))
    assert len(pages) >= 4
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert "default-src 'none'" in text, p  # the standalone page's CSP: nothing from outside
        host = p.parent / "index.html"
        assert f'src="{p.name}"' in host.read_text(encoding="utf-8"), (p, host)


@pytest.mark.browser
def test_a_built_page_is_nudged_with_no_kernel(site, browser):
    page = site / "index.html"
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    ctx.set_offline(True)
    outside = []
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
              else (outside.append(route.request.url), route.abort()))
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(page.as_uri())
    frame = pg.frame_locator("iframe.gv-live").first
    frame.locator(".gradviz-root[data-gradviz-ready='1']").wait_for(timeout=15_000)
    rows = frame.get_by_role("table", name="gradviz values").locator("tbody tr")

    def row(label):
        cells = rows.evaluate_all("rs => rs.map(r => [...r.children].map(c => c.textContent))")
        return next(c[1:] for c in cells if c[0] == label)

    assert row("L") == ["*", "-8.0000", "1.0000"]
    box = frame.get_by_role("spinbutton", name="a", exact=True)
    box.fill("2.5")
    box.press("Enter")
    frame.locator(".gradviz-root[data-nudge-count='1']").wait_for(timeout=5000)
    assert row("L") == ["*", "-5.0000", "1.0000"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "home-nudged.png"), full_page=True)
    ctx.close()
    assert not outside, f"the docs page tried to load {outside}"
    assert not errors, errors


def test_the_reference_documents_every_public_name(site):
    import gradviz
    text = (site / "reference" / "index.html").read_text(encoding="utf-8")
    missing = [n for n in gradviz.__all__ if f'id="gradviz.{n}"' not in text]
    assert not missing, f"public names with no reference entry: {missing}"
