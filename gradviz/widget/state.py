"""What an explorer page shows, built without a live widget: the graph and its replay tape, the
current values, the structure and the drawn view, as the synced traits a page reads.

``GraphWidget`` keeps one ``ExplorerState`` and publishes it; ``to_html`` builds one (or takes a
widget's) and inlines it. Neither needs the other.
"""
from __future__ import annotations

from numbers import Real
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from ..check import reference_check
from ..draw import grouping
from ..draw.first_view import STAGE_HEIGHTS, first_layout
from ..draw.layout import layout, short_label
from ..draw.placement import placed
from ..draw.tensor_text import has_cells, hover_lines, record_cells
from ..draw.theme import constants as theme_constants
from ..graph.trace import as_graph
from ..ops import ERROR_TEMPLATES
from ..replay.tape import Tape
from . import wire
from .overlays import COMPUTE, Overlays, check_overlay, source
from .steps import eager, steps_of

if TYPE_CHECKING:
    from ..graph.snapshot import Graph
    from ..graph.types import Collapsed, Root

__all__ = ["ExplorerState", "Page", "PageSource", "page", "NUDGEABLE", "RANKDIRS", "TURN_MAX"]

NUDGEABLE = ("input", "parameter")  # leaf kinds that get a slider and a number box in the page
READONLY_TENSORS = "read-only: this graph comes from {}, so it cannot be re-run here"  # PyTorch or JAX
NO_VALUES = "read-only: this graph has no live Values (it was loaded from JSON), so nothing can be re-run"
STALE_INSIDE = ("the leaves changed without a forward pass: the values inside are stale (shown as Python "
                "holds them); refresh(recompute=True) on this widget recomputes them, and a nudge here "
                "starts from the leaves")
MAX_ERROR = 600  # characters of an error shown in the page

# nodes: past this (standalone.MAX_PAGE_NODES, where a saved page keeps only the picture) the page
# names the hand-off to Model Explorer
HANDOFF_NODES = 200_000
# The synced traits a fresh page starts from, beside the structure, values and view.
RANKDIRS = ("LR", "TB", "RL", "BT")  # as Graphviz names them; "auto" picks LR or TB (draw.layout.orientation)
HEIGHTS = STAGE_HEIGHTS  # the default most pixels a drawing takes: a column needs more
TURN_MAX = 20_000  # values up to which a saved page carries its view laid out the other way too
OPEN_MAX = 2_000  # and a folded one, its view with every value drawn
TRAIT_DEFAULTS = {"_ack": 0, "error": "", "last_nudge": {}, "_stale": "", "_self_id": "", "nudges": 0,
                  "_ref_grad": b"", "_marks": {},
                  "_steps": {}, "backprop_step": -1, "paths_leaf": -1,
                  "overlay": "", "_overlay": {"compute": list(COMPUTE)}, "_focus": {}}


class Page(NamedTuple):
    """Everything a page of the explorer starts from: the synced ``traits`` (name -> value), the
    leaves' values a reset returns to (``init``, float64 by node id) and the ``graph``."""

    traits: dict
    init: np.ndarray
    graph: Graph
    turned: dict | None = None  # the view laid out the other way (a saved page's orientation switch)
    opened: dict | None = None  # a folded view's every value drawn, by rankdir (a saved page's expand)


class PageSource(Protocol):
    """What ``to_html`` saves as it is now (a ``GraphWidget``)."""

    def page(self) -> Page: ...


def check_height(height: object) -> int | None:
    """``height`` (pixels, or None: by orientation) as the widget takes it, or a ValueError naming the fix."""
    if height is not None and (isinstance(height, bool) or not isinstance(height, int) or height < 50):
        raise ValueError(f"height must be an int of pixels >= 50 (or None: 420, 640 top to bottom), got {height!r}")
    return height


def check_rankdir(rankdir: object) -> str:
    """``rankdir`` as the widget takes it ("auto" or one of RANKDIRS), or a ValueError naming the fix."""
    if rankdir != "auto" and rankdir not in RANKDIRS:
        raise ValueError(f"rankdir={rankdir!r}: use 'auto', 'LR' (left to right), 'TB' (top to bottom), 'RL' or 'BT'")
    return rankdir


def message(e: BaseException) -> str:
    """An exception as the page shows it: ``ValueError: math domain error``, cut at MAX_ERROR
    characters (an error can quote what the page sent)."""
    text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR - 1] + "…"


