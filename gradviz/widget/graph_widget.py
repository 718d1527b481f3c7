"""``GraphWidget``: the notebook explorer of a computation graph (anywidget).

The Values in Python are the truth; the widget is a view of them. Before every nudge, step or reset
it reads the leaves' current data from the Values, and a ``Tape`` re-runs forward and backward from
there and writes the results back, so no code path puts old numbers over what Python changed.
``refresh()`` re-reads every node as it is; widgets over the same Values follow each other's
changes; after each cell, a widget whose Values changed behind its back tells the page its picture
is stale. The page gets the structure once (JSON traits) and the values as float64 byte buffers;
it draws, and sends nudges back as messages. Every piece of state is a plain synced trait, so a
saved notebook or an exported HTML page shows the last picture without a kernel (and says so).
"""
from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import traitlets as t

from ..draw import grouping
from ..names import node_name, resolve_leaf, resolve_node
from . import overlays, wire
from .bundle import bundle
from .session import Session
from .state import HEIGHTS, RANKDIRS, ExplorerState, Page, check_height, check_rankdir, message
from .steps import BackpropView, eager

if TYPE_CHECKING:
    from ..graph.snapshot import Graph
    from ..graph.types import Collapsed, Leaf, PathLike, Root

__all__ = ["GraphWidget"]


