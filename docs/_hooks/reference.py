"""An mkdocs hook: the reference page lists every public name of ``gradviz`` (its ``__all__``), each
rendered from its docstring by mkdocstrings, so a new public name can't be left out of the docs."""
from __future__ import annotations

MARK = "<!-- every public name -->"


def on_page_markdown(markdown, page, config, files):
    if MARK not in markdown:
        return markdown
    import gradviz
    entries = "\n\n".join(f"::: gradviz.{name}" for name in sorted(gradviz.__all__, key=str.lower))
    return markdown.replace(MARK, entries)