class ExplorerState:
    """The graph of ``x``, its replay ``tape`` (None when read-only), the current values ``cur``
    (data, grad), the leaves a reset returns to (``init``), and the folding of the drawn view."""

    def __init__(self, x: Root, collapsed: Collapsed = "auto", recompute: bool = False, rankdir: str = "auto") -> None:
        self.rankdir = check_rankdir(rankdir)  # "auto" until the first view picks one
        g = as_graph(x)
        self.tape = self.ref_tape = None
        self.readonly_reason = (READONLY_TENSORS.format("JAX" if g.source == "jax" else "PyTorch")
                                if g.source != "gradviz" else NO_VALUES)
        if g.source == "gradviz" and g.values is not None:
            try:
                self.tape = Tape(g)
            except ValueError as e:  # an op replay does not know (a custom op of another engine)
                self.readonly_reason = f"read-only: {e}"
            else:
                g = self.tape.graph
                if self.tape.own_closures:  # their closures are the rule; gradviz's is the reference
                    self.ref_tape = Tape(g, rules="reference")
        self.graph = g
        self.readonly = self.tape is None
        self.leaf = np.diff(np.asarray(g.child_ptr)) == 0
        self.controls = [i for i in np.flatnonzero(self.leaf).tolist() if g.kinds[i] in NUDGEABLE]
        self.error = ""
        self.inside_stale = False  # the values show intermediates that are not what the leaves give
        if self.readonly:
            self.cur = (np.array(g.data, dtype=np.float64), np.array(g.grad, dtype=np.float64))
        else:
            self.cur = None
            if recompute:
                try:
                    self.cur = self.run(None)
                except Exception as e:  # the graph's current values cannot be replayed: show as they are
                    self.error = message(e)
            if self.cur is None:  # shown as Python holds them: say if the inside is stale
                self.cur = self.read()
                self.inside_stale = self.stale_inside(self.cur[0])
        self.init = self.cur[0].copy()  # the leaves as last taken from Python: what reset() restores
        self.collapsed = collapsed
        self.expanded = set()

    def run(self, data):
        """Forward and backward from leaf ``data`` (None: the Values' own), written into the Values."""
        d, g = self.tape.run(write_back=True, data=data)
        return np.array(d, dtype=np.float64), np.array(g, dtype=np.float64)

    def stale_inside(self, d):
        """Whether the intermediates in ``d`` are not what its leaves give (a forward pass from
        them, written nowhere). False where nothing can re-run the graph."""
        if self.tape is None:
            return False
        try:
            fresh = self.tape.forward(d)
        except Exception:  # the leaves cannot be replayed (a domain error): nothing to compare with
            return False
        fresh = np.asarray(fresh, dtype=np.float64)
        return not ((fresh == d) | (np.isnan(fresh) & np.isnan(d))).all()

    def read(self):
        """data and grad of every node, exactly as the Values hold them now."""
        vals, n = self.graph.values, len(self.graph)
        try:
            return (np.fromiter(map(attrgetter("data"), vals), dtype=np.float64, count=n),
                    np.fromiter(map(attrgetter("grad"), vals), dtype=np.float64, count=n))
        except (TypeError, ValueError):
            bad = next(v for v in vals if not isinstance(v.data, Real) or not isinstance(v.grad, Real))
            raise TypeError(f"{bad!r} holds data {bad.data!r}, grad {bad.grad!r}: set them to floats") from None

    def structure(self) -> dict:
        """The ``_structure`` trait: the graph, sent once (see ``GraphWidget._structure``)."""
        g = self.graph
        n = len(g)
        ops = wire.coded(g.ops)
        return {
            "version": 2, "n": n, "root": n - 1, "source": g.source,
            "labels": wire.coded(g.labels), "ops": ops, "exponents": wire.exponents(ops),
            "kinds": wire.coded(g.kinds),
            "scopes": wire.coded_from_index(*grouping.scope_codes(g)), "controls": self.controls,
            "control_init": [wire.json_number(self.init[i]) for i in self.controls],
            "readonly": self.readonly_reason if self.readonly else "",
            # palette, fonts, character width (gradviz/draw/theme.py); the op table's error messages,
            # which the page's replay words as the kernel does (gradviz.ops)
            "constants": {**theme_constants(), "opErrors": ERROR_TEMPLATES},
            "backward": backward_marks(g),
            # "own": the Values' own closures are the backward rule, so the page's replay
            # (gradviz's formulas) steps aside and the kernel answers every change
            "rules": "own" if self.ref_tape is not None else "",
            **tensor_texts(g),
            "notice": handoff_notice(n),
        }

    def children(self) -> tuple[bytes, bytes]:
        """The ``_child_ptr`` and ``_child_idx`` traits (int32 bytes, CSR)."""
        g = self.graph
        return (np.asarray(g.child_ptr, dtype=np.int32).tobytes(),
                np.asarray(g.child_ids, dtype=np.int32).tobytes())

    def values(self) -> tuple[bytes, bytes]:
        """The ``_data`` and ``_grad`` traits: the current values as float64 bytes."""
        return wire.floats(self.cur[0]), wire.floats(self.cur[1])

    def reference(self):
        """gradviz's reference beside the Values' own rules (``check.reference_check`` of the
        current values), or None when the Values' grads are gradviz's own."""
        if self.ref_tape is None:
            return None
        return reference_check(self.graph, self.cur[0], self.cur[1], self.ref_tape)

    def reference_traits(self):
        """The ``_ref_grad`` and ``_marks`` traits, and the ReferenceCheck (or None)."""
        ref = self.reference()
        if ref is None:
            return b"", {}, None
        return (wire.floats(ref.grad), {"grad": ref.differs, "forward": [[i, why] for i, why in sorted(ref.forward.items())]},
                ref)

    def view(self, rankdir: str | None = None) -> dict:
        """The ``_view`` trait of the current folding (resolving ``"auto"`` into its group keys):
        boxes, op ellipses and edge routes, encoded by ``wire.encode_view``; laid out ``rankdir``
        (default: the state's). An "auto" folding or orientation is resolved on the first view
        (``draw.first_view.first_layout``: a captured model may open folded by module to fit)."""
        rd = rankdir or self.rankdir
        lay = first_layout(self.graph, self.collapsed, rd)  # a plain layout when nothing is "auto"
        if rankdir is None:
            self.rankdir = lay.rankdir
        self.collapsed = list(lay.view.collapsed)
        return self._encoded(lay, sorted(self.expanded))

    def _encoded(self, lay, expanded):
        p = placed(self.graph, lay)
        return wire.encode_view(self.graph, lay, p.place, p.edges, p.bent, expanded, short_label)

    def opened(self) -> dict | None:
        """The view with every value drawn, both ways (``{rankdir: view}``), which a saved page
        opens a folded group into (no Python there to open just one); None when no group is folded
        or past OPEN_MAX values."""
        if not self.collapsed or len(self.graph) > OPEN_MAX:
            return None
        return {rd: self._encoded(layout(self.graph, rankdir=rd), []) for rd in (self.rankdir, _turned(self.rankdir))}

    def traits(self, **settings: Any) -> dict:
        """Every synced trait of a fresh page: the structure, children, values and view, the
        defaults, then ``settings`` (``height``, ``show_grads``, ``local_replay``; a ``height`` of
        None is taken by orientation)."""
        data, grad = self.values()
        ptr, idx = self.children()
        ref_grad, marks, _ = self.reference_traits()
        steps = {"_steps": steps_of(self.graph)} if eager(self.graph) else {}  # as GraphWidget sends them
        view = self.view()
        settings["height"] = settings.get("height") or HEIGHTS[self.rankdir]
        return {**TRAIT_DEFAULTS, **steps, "error": self.error,
                "_stale": STALE_INSIDE if self.inside_stale else "", "_structure": self.structure(), "_child_ptr": ptr,
                "_child_idx": idx, "_data": data, "_grad": grad, "_ref_grad": ref_grad,
                "_marks": marks, "_view": view, "rankdir": self.rankdir,
                **settings}

    def turned(self) -> dict | None:
        """The current view laid out the other way (top to bottom <-> left to right), for a saved
        page; None above TURN_MAX values."""
        if len(self.graph) > TURN_MAX:
            return None
        return self.view(_turned(self.rankdir))