class GraphWidget(Session, BackpropView, anywidget.AnyWidget):
    """Draw ``x`` (a root Value, or a Graph) and let the user nudge its leaves.

    ``height``: the most pixels the drawing takes (a short graph takes less; by default 420, or
    640 for a graph drawn top to bottom). ``rankdir``: ``"LR"`` (left to right, the lecture's),
    ``"TB"`` (top to bottom), or ``"auto"``: left to right when the whole graph fits a notebook's
    output readable that way, else top to bottom if that shows it bigger (long chains: most
    captured models); the page's toolbar switches it. ``collapsed``: ``"auto"`` folds big graphs by module scope
    (sample, layer, neuron) to a few hundred boxes; ``None`` draws every value; a list of scope
    prefixes folds exactly those. ``show_grads``: draw the grad cell of each record.
    ``local_replay``: on graphs of up to 2000 nodes the page also runs forward and backward itself
    (the engine's formulas) and repaints a nudge at once; the kernel's answer, authoritative,
    repaints again where it differs. ``False`` shows only the kernel's values.
    ``recompute``: by default the widget shows the Values exactly as they are (grads 0 before
    ``backward()``, grads set by hand as set): building a view changes no Value. ``True`` runs
    forward and backward once at construction, as ``w.recompute()`` does later.

    Values of another class with ``_backward`` closures (micrograd's, a learner's own): a nudge,
    Step and Recompute run *their* closures (``Tape(rules="own")``), and gradviz's reference
    gradient (its op table) is shown beside theirs (``reference``): nodes whose grad differs, or
    whose data disagrees with the op's forward, are marked in the drawing and the table.
    ``overlay="health"`` outlines what ``gradviz.health`` flags; ``compare=b`` colours each node by
    its relative change against ``b`` (``gradviz.diff``; a traced Graph ``x`` is then shown as it
    was traced, read-only). The page's Health and Diff buttons turn them on and off.
    """

    _esm, _css = bundle("widget")  # the built page; a missing build fails the import

    _structure = t.Dict().tag(sync=True)
    """The graph, sent once: ``n``, ``root``, ``source``, the string columns ``labels``, ``ops``,
    ``kinds``, ``scopes`` (``wire.coded``), the constant exponents of the ``**k`` nodes
    ``exponents`` (``wire.exponents``; since version 2: a state saved before has none, and its page
    leaves ``**k`` nodes to the kernel), the nudgeable leaves ``controls`` and their first
    values ``control_init``, the ``readonly`` reason (empty if nudgeable), and for a PyTorch
    graph the record ``cells`` and hover ``tips`` as Python wrote them."""

    _child_ptr = t.Bytes().tag(sync=True)
    """Children in CSR form, with ``_child_idx``: node i's operands are
    ``_child_idx[_child_ptr[i]:_child_ptr[i + 1]]`` (int32 bytes), in operand order."""

    _child_idx = t.Bytes().tag(sync=True)
    """The operand ids of every node, concatenated (int32 bytes); see ``_child_ptr``."""

    _data = t.Bytes().tag(sync=True)
    """Every node's data, float64 bytes by node id: exactly what the Values hold."""

    _grad = t.Bytes().tag(sync=True)
    """Every node's grad, float64 bytes by node id."""

    _view = t.Dict().tag(sync=True)
    """The drawn view: boxes, op ellipses, edges and bent routes of the current folding
    (``wire.encode_view``; ``drawing()`` decodes it)."""

    _ack = t.Int(0).tag(sync=True)
    """The ``req`` of the last page message answered; the page waits for it before sending the
    next change (sent even when equal to the last one)."""

    error = t.Unicode("").tag(sync=True)
    """The last change's error (e.g. ``ValueError: math domain error``), shown in the page; empty
    when it worked."""

    show_grads = t.Bool(True).tag(sync=True)
    """Draw each record's grad cell (the page's "Hide grads" button sets it too)."""

    last_nudge = t.Dict().tag(sync=True)
    """The last change: ``kind`` (set, nudge, step, reset, refresh, follow), ``what``, and the
    root's ``before``/``after`` with the ``predicted`` (grad x delta) and ``actual`` change
    (``wire.json_number`` numbers)."""

    height = t.Int(420).tag(sync=True)
    """The most pixels the drawing takes (a short graph takes less)."""

    rankdir = t.Unicode("LR").tag(sync=True)
    """How the drawing runs, as Graphviz names it: "LR" (left to right) or "TB" (top to bottom);
    "RL" and "BT" too. The page's orientation button sets it, and the view is laid out again."""

    local_replay = t.Bool(True).tag(sync=True)
    """On graphs of up to 2000 nodes the page also runs forward and backward itself and repaints
    a nudge before the kernel answers."""

    _stale = t.Unicode("").tag(sync=True)
    """Non-empty (the text to show) when the Values changed since this picture was sent."""

    _self_id = t.Unicode("").tag(sync=True)
    """The model id: lets the page ask the widget manager whether its comm is live."""

    _ref_grad = t.Bytes(b"").tag(sync=True)
    """gradviz's reference grad of every node (float64 bytes by id) when the Values' own closures
    are the backward rule (another class's Values); empty otherwise."""

    _marks = t.Dict().tag(sync=True)
    """Where the Values disagree with gradviz's reference: ``grad`` (ids whose grad differs),
    ``forward`` ([[id, "your forward gives X, `op` gives Y"], ...])."""

    _steps = t.Dict().tag(sync=True)
    """Backward's steps for the page's Backprop mode (``gradviz.widget.steps``): sent with every
    picture on graphs of up to ``EAGER_STEPS`` nodes, on bigger ones once asked for (the page's
    Backprop button, ``backprop()``, ``paths()``, ``save_html``); ``{}`` until then."""

    backprop_step = t.Int(-1).tag(sync=True)
    """The Backprop mode's position: the picture after this many of backward's steps; -1 when
    the page shows the full picture. Set by ``backprop()`` and by the page's buttons."""

    paths_leaf = t.Int(-1).tag(sync=True)
    """The node whose chain-rule paths from the output the page highlights (``paths()``), or -1."""
    overlay = t.Unicode("").tag(sync=True)
    """The overlay the page shows: "" (none), "health" (``gradviz.health``'s flags) or "diff" (the
    relative change against ``compare``). The page's Health and Diff buttons set it."""

    _overlay = t.Dict({"compute": ["health"]}).tag(sync=True)
    """The overlays' data by kind, ``{"health": ..., "diff": ...}`` (``gradviz.draw.overlay.
    wire_overlay``): per node a mark (legend index) and layer, the legend, a summary; what a saved
    notebook or a standalone page shows with no kernel. ``compute``: the kinds the kernel computes
    when the page turns them on (a standalone page has none)."""

    _focus = t.Dict().tag(sync=True)
    """``{"node": id, "req": k}``: the node ``select()`` asked the page to select and show."""

    nudges = t.Int(0).tag(sync=True)
    """Raised by the page each time it gets the answer to a change made there (nudge, step,
    reset): a state update from the page, which makes marimo re-run the cells that read the
    widget."""

    def __init__(self, x: Root, height: int | None = None, collapsed: Collapsed = "auto", show_grads: bool = True,
                 local_replay: bool = True, recompute: bool = False, *, overlay: str | None = None,
                 compare: Root | None = None, rankdir: str = "auto", **kwargs: Any) -> None:
        check_height(height)
        check_rankdir(rankdir)
        kind = overlays.check_overlay(overlay, compare)
        super().__init__(height=height or 420, show_grads=bool(show_grads), local_replay=bool(local_replay), **kwargs)
        self.reference = None  # a check.ReferenceCheck, for Values whose own closures are the rule
        self._s = ExplorerState(overlays.source(x, compare), collapsed=collapsed, recompute=recompute, rankdir=rankdir)
        self._ov = overlays.Overlays(self._s, x, kind, compare)
        self._closed = False
        self._steps_on = eager(self._s.graph)  # send the steps with every picture
        self._start_session()
        with self.hold_sync():
            self._structure = self._s.structure()
            self._child_ptr, self._child_idx = self._s.children()
            self.error = self._s.error
            self._publish(self._s.inside_stale)
            self._view = self._s.view()
            self.overlay, self._overlay = self._ov.traits().values()
            self.rankdir = self._s.rankdir  # "auto" resolved by the first view
            if height is None:
                self.height = HEIGHTS[self.rankdir]
        self.observe(self._on_rankdir, names="rankdir")
        self._s.initial_collapsed = list(self._s.collapsed)
        self._self_id = self.model_id or ""
        self.observe(self._on_overlay, names="overlay")
        self.on_msg(self._on_msg)

    def close(self) -> None:
        """Close the widget: its page view goes, and every method raises from now on."""
        self._closed = True
        self._end_session()
        super().close()

    def _check_open(self):
        if self._closed:
            raise RuntimeError("this GraphWidget is closed (w.close() was called); make a new one: "
                               "GraphWidget(x)")

    # ---- values -------------------------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        """The Graph this widget shows (its ``values`` are the Values it re-runs)."""
        return self._s.graph

    @property
    def readonly(self) -> bool:
        """True when nothing can be re-run (a PyTorch graph, a graph loaded from JSON, an unknown op)."""
        return self._s.readonly

    @property
    def data(self) -> np.ndarray:
        """Current data of every node (a copy), indexed by node id."""
        self._check_open()
        self._flush()
        return self._s.cur[0].copy()

    @property
    def grad(self) -> np.ndarray:
        """Current grad of every node (a copy), indexed by node id."""
        self._check_open()
        self._flush()
        return self._s.cur[1].copy()

    def _resolve(self, leaf):
        """Node id of a leaf given as a Value, a label, or an id (``gradviz.names.resolve_leaf``)."""
        return resolve_leaf(self.graph, leaf)

    def nudge(self, leaf: Leaf, delta: float) -> None:
        """Add ``delta`` to a leaf's data (a Value, its label, or its id), then re-run forward and
        backward. On failure (e.g. log of a negative) the error shows in the page, every value stays
        as it was, and the error is raised."""
        self._check_open()
        i = self._resolve(leaf)
        delta = _finite(delta, "delta")
        self._apply({i: lambda now: now + delta}, ("nudge", f"{node_name(self.graph, i)} {delta:+g}"))

    def set(self, leaf: Leaf, value: float) -> None:
        """Set a leaf's data to ``value`` and re-run forward and backward (see ``nudge``)."""
        self._check_open()
        i = self._resolve(leaf)
        value = _finite(value, "value")
        self._apply({i: value}, ("set", f"{node_name(self.graph, i)} = {value:g}"))

    def step(self, lr: float = 0.01) -> None:
        """One gradient step on every input and parameter: ``data -= lr * grad``.

        A positive ``lr`` moves down the gradient (lowers the output, like training); a negative one
        moves up."""
        self._check_open()
        lr = _finite(lr, "lr")
        if lr == 0.0:
            raise ValueError("lr=0 moves no value: give a step size, e.g. w.step(0.01) (a negative "
                             "one moves up the gradient)")
        if self.readonly:
            raise RuntimeError(f"this widget is {self._s.readonly_reason}")
        _, g = self._take_leaves()
        self._apply({i: (lambda now, gi=float(g[i]): now - lr * gi) for i in self._s.controls},
                    ("step", f"step {'down' if lr >= 0 else 'up'}, size {abs(lr):g}"))

    def recompute(self) -> None:
        """Run forward and backward from the leaves as Python holds them now and write every
        ``.data`` and ``.grad`` (for another class's Values, with their own ``_backward``
        closures): the action that turns hand-set or stale grads into d(output)/d(node)."""
        self._check_open()
        if self.readonly:
            raise RuntimeError(f"this widget is {self._s.readonly_reason}")
        self._apply({}, ("recompute", "recomputed forward and backward"))

    def reset(self) -> None:
        """Every leaf back to the value this widget last took from Python (at construction, at
        ``refresh()``, or when it found Python's leaves changed): undoes the widget's own nudges,
        never work done in Python."""
        self._check_open()
        if self.readonly:
            raise RuntimeError(f"this widget is {self._s.readonly_reason}")
        self._take_leaves()
        leaves = np.flatnonzero(self._s.leaf)
        self._apply({int(i): float(self._s.init[i]) for i in leaves}, ("reset", "reset"))

    def save_html(self, path: PathLike, *, title: str | None = None) -> str:
        """Save this widget, as it is now, as one self-contained HTML page that readers can nudge
        in their browser without Python (see ``gradviz.to_html``). Returns the page's text."""
        from .standalone import to_html  # (standalone imports no widget: it reads ``page()``)
        self._check_open()
        return to_html(self, path, title=title)

    def page(self) -> Page:
        """This widget as a page starts from: its synced traits now, the leaves a reset returns to,
        the graph (what ``to_html`` inlines). A refresh() waiting for its turn is part of it."""
        self._check_open()
        self._flush()
        keys = sorted(k for k in self.trait_names(sync=True) if k not in _MACHINERY)
        return Page({k: self.get_state(k)[k] for k in keys}, self._s.init.copy(), self._s.graph, self._s.turned(),
                    self._s.opened())

    def _on_rankdir(self, change):
        """The page (or Python) turned the drawing: lay it out again that way."""
        if change["new"] not in RANKDIRS:
            self.error = (f"rankdir={change['new']!r}: use 'LR' (left to right), 'TB' (top to bottom), "
                          f"'RL' or 'BT'")
            self.rankdir = change["old"]
            return
        self._s.rankdir = change["new"]
        self._view = self._s.view()

    # ---- overlays (widget/overlays.py) -----------------------------------------------------------

    def _on_overlay(self, change):
        why = self._ov.turn(change["new"])
        if why:
            self.error, self.overlay = why, ""
        else:
            self._overlay = self._ov.traits()["_overlay"]

    def overlay_report(self, kind: str | None = None) -> Any:
        """The report behind an overlay (``"health"``: a HealthReport, ``"diff"``: a GraphDiff);
        the active one by default."""
        return self._ov.report(kind or self.overlay)

    def select(self, node: Any) -> None:
        """Select a node in the page and bring it into view: a Value, its label, its id, or what
        ``gradviz.first_nonfinite`` returned (a folded node shows the group holding it)."""
        self._check_open()
        i = node.node if hasattr(node, "node") and hasattr(node, "phase") else resolve_node(self.graph, node)
        self._focus = {"node": int(i), "req": int(self._focus.get("req", 0)) + 1}

    # ---- the drawn view ------------------------------------------------------------------------

    def drawing(self) -> dict[str, list]:
        """The drawn view as plain lists (what the page draws): ``box_x``, ``box_y``, ``box_w``,
        ``box_h``, ``box_node``, ``box_group``, ``box_title``, ``box_size``, ``op_box``, ``op_x``,
        ..., ``edge_src``, ``edge_dst``, ``edge_pts`` (one list of points per edge)."""
        self._check_open()
        return wire.decode_view(self._view, self.graph)

    def expand(self, key: str) -> None:
        """Open group ``key`` (e.g. ``"MLP#7"``): its sub-scopes (layers, then neurons) show as
        groups, a neuron shows its values (``gradviz.draw.grouping.expand``)."""
        self._check_open()
        self._set_collapsed(*grouping.expand(self.graph, self._s.collapsed, key, self._s.expanded))

    def collapse(self, key: str) -> None:
        """Fold every value whose scope starts with ``key`` (and the groups inside it) into one box
        (``gradviz.draw.grouping.collapse``)."""
        self._check_open()
        self._set_collapsed(*grouping.collapse(self.graph, self._s.collapsed, key, self._s.expanded))

    def _set_collapsed(self, keys, expanded):
        old = (self._s.collapsed, self._s.expanded)
        self._s.collapsed, self._s.expanded = keys, expanded
        try:
            self._view = self._s.view()
        except Exception:
            self._s.collapsed, self._s.expanded = old
            raise

    @property
    def collapsed(self) -> list[str]:
        """The group keys currently folded (see ``gradviz.draw.grouping.GroupView``)."""
        self._check_open()
        return list(self._s.collapsed)

    # ---- messages from the page ------------------------------------------------------------------

    def _on_msg(self, _widget, content, _buffers):
        """A message from the page: its ``type`` picks the handler in ``_HANDLERS``. The answer
        (values, error, and ``_ack`` = the message's ``req``, which the page waits for) reaches
        the page as one state update; an ack equal to the last one (so no change for ipywidgets to
        send) is sent on its own, right after. A malformed message (not an object, a ``req`` that
        is not a counter) is an error shown in the page and changes nothing."""
        if not isinstance(content, dict):
            self.error = (f"ValueError: a message from the page must be an object with a type, got "
                          f"{type(content).__name__} {_short(content)}")
            return
        req = content.get("req")
        if req is not None and (type(req) is not int or req < 0):
            self.error = (f"ValueError: a page message's req must be a counter (an integer >= 0), got "
                          f"{_short(req)}; the message was not run")
            return
        resend = req is not None and req == self._ack
        with self.hold_sync():
            try:
                handler = _HANDLERS.get(content.get("type"))
                if handler is None:
                    raise ValueError(f"unknown message from the page: type {content.get('type')!r}; "
                                     f"known: {', '.join(sorted(_HANDLERS))}")
                handler(self, content)
            except Exception as e:  # shown in the page; values were left as they were
                self.error = message(e)
            if req is not None:
                self._ack = req
        if resend:
            self.send_state("_ack")


