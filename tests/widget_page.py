"""Layer (c) harness: the widget's built ESM in a plain page, driven by a stand-in anywidget model
whose messages are answered by a real GraphWidget in this process (no Jupyter, no kernel)."""
from __future__ import annotations

import base64
import functools
import http.server
import json
import pathlib
import shutil
import tempfile
import threading

STATIC = pathlib.Path(__file__).resolve().parents[1] / "gradviz" / "static"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>gradviz widget page</title>
<link rel="stylesheet" href="widget.css"><style>body{margin:8px;font-family:sans-serif}</style></head>
<body class="%(body_class)s"><div id="out" style="width:%(width)spx"></div>
<script type="module">
import widget from "./widget.js";
const b64 = (s) => { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return new DataView(u.buffer); };
const decode = (st) => { const o = {}; for (const [k, v] of Object.entries(st)) o[k] = (v && v.__bytes__ !== undefined) ? b64(v.__bytes__) : v; return o; };
const state = decode(window.__initial);
const handlers = {};
window.__sent = []; window.__saved = 0;
const fire = (keys) => { for (const k of keys) for (const fn of (handlers["change:" + k] || []).slice()) fn(); };
const model = {
  get: (k) => state[k],
  set: (k, v) => { state[k] = v; window.__sets = (window.__sets || []).concat([[k, v]]); fire([k]); },
  on: (ev, fn) => { (handlers[ev] = handlers[ev] || []).push(fn); },
  off: (ev, fn) => { handlers[ev] = (handlers[ev] || []).filter((f) => f !== fn); },
  save_changes: () => { window.__saved++; },
  send: (msg) => { window.__sent.push(msg); },
};
window.__update = (patch) => { const p = decode(patch); Object.assign(state, p); fire(Object.keys(p)); };
window.__state = state;
widget.render({ model, el: document.getElementById("out") });
</script></body></html>"""


def encode_state(w, keys=None):
    """The widget's synced state as JSON-able dict; bytes as {"__bytes__": base64}."""
    st = w.get_state(keys)
    out = {}
    for k, v in st.items():
        if isinstance(v, (bytes, bytearray, memoryview)):
            out[k] = {"__bytes__": base64.b64encode(bytes(v)).decode()}
        else:
            out[k] = v
    return out


class Server:
    """http.server on 127.0.0.1 serving a temp folder with the bundle and a page."""

    def __init__(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="gradviz-page-"))
        for f in ("widget.js", "widget.css"):
            shutil.copy(STATIC / f, self.dir / f)
        handler = functools.partial(_Quiet, directory=str(self.dir))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def page(self, name, width=1100, body_class=""):
        (self.dir / name).write_text(PAGE % {"width": width, "body_class": body_class})
        return f"{self.url}/{name}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class WidgetPage:
    """A GraphWidget shown in a Playwright page; `pump()` answers the page's messages with it."""

    def __init__(self, page, server, widget, name="w.html", width=1100, body_class=""):
        self.page, self.w = page, widget
        self.sent = []
        url = server.page(name, width, body_class)
        page.add_init_script(f"window.__initial = {json.dumps(encode_state(widget))};")
        page.goto(url)
        page.wait_for_selector(".gradviz-root[data-gradviz-ready='1']", timeout=10_000)

    def pump(self, timeout=5.0):
        """Answer every message the page sent so far, the way the kernel would. Returns them."""
        msgs = self.page.evaluate("() => window.__sent.splice(0)")
        for m in msgs:
            changed = {}
            orig = self.w.send_state

            def capture(key=None, _orig=orig):
                keys = [key] if isinstance(key, str) else list(key or self.w.keys)
                changed.update(encode_state(self.w, keys))
            self.w.send_state = capture
            try:
                self.w._on_msg(self.w, m, [])
            finally:
                self.w.send_state = orig
            self.page.evaluate("(p) => window.__update(p)", changed)
            self.sent.append(m)
        return msgs

    def sync_from_python(self, keys):
        """Push traits changed by Python code (w.nudge(...)) to the page."""
        self.page.evaluate("(p) => window.__update(p)", encode_state(self.w, keys))