def _turned(rankdir):
    return "LR" if rankdir in ("TB", "BT") else "TB"


def page(x: Root, height: int | None = None, collapsed: Collapsed = "auto", show_grads: bool = True,
         local_replay: bool = True, recompute: bool = False, overlay: str | None = None,
         compare: Root | None = None, rankdir: str = "auto") -> Page:
    """The page of ``x`` as a new ``GraphWidget(x, ...)`` would start, without making one."""
    height = check_height(height)
    kind = check_overlay(overlay, compare)
    s = ExplorerState(source(x, compare), collapsed=collapsed, recompute=recompute, rankdir=rankdir)
    ovs = Overlays(s, x, kind, compare)
    traits = s.traits(height=height, show_grads=bool(show_grads), local_replay=bool(local_replay), **ovs.traits())
    return Page(traits, s.init, s.graph, s.turned(), s.opened())


def handoff_notice(n):
    """The page's notice for a graph past HANDOFF_NODES: Model Explorer draws such graphs lazily."""
    if n <= HANDOFF_NODES:
        return ""
    return (f"{n:,} nodes: past what a notebook page holds well. gradviz.to_model_explorer(x, "
            f"\"graph.json\") writes it (with values and grads) for Google's Model Explorer, which "
            f"lays out graphs this big lazily.")


def tensor_texts(g):
    """A PyTorch graph's record cells and hover lines (``draw.tensor_text``), which the page shows
    as they are: ``cells[i]`` = [shape, value, grad], ``tips[i]`` = lines of text. Empty otherwise."""
    if not has_cells(g):
        return {}
    return {"cells": [record_cells(g, i) for i in range(len(g))],
            "tips": [hover_lines(g, i) for i in range(len(g))]}


def backward_marks(g):
    """``[[id, "custom" | "none"], ...]``: the nodes whose gradient is not a built-in rule (trace's
    meta "backward"), which the page draws dashed and explains on hover."""
    meta = g.meta
    if meta and meta.count(meta[0]) == len(meta) and not meta[0]:  # no meta at all: a C-speed scan
        return []
    return [[i, m["backward"]] for i, m in enumerate(meta) if m and m.get("backward")]
