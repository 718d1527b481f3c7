"""Where the built front end lives: ``gradviz/static``, written by ``npm run build`` in ``js/``."""
from __future__ import annotations

import pathlib

STATIC = pathlib.Path(__file__).parent.parent / "static"  # gradviz/static, beside the subpackages


def bundle(name: str) -> tuple[pathlib.Path, pathlib.Path]:
    """The built ``<name>.js`` and ``<name>.css`` (an anywidget's ``_esm`` and ``_css``).

    Called when a widget module is imported, so a clone that never built the JS fails there with
    the command that fixes it, not later with a blank output in the notebook.
    """
    esm, css = STATIC / f"{name}.js", STATIC / f"{name}.css"
    if not esm.is_file() or not css.is_file():
        raise ImportError(f"the {name} bundle is missing from {STATIC}: build it with "
                          f"`cd js && npm ci && npm run build` (from a clone of gradviz), or reinstall gradviz")
    return esm, css
