"""The look of every gradviz picture, defined once: palettes, fonts and the character width.

``layout`` sizes records with ``CHAR_WIDTH``; ``render.to_svg`` paints with ``PALETTE["light"]``;
the widget, the standalone page and the playground get ``constants()`` once in their state, and
the page turns it into CSS variables (js/src/theme.js) and text sizes (js/src/scene.js). Nothing
else types a colour or a font size.
"""
from __future__ import annotations

__all__ = ["FONT_SIZE", "CHAR_WIDTH", "FIELD_PAD", "FONT_MONO", "FONT_SVG", "FONT_UI", "PALETTE", "KIND_STROKE", "SVG_INK", "OP_MARKS",
           "PLAYGROUND", "constants"]

FONT_SIZE = 12.0   # px: record and op text
CHAR_WIDTH = 7.2   # px per character at FONT_SIZE (0.6 em, true of common monospace fonts)
FIELD_PAD = 4.0    # px on each side of a record field's text
FONT_MONO = "ui-monospace, Menlo, Consolas, monospace"           # records, tooltips, number cells
FONT_SVG = "DejaVu Sans Mono, Menlo, Consolas, monospace"        # to_svg (files viewed anywhere)
FONT_UI = "system-ui, sans-serif"                                # toolbar and panels

# One entry per CSS variable of the page (--gv-<name>). bg, fg, muted, line, panel and error give
# way to the notebook's own colours (JupyterLab's --jp-*, VS Code's --vscode-*) where it has them.
PALETTE = {
    "light": {
        "bg": "#ffffff", "fg": "#1f2328", "muted": "#656d76", "line": "#8c959f", "panel": "#f6f8fa",
        "box": "#ffffff", "input": "#d8f3dc", "param": "#e7dcf7", "constant": "#eeeeee",
        "output": "#fff1c1", "group": "#dbeafe", "op": "#f3f4f6",
        "pos": "#1f6feb", "neg": "#d9480f", "zero": "#afb8c1", "nan": "#8c8c8c", "sel": "#bf3989",
        "error": "#cf222e", "custom": "#6d28d9", "nograd": "#dc2626",
    },
    "dark": {
        "bg": "#0d1117", "fg": "#e6edf3", "muted": "#8b949e", "line": "#6e7681", "panel": "#161b22",
        "box": "#1c2128", "input": "#1b4332", "param": "#3b2a5c", "constant": "#30363d",
        "output": "#5c4a12", "group": "#1e3a5f", "op": "#262c36",
        "pos": "#58a6ff", "neg": "#ff8b4d", "zero": "#484f58", "nan": "#8b8b8b", "sel": "#f778ba",
        "error": "#cf222e", "custom": "#b392f0", "nograd": "#ff7b72",
    },
}

# "custom" outlines the op of a custom op (its own _backward closure gives the gradient), "nograd"
# the op of a hand-built node that passes no gradient (not a gradviz op, no _backward); both dashed.

# What those marks mean, in to_svg's hover text and the page's tooltip and legend.
OP_MARKS = {
    "custom": "custom op: its own _backward closure gives the gradient",
    "none": "not a gradviz op and no _backward: passes no gradient",
}

# to_svg's record outlines per kind (stroke, stroke width, dash): a file has no hover or theme, so
# its outlines carry the kind as well as its fill.
KIND_STROKE = {
    "input": ("#2d6a4f", 1.2, ""),
    "parameter": ("#6d28d9", 1.2, ""),
    "constant": ("#6b7280", 1.0, "4 2"),
    "intermediate": ("#374151", 1.0, ""),
    "output": ("#a16207", 2.0, ""),
    "group": ("#1d4ed8", 1.6, ""),
}
SVG_INK = {"edge": "#4b5563", "text": "#111827"}  # to_svg's arrows and text

# The playground's own colours: heatmaps as in TF Playground (negative orange, zero light grey,
# positive blue, as RGB) and its report's good/bad colours.
PLAYGROUND = {"neg": [245, 147, 34], "zero": [232, 234, 235], "pos": [8, 119, 189],
              "ok": "#1a7f37", "okBg": "#e6f4ea", "bad": "#c62828", "badBg": "#fdecea"}


def constants():
    """What the page needs to draw like Python does: sent once, in the widget's ``_structure``
    (and the playground's ``_constants``). A fresh dict each call (callers may keep it)."""
    return {
        "palette": {mode: dict(p) for mode, p in PALETTE.items()},
        "charWidth": CHAR_WIDTH,
        "fontSize": FONT_SIZE,
        "fieldPad": FIELD_PAD,
        "fontMono": FONT_MONO,
        "fontUi": FONT_UI,
        "opMarks": dict(OP_MARKS),
        "playground": {k: list(v) if isinstance(v, list) else v for k, v in PLAYGROUND.items()},
    }
