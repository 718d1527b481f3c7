"""What the test environment offers, shared by the test modules (import as ``from testenv import ...``)."""
import os
import pathlib
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


def labelled_neuron():
    """The lecture's neuron, o = tanh(x1*w1 + x2*w2 + b) with b chosen so that o = 0.7071, every
    value labelled as the lecture draws it: returns o and a dict of its leaves, n and o by label."""
    from gradviz import Value
    x1 = Value(2.0, label="x1"); x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1"); w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"
    x2w2 = x2 * w2; x2w2.label = "x2*w2"
    s = x1w1 + x2w2; s.label = "x1*w1 + x2*w2"
    n = s + b; n.label = "n"
    o = n.tanh(); o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n, o=o)


def micrograd_readme_expression(V):
    """The expression of micrograd's README in Value class V: returns a, b, c, d, e, f and g
    (g = 24.7041; after g.backward(), a.grad = 138.8338 and b.grad = 645.5773)."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    return a, b, c, d, e, f, g


def overflow():
    """A graph whose forward overflows: big = x * 10 is inf for x = 1e308, and z = big - big is nan."""
    from gradviz import Value
    big = Value(1e308, label="x") * 10
    big.label = "big"
    z = big - big
    z.label = "z"
    return z


def offline_pages(browser, request, shots, ready, timeout, height):
    """What an ``open_page`` fixture yields: ``open_page(file, dark=False)`` opens a saved page from
    file:// with the network cut (every request but the file itself is aborted and recorded) and
    waits for the ``ready`` selector. At the end of the test each page opened is photographed into
    ``shots`` and the test fails if a page tried to load anything, or had an error."""
    opened = []

    def open_(file, dark=False):
        ctx = browser.new_context(viewport={"width": 1200, "height": height}, color_scheme="dark" if dark else "light")
        ctx.set_offline(True)
        pg = ctx.new_page()
        url = pathlib.Path(file).resolve().as_uri()
        attempted, errors = [], []

        def block(route):
            if route.request.url == url:
                return route.continue_()
            attempted.append(route.request.url)
            return route.abort()
        ctx.route("**/*", block)
        pg.on("request", lambda r: r.url != url and attempted.append(r.url))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
        pg.goto(url)
        pg.wait_for_selector(ready, timeout=timeout)
        opened.append((ctx, pg, attempted, errors))
        return pg

    yield open_
    shots.mkdir(parents=True, exist_ok=True)
    for k, (ctx, pg, attempted, errors) in enumerate(opened):
        pg.screenshot(path=str(shots / f"{request.node.name}{'-' + str(k) if k else ''}.png"), full_page=True)
        ctx.close()
        assert not attempted, f"the page tried to load {attempted}"
        assert not errors, errors