def _msg_set(w, content):
    """The page set leaves: {"values": {id: value}}."""
    values = content.get("values", {})
    if not isinstance(values, dict):
        raise ValueError(f"a set message's values must be an object {{id: value}}, got {_short(values)}")
    changes = {int(k): _finite(v, "value") for k, v in values.items()}
    controls = set(w._s.controls)
    for i in changes:
        w._resolve(i)
        if i not in controls:
            raise ValueError(f"{node_name(w.graph, i)} (node {i}) is a {w.graph.kinds[i]}: it has no "
                             f"control in the page, so the page cannot set it")
    if len(changes) == 1:
        (i, v), = changes.items()
        what = f"{node_name(w.graph, i)} = {v:g}"
    else:
        what = f"{len(changes)} leaves set"
    w._apply(changes, ("set", what))


# What the page can ask the kernel, by message type: handler(widget, message).
_HANDLERS = {
    "set": _msg_set,
    "step": lambda w, m: w.step(m.get("lr", 0.01)),
    "reset": lambda w, m: w.reset(),
    "recompute": lambda w, m: w.recompute(),
    "expand": lambda w, m: w.expand(_page_key(m)),
    "collapse": lambda w, m: w.collapse(_page_key(m)),
    "reset_view": lambda w, m: w._set_collapsed(w._s.initial_collapsed, expanded=set()),
    "hello": lambda w, m: None,  # the page asks whether a kernel is behind it: the ack says yes
    "backprop": lambda w, m: w.backprop(int(m.get("k", 0))),  # the page's Backprop button
    "paths": lambda w, m: w.paths(int(m["leaf"])),  # the output, then a node, selected in the page
}


MAX_KEY = 10_000  # characters: a group key from the page longer than this is refused, not echoed


def _page_key(m):
    """The group key of an expand or collapse message: a str of at most MAX_KEY characters."""
    key = m.get("key")
    if not isinstance(key, str):
        raise ValueError(f"the group key must be a string, got {_short(key)}")
    if len(key) > MAX_KEY:
        raise ValueError(f"the group key has {len(key):,} characters; group keys are scope paths such "
                         f"as 'MLP#7/layers.0' (at most {MAX_KEY:,} characters)")
    return key


def _short(x, limit=60):
    """``repr(x)``, cut short: messages name a bad value without copying all of it."""
    r = repr(x)
    return r if len(r) <= limit else r[:limit - 3] + "..."


def _finite(x, what):
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


# ipywidgets' and anywidget's own synced traits (and the ESM): not the page's state
_MACHINERY = frozenset(set(anywidget.AnyWidget.class_trait_names(sync=True)) | {"_esm", "_css", "_anywidget_id"})
