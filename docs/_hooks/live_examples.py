"""An mkdocs hook: every ```python live block of a page becomes a kernel-free explorer.

The page's Python blocks run at build time, top to bottom in one namespace (the reader's order).
After a block whose fence says ``python live``, the value of its last line (a root Value, a Graph,
a GraphWidget or a Playground) is written with ``gradviz.to_html`` beside the page and shown inline
in an iframe under the code. Each embedded page carries the standalone page's Content-Security-
Policy, so nothing is loaded from outside. A block that raises fails the build.
"""
from __future__ import annotations

import ast
import contextlib
import html
import os
import re
import tempfile
from pathlib import PurePosixPath

FENCE = re.compile(r"^```python(?P<opts>[^\n]*)\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
HEIGHT = 560  # px: the iframe's height unless the fence says height=N
_pending: dict[str, str] = {}  # site-relative path -> page text, written after the build


def on_pre_build(config):
    _pending.clear()


def on_page_markdown(markdown, page, config, files):
    blocks = list(FENCE.finditer(markdown))
    if not any(_is_live(m) for m in blocks):
        return markdown
    ns: dict = {"__name__": "__docs__"}
    out, last, k = [], 0, 0
    with tempfile.TemporaryDirectory() as tmp, _cwd(tmp):
        for m in blocks:
            code = m.group("code")
            value = _run(code, ns, f"{page.file.src_uri}, python block at offset {m.start()}")
            out.append(markdown[last:m.start()])
            out.append(f"```python\n{code}```")  # the fence's options are the hook's, not the highlighter's
            last = m.end()
            if _is_live(m):
                k += 1
                out.append(_embed(page, value, k, _options(m)))
    out.append(markdown[last:])
    return "".join(out)


def on_post_build(config):
    for rel, text in _pending.items():
        dest = os.path.join(config["site_dir"], *PurePosixPath(rel).parts)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w", encoding="utf-8") as f:
            f.write(text)


def _is_live(m):
    return "live" in m.group("opts").split()


def _options(m):
    opts = dict(o.split("=", 1) for o in m.group("opts").split() if "=" in o)
    return {"height": int(opts.get("height", HEIGHT)), "title": opts.get("title", "").replace("_", " ")}


def _run(code, ns, where):
    """Run ``code`` in ``ns``; return the value of its last line if that line is an expression."""
    tree = ast.parse(code, where)
    tail = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, where, "exec"), ns)
    return eval(compile(ast.Expression(tail.value), where, "eval"), ns) if tail else None


def _embed(page, value, k, opts):
    import gradviz
    if value is None:
        raise ValueError(f"{page.file.src_uri}: a `python live` block must end with the Value, Graph, "
                         f"GraphWidget or Playground to show, as an expression on its last line")
    title = opts["title"] or f"{page.title or page.file.name}, example {k}"
    text = gradviz.to_html(value, title=title)
    name = f"live-{k}.html"
    folder = PurePosixPath(page.file.dest_uri).parent
    _pending[str(folder / name)] = text
    return (f'\n\n<iframe class="gv-live" src="{name}" title="{html.escape("live explorer: " + title)}" '
            f'style="width:100%;height:{opts["height"]}px;border:1px solid var(--md-default-fg-color--lightest);'
            f'border-radius:4px" loading="lazy"></iframe>\n'
            f'<p class="gv-live-note"><a href="{name}">Open this explorer on its own page</a>: nudge a leaf, '
            f'step, reset; it runs in your browser, no kernel.</p>\n')


@contextlib.contextmanager
def _cwd(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
