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

import asyncio
import math
import time
import weakref
from numbers import Real
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import anywidget
import numpy as np
import traitlets as t

from . import grouping, wire
from .bundle import bundle
from .graph import as_graph
from .names import node_name, resolve_leaf
from .ops import ERROR_TEMPLATES
from .theme import constants as theme_constants
from .wire import coded as _coded
from .wire import jnum as _jnum

if TYPE_CHECKING:
    from ._types import Collapsed, Leaf, PathLike, Root

__all__ = ["GraphWidget"]

NUDGEABLE = ("input", "parameter")  # leaf kinds that get a slider and a number box in the page
_READONLY = "read-only: this graph comes from PyTorch, so it cannot be re-run here"
REFRESH_INTERVAL = 0.05  # s: refresh() sends at most ~20 pictures a second; the last call always goes
FOLLOW_DELAY = 0.1  # s: widgets sharing Values repaint this long after a change made through another
FOLLOW_MAX = 20_000  # nodes: a bigger widget sharing Values says it is stale instead of repainting
_LIVE = weakref.WeakSet()  # open widgets over gradviz Values: they follow each other's changes
_STALE = ("Python changed these Values after this picture was drawn: w.refresh() redraws it; a nudge "
          "here starts from Python's values")
_STALE_OTHER = ("another widget changed these Values after this picture was drawn: w.refresh() redraws "
                "it; a nudge here starts from Python's values")
_NO_VALUES = "read-only: this graph has no live Values (it was loaded from JSON), so nothing can be re-run"


class GraphWidget(anywidget.AnyWidget):
    """Draw ``x`` (a root Value, or a Graph) and let the user nudge its leaves.

    ``height``: the most pixels the drawing takes (a short graph takes less). ``collapsed``: ``"auto"`` folds big graphs by module scope
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
    gradient (its op table) is shown beside theirs: nodes whose grad differs, or whose data
    disagrees with the op's forward, are marked in the drawing and the table.
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
    (``wire.jnum`` numbers)."""

    height = t.Int(420).tag(sync=True)
    """The most pixels the drawing takes (a short graph takes less)."""

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

    nudges = t.Int(0).tag(sync=True)
    """Raised by the page each time it gets the answer to a change made there (nudge, step,
    reset): a state update from the page, which makes marimo re-run the cells that read the
    widget."""

    def __init__(self, x: Root, height: int = 420, collapsed: Collapsed = "auto", show_grads: bool = True,
                 local_replay: bool = True, recompute: bool = False, **kwargs: Any) -> None:
        if isinstance(height, bool) or not isinstance(height, int) or height < 50:
            raise ValueError(f"height must be an int of pixels >= 50, got {height!r}")
        super().__init__(height=height, show_grads=bool(show_grads), local_replay=bool(local_replay), **kwargs)
        g = as_graph(x)
        self._tape = self._ref_tape = None
        self.reference = None  # a check.ReferenceCheck, for Values whose own closures are the rule
        self._readonly_reason = _READONLY if g.source == "torch" else _NO_VALUES
        if g.source != "torch" and g.values is not None:
            from .replay import Tape
            try:
                self._tape = Tape(g)
            except ValueError as e:  # an op replay does not know (a custom op of another engine)
                self._readonly_reason = f"read-only: {e}"
            else:
                g = self._tape.graph
                if self._tape.own_closures:  # their closures are the rule; gradviz's is the reference
                    self._ref_tape = Tape(g, rules="reference")
        self.graph = g
        self.readonly = self._tape is None
        n = len(g)
        self._leaf = np.diff(np.asarray(g.child_ptr)) == 0
        self._controls = [i for i in np.flatnonzero(self._leaf).tolist() if g.kinds[i] in NUDGEABLE]
        self._closed = False
        self._pending = False  # a refresh() waits for its turn (see REFRESH_INTERVAL)
        self._follow_due = None  # what another widget changed, while this one waits to show it
        self._sent_at = -math.inf
        if self.readonly:
            self._cur = (np.array(g.data, dtype=np.float64), np.array(g.grad, dtype=np.float64))
            self._leaf_keys = frozenset()
        else:
            self._leaf_keys = frozenset(id(g.values[i]) for i in np.flatnonzero(self._leaf).tolist())
            self._cur = None
            if recompute:
                try:
                    self._cur = self._run(None)
                except Exception as e:  # the graph's current values cannot be replayed: show as they are
                    self.error = _message(e)
            if self._cur is None:
                self._cur = self._read()
        self._init = self._cur[0].copy()  # the leaves as last taken from Python: what reset() restores
        self._collapsed = collapsed
        self._expanded = set()
        ptr = np.asarray(g.child_ptr, dtype=np.int32)
        idx = np.asarray(g.child_ids, dtype=np.int32)
        with self.hold_sync():
            ops = _coded(g.ops)
            self._structure = {
                "version": 2, "n": n, "root": n - 1, "source": g.source,
                "labels": _coded(g.labels), "ops": ops, "exponents": wire.exponents(ops), "kinds": _coded(g.kinds),
                "scopes": wire.coded_codes(*grouping.scope_codes(g)), "controls": self._controls,
                "control_init": [_jnum(self._init[i]) for i in self._controls],
                "readonly": self._readonly_reason if self.readonly else "",
                # palette, fonts, character width (gradviz/theme.py); the op table's error messages,
                # which the page's replay words as the kernel does (gradviz.ops)
                "constants": {**theme_constants(), "opErrors": ERROR_TEMPLATES},
                "backward": _backward_marks(g),
                # "own": the Values' own closures are the backward rule, so the page's replay
                # (gradviz's formulas) steps aside and the kernel answers every change
                "rules": "own" if self._ref_tape is not None else "",
                **_tensor_texts(g),
            }
            self._child_ptr = ptr.tobytes()
            self._child_idx = idx.tobytes()
            self._publish()
            self._view = self._make_view()
        self._initial_collapsed = list(self._collapsed)
        self._self_id = self.model_id or ""
        self.on_msg(self._on_msg)
        if not self.readonly:
            _LIVE.add(self)
            _watch_cells()

    def close(self) -> None:
        """Close the widget: its page view goes, and every method raises from now on."""
        self._closed = True
        _LIVE.discard(self)
        super().close()

    def _check_open(self):
        if self._closed:
            raise RuntimeError("this GraphWidget is closed (w.close() was called); make a new one: "
                               "GraphWidget(x)")

    # ---- values -------------------------------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """Current data of every node (a copy), indexed by node id."""
        return self._cur[0].copy()

    @property
    def grad(self) -> np.ndarray:
        """Current grad of every node (a copy), indexed by node id."""
        return self._cur[1].copy()

    def _run(self, data):
        d, g = self._tape.run(write_back=True, data=data)
        return np.array(d, dtype=np.float64), np.array(g, dtype=np.float64)

    def _publish(self):
        self._data = wire.floats(self._cur[0])
        self._grad = wire.floats(self._cur[1])
        if self._ref_tape is not None:
            from .check import reference_check
            ref = reference_check(self.graph, self._cur[0], self._cur[1], self._ref_tape)
            self.reference = ref
            self._ref_grad = wire.floats(ref.grad)
            self._marks = {"grad": ref.differs, "forward": [[i, why] for i, why in sorted(ref.forward.items())]}
        self._stale = ""
        self._pending = False
        self._sent_at = time.perf_counter()

    def _read(self):
        """data and grad of every node, exactly as the Values hold them now."""
        vals, n = self.graph.values, len(self.graph)
        try:
            return (np.fromiter(map(attrgetter("data"), vals), dtype=np.float64, count=n),
                    np.fromiter(map(attrgetter("grad"), vals), dtype=np.float64, count=n))
        except (TypeError, ValueError):
            bad = next(v for v in vals if not isinstance(v.data, Real) or not isinstance(v.grad, Real))
            raise TypeError(f"{bad!r} holds data {bad.data!r}, grad {bad.grad!r}: set them to floats") from None

    def _take_leaves(self):
        """Before a change: the picture this widget starts from, with the leaves as Python has them
        now. Leaves changed outside this widget become what reset() returns to."""
        data, grad = self._cur
        leaves = self._tape.leaves
        now = np.array(self._tape._read_leaves()[0], dtype=np.float64)
        moved = ~_same(now, data[leaves])
        if not moved.any():
            return data, grad
        self._init[leaves[moved]] = now[moved]
        new = data.copy()
        new[leaves] = now
        try:  # the picture the Values stand for: forward and backward from Python's leaves
            return self._tape.run(write_back=False, data=new)
        except Exception:  # Python's leaves cannot be replayed: start from them as they are
            return new, grad

    def _apply(self, changes, what):
        """Set leaves (id -> new data) on top of Python's current leaves, re-run forward and
        backward, write into the Values, publish. All or nothing: a failing run changes nothing."""
        self._check_open()
        if self.readonly:
            raise RuntimeError(f"this widget is {self._readonly_reason}")
        data, grad = self._take_leaves()
        new = data.copy()
        ids = np.fromiter(changes, dtype=np.int64, count=len(changes))
        new[ids] = [changes[i](data[i]) if callable(changes[i]) else changes[i] for i in changes]
        root = len(data) - 1
        try:
            cur = self._run(new)
        except Exception as e:
            self.error = _message(e)
            raise
        with np.errstate(all="ignore"):
            predicted = np.dot(grad[ids], new[ids] - data[ids])
            actual = cur[0][root] - data[root]
        self._cur = cur
        with self.hold_sync():
            self._publish()
            self.error = ""
            self.last_nudge = {
                "kind": what[0], "what": what[1], "before": _jnum(data[root]), "after": _jnum(cur[0][root]),
                "predicted": _jnum(predicted), "actual": _jnum(actual),
            }
        for other in list(_LIVE):
            if other is not self and not other._leaf_keys.isdisjoint(self._leaf_keys):
                other._follow_soon(what[1])

    def _follow_soon(self, what):
        """Another widget changed Values this one shows: show them, once the kernel is idle (the
        changing widget's own answer goes first; a slider drag's changes come as one repaint)."""
        if len(self.graph) > FOLLOW_MAX:  # repainting would cost the changing widget's page time
            self._stale = _STALE_OTHER
            return
        due, self._follow_due = self._follow_due, what
        if due is None:
            _later(FOLLOW_DELAY, self._follow_now)

    def _follow_now(self):
        what, self._follow_due = self._follow_due, None
        if what is not None and not self._closed:
            self._follow(what)

    def _follow(self, what):
        """Show the Values as they are now, changed through another widget."""
        d, g = self._read()
        leaves = self._tape.leaves
        moved = ~_same(d[leaves], self._cur[0][leaves])
        self._init[leaves[moved]] = d[leaves][moved]
        self._cur = (d, g)
        with self.hold_sync():
            self._publish()
            self.last_nudge = {"kind": "follow", "what": f"changed by another widget: {what}"}

    def refresh(self) -> None:
        """Re-read data and grad of every node exactly as the Values hold them (no forward, no
        backward) and repaint. Cheap enough for every step of a training loop: at most ~20
        pictures a second are sent, and the last call always is (at the latest when the cell ends).
        """
        self._check_open()
        if self.readonly:
            raise RuntimeError(f"this widget is {self._readonly_reason}: it has no Values to re-read")
        if time.perf_counter() - self._sent_at < REFRESH_INTERVAL:
            self._pending = True
            return
        self._refresh_now()

    def _refresh_now(self):
        d, g = self._read()
        self._cur = (d, g)
        self._init = d.copy()
        with self.hold_sync():
            self._publish()
            self.error = ""
            self.last_nudge = {"kind": "refresh", "what": "refreshed from Python"}

    def _after_cell(self):
        """At the end of each notebook cell: send a refresh() that waited, else tell the page if
        the Values changed behind this widget's back."""
        if self._closed:
            return
        if self._follow_due is not None:
            self._follow_now()
            return
        if self._pending:
            self._refresh_now()
            return
        d, g = self._read()
        stale = not (_same(d, self._cur[0]).all() and _same(g, self._cur[1]).all())
        if (self._stale != "") != stale:
            self._stale = _STALE if stale else ""

    def _resolve(self, leaf):
        """Node id of a leaf given as a Value, a label, or an id (``gradviz.names.resolve_leaf``)."""
        return resolve_leaf(self.graph, leaf)

    def recompute(self) -> None:
        """Run forward and backward from the leaves as Python holds them now and write every
        ``.data`` and ``.grad`` (for another class's Values, with their own ``_backward``
        closures): the action that turns hand-set or stale grads into d(output)/d(node)."""
        self._check_open()
        if self.readonly:
            raise RuntimeError(f"this widget is {self._readonly_reason}")
        self._apply({}, ("recompute", "recomputed forward and backward"))

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
        if self.readonly:
            raise RuntimeError(f"this widget is {self._readonly_reason}")
        _, g = self._take_leaves()
        self._apply({i: (lambda now, gi=float(g[i]): now - lr * gi) for i in self._controls},
                    ("step", f"step {'down' if lr >= 0 else 'up'}, size {abs(lr):g}"))

    def reset(self) -> None:
        """Every leaf back to the value this widget last took from Python (at construction, at
        ``refresh()``, or when it found Python's leaves changed): undoes the widget's own nudges,
        never work done in Python."""
        self._check_open()
        if self.readonly:
            raise RuntimeError(f"this widget is {self._readonly_reason}")
        self._take_leaves()
        leaves = np.flatnonzero(self._leaf)
        self._apply({int(i): float(self._init[i]) for i in leaves}, ("reset", "reset"))

    def save_html(self, path: PathLike, *, title: str | None = None) -> str:
        """Save this widget, as it is now, as one self-contained HTML page that readers can nudge
        in their browser without Python (see ``gradviz.to_html``). Returns the page's text."""
        from .standalone import to_html
        return to_html(self, path, title=title)

    # ---- the drawn view ------------------------------------------------------------------------

    def _make_view(self):
        """The `_view` trait: boxes, op ellipses and edge routes of the current (collapsed) view,
        encoded by ``wire.encode_view`` (``drawing()`` decodes it back into plain lists)."""
        from .layout import layout, short_label
        lay = layout(self.graph, collapsed=self._collapsed)
        v = lay.view
        self._collapsed = list(v.collapsed)  # "auto" resolved
        edges, ptr, pts = _slot_edges(self.graph, v, lay)
        bent = wire.bent_routes(lay, edges, ptr, pts)
        place = _grid_tall_ranks(lay, np.asarray(v.is_group))
        if place is None:
            place = (lay.x, lay.y, lay.op_x, lay.op_y, lay.width, lay.height)
        else:  # a tall column of groups laid out as a grid; edges drawn straight
            bent = wire.NO_ROUTES
        return wire.encode_view(self.graph, lay, place, edges, bent, sorted(self._expanded), short_label)

    def drawing(self) -> dict[str, list]:
        """The drawn view as plain lists (what the page draws): ``box_x``, ``box_y``, ``box_w``,
        ``box_h``, ``box_node``, ``box_group``, ``box_title``, ``box_size``, ``op_box``, ``op_x``,
        ..., ``edge_src``, ``edge_dst``, ``edge_pts`` (one list of points per edge)."""
        return wire.decode_view(self._view, self.graph)

    def expand(self, key: str) -> None:
        """Open group ``key`` (e.g. ``"MLP#7"``): its sub-scopes (layers, then neurons) show as
        groups, a neuron shows its values (``gradviz.grouping.expand``)."""
        self._check_open()
        self._set_collapsed(*grouping.expand(self.graph, self._collapsed, key, self._expanded))

    def collapse(self, key: str) -> None:
        """Fold every value whose scope starts with ``key`` (and the groups inside it) into one box
        (``gradviz.grouping.collapse``)."""
        self._check_open()
        self._set_collapsed(*grouping.collapse(self.graph, self._collapsed, key, self._expanded))

    def _set_collapsed(self, keys, expanded):
        old = (self._collapsed, self._expanded)
        self._collapsed, self._expanded = keys, expanded
        try:
            self._view = self._make_view()
        except Exception:
            self._collapsed, self._expanded = old
            raise

    @property
    def collapsed(self) -> list[str]:
        """The group keys currently folded (see ``gradviz.grouping.GroupView``)."""
        return list(self._collapsed)

    # ---- messages from the page ------------------------------------------------------------------

    def _on_msg(self, _widget, content, _buffers):
        """A message from the page: its ``type`` picks the handler in ``_HANDLERS``. The answer
        (values, error, and ``_ack`` = the message's ``req``, which the page waits for) reaches
        the page as one state update; an ack equal to the last one (so no change for ipywidgets to
        send) is sent on its own, right after."""
        try:
            req = None if content.get("req") is None else int(content["req"])
        except (TypeError, ValueError):
            req = None
        resend = req is not None and req == self._ack
        with self.hold_sync():
            try:
                handler = _HANDLERS.get(content.get("type"))
                if handler is None:
                    raise ValueError(f"unknown message from the page: type {content.get('type')!r}; "
                                     f"known: {', '.join(sorted(_HANDLERS))}")
                handler(self, content)
            except Exception as e:  # shown in the page; values were left as they were
                self.error = _message(e)
            if req is not None:
                self._ack = req
        if resend:
            self.send_state("_ack")


def _msg_set(w, content):
    """The page set leaves: {"values": {id: value}}."""
    changes = {int(k): _finite(v, "value") for k, v in content.get("values", {}).items()}
    for i in changes:
        w._resolve(i)
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
    "expand": lambda w, m: w.expand(str(m["key"])),
    "collapse": lambda w, m: w.collapse(str(m["key"])),
    "reset_view": lambda w, m: w._set_collapsed(w._initial_collapsed, expanded=set()),
    "hello": lambda w, m: None,  # the page asks whether a kernel is behind it: the ack says yes
}


def _tensor_texts(g):
    """A PyTorch graph's record cells and hover lines (gradviz.summary), which the page shows as
    they are: ``cells[i]`` = [shape, value, grad], ``tips[i]`` = lines of text. Empty otherwise."""
    from .summary import has_cells, hover_lines, record_cells
    if not has_cells(g):
        return {}
    return {"cells": [record_cells(g, i) for i in range(len(g))],
            "tips": [hover_lines(g, i) for i in range(len(g))]}


def _backward_marks(g):
    """``[[id, "custom" | "none"], ...]``: the nodes whose gradient is not a built-in rule (trace's
    meta "backward"), which the page draws dashed and explains on hover."""
    meta = g.meta
    if meta and meta.count(meta[0]) == len(meta) and not meta[0]:  # no meta at all: a C-speed scan
        return []
    return [[i, m["backward"]] for i, m in enumerate(meta) if m and m.get("backward")]


def _grid_tall_ranks(lay, is_group, min_boxes=16, aspect=2.0):
    """A rank of many group boxes (the samples of a folded loss) laid out as a grid instead of one
    tall column, so a first view shows the graph's structure. Returns new (x, y, op_x, op_y,
    width, height) arrays, or None when no rank needs it. Other ranks move right past the grid and
    are centred in the new height; every edge is then drawn straight."""
    rank = np.asarray(lay.rank)
    x, y = np.array(lay.x, dtype=np.float64), np.array(lay.y, dtype=np.float64)
    w, h = np.asarray(lay.w, dtype=np.float64), np.asarray(lay.h, dtype=np.float64)
    ox, oy = np.array(lay.op_x, dtype=np.float64), np.array(lay.op_y, dtype=np.float64)
    ranks = [r for r in np.unique(rank).tolist()
             if (rank == r).sum() >= min_boxes and is_group[rank == r].all()]
    if not ranks:
        return None
    shift = np.zeros(len(x))
    for r in ranks:
        b = np.flatnonzero(rank == r)
        b = b[np.argsort(y[b], kind="stable")]
        cw, ch = w[b].max() + 24.0, h[b].max() + 12.0
        cols = max(1, int(np.ceil(np.sqrt(aspect * len(b) * ch / cw))))
        left = (x[b] - w[b] / 2).min()
        k = np.arange(len(b))
        nx = left + (k % cols) * cw + w[b] / 2
        ny = (k // cols) * ch + ch / 2
        dx = nx - x[b]
        x[b], ox[b] = nx, ox[b] + dx
        oy[b] += ny - y[b]
        y[b] = ny
        shift[(x - w / 2 > left) & (rank > r)] += (cols - 1) * cw
    x += shift
    ox += shift
    grid = np.isin(rank, ranks)
    height = max(float((y[grid] + h[grid] / 2).max()) + 12.0, 0.0)
    for r in np.unique(rank[~grid]).tolist():  # the other ranks, centred in the new height
        b = np.flatnonzero(rank == r)
        lo, hi = (y[b] - h[b] / 2).min(), (y[b] + h[b] / 2).max()
        height = max(height, hi - lo + 24.0)
    for r in np.unique(rank[~grid]).tolist():
        b = np.flatnonzero(rank == r)
        lo, hi = (y[b] - h[b] / 2).min(), (y[b] + h[b] / 2).max()
        dy = height / 2 - (lo + hi) / 2
        y[b] += dy
        oy[b] += dy
    gy = height / 2 - ((y[grid] - h[grid] / 2).min() + (y[grid] + h[grid] / 2).max()) / 2
    y[grid] += gy
    oy[grid] += gy
    ok = np.isfinite(ox)
    width = float(max((x + w / 2).max(), (ox[ok] + np.asarray(lay.op_w)[ok] / 2).max() if ok.any() else 0) + 12.0)
    return x, y, ox, oy, width, float(height)


def _slot_edges(g, v, lay):
    """The view's edges with one edge per operand slot between two single values (``a + a`` draws
    two, as in the lecture), the copies' routes spread apart by 6 px; edges into or out of a group
    box stay one. Returns (edges (E, 2), route pointer into the flat point array, flat points)."""
    ptr = np.asarray(lay.route_ptr, dtype=np.int64)
    pts = np.asarray(lay.route_xy, dtype=np.float64).reshape(-1, 2)
    edges = np.asarray(lay.edges, dtype=np.int64).reshape(-1, 2)
    n = len(g)
    cp = np.asarray(g.child_ptr, dtype=np.int64)
    src = np.asarray(g.child_ids, dtype=np.int64)
    dst = np.repeat(np.arange(n, dtype=np.int64), np.diff(cp))
    box_of = np.asarray(v.box_of, dtype=np.int64)
    single = ~np.asarray(v.is_group, dtype=bool)
    both = single[box_of[src]] & single[box_of[dst]]  # only slots between single values can repeat an edge
    key, count = np.unique(src[both] * n + dst[both], return_counts=True)
    mult = np.ones(len(edges), dtype=np.int64)
    if len(edges) and (count > 1).any():
        want = {}
        for k, c in zip(key[count > 1].tolist(), count[count > 1].tolist()):
            want[(int(box_of[k // n]), int(box_of[k % n]))] = c
        if want:
            mult = np.array([want.get((a, b), 1) for a, b in edges.tolist()], dtype=np.int64)
    if (mult == 1).all():
        return edges, ptr * 2, pts.ravel()
    rep = np.repeat(np.arange(len(edges)), mult)          # each edge once per copy
    first = np.repeat(np.cumsum(mult) - mult, mult)
    shift = (np.arange(len(rep)) - first - (mult[rep] - 1) / 2) * 6.0  # copies spread 6 px apart
    length = np.diff(ptr)[rep]                             # points in each copy's route
    out_ptr = np.zeros(len(rep) + 1, dtype=np.int64)
    np.cumsum(length, out=out_ptr[1:])
    at = np.repeat(ptr[:-1][rep] - out_ptr[:-1], length) + np.arange(out_ptr[-1])
    out = pts[at]
    out[:, 1] += np.repeat(shift, length)
    return edges[rep], out_ptr * 2, out.ravel()


def _same(a, b):
    """Elementwise equality that counts NaN as equal to NaN."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


_HOOKED = []


def _watch_cells():
    """Once per kernel: after each cell, every live widget sends a waiting refresh or checks for
    staleness (outside IPython there is no page, so nothing to do)."""
    if _HOOKED:
        return
    try:
        from IPython import get_ipython
        ip = get_ipython()
    except ImportError:
        ip = None
    if ip is None:
        return
    ip.events.register("post_run_cell", _after_cells)
    _HOOKED.append(ip)


def _later(delay, fn):
    """Run ``fn`` after ``delay`` seconds on the running event loop (in a kernel: once it is idle);
    at once where no loop runs (scripts, tests), where no page waits either."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        fn()
    else:
        loop.call_later(delay, fn)


def _after_cells(*_):
    for w in list(_LIVE):
        try:
            w._after_cell()
        except Exception:  # a widget's check must never break the user's cell
            pass


def _finite(x, what):
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


def _message(e):
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


# ---- the page's copy of the change rules (js/src/local.js), checked against these answers ----------

_CASE_LRS = (0.01, -0.01, 0.1, -0.5, 3.0, 1e-07, -2.5e-05, 1234567.0, 0.30000000000000004)
_CASE_SETS = ({"a": 2.5}, {"f": -1e-07}, {"#": 0.125}, {"a": 3.0, "b": 1e+16})


def _case_widget():
    """The lecture's L = (a*b + c) * f, plus an unlabelled leaf times a constant (a leaf with no
    control): a fresh widget on fresh Values for every case."""
    from .engine import Value
    a, b, c, f, u = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f"), Value(0.5)
    return GraphWidget((a * b + c) * f + u * 2.0, recompute=True), u


def cases():
    """``{"graph": {labels, ops, ptr, idx, controls, data, grad}, "changes": [{type, lr or
    values, first (a change made before), what, kind, data, grad, before, after, predicted,
    actual}]}``: what GraphWidget
    answers to the page's step, set and reset messages on one small graph (node ids as in
    ``graph``; a set's "#" names the unlabelled leaf)."""
    w, u = _case_widget()
    g = w.graph
    unlabelled = next(i for i, v in enumerate(g.values) if v is u)
    graph = {"labels": list(g.labels), "ops": list(g.ops), "ptr": [int(x) for x in g.child_ptr],
             "idx": [int(x) for x in g.child_ids], "controls": list(w._controls),
             "data": w.data.tolist(), "grad": w.grad.tolist()}
    msgs = [{"type": "step", "lr": lr} for lr in _CASE_LRS]
    msgs += [{"type": "set", "values": {str(unlabelled if k == "#" else g.labels.index(k)): v for k, v in s.items()}}
             for s in _CASE_SETS]
    msgs.append({"type": "reset", "first": {"type": "step", "lr": 0.5}})
    out = []
    for m in msgs:
        w, _ = _case_widget()
        if "first" in m:  # a reset undoes a step
            _HANDLERS[m["first"]["type"]](w, m["first"])
        _HANDLERS[m["type"]](w, m)
        assert not w.error, w.error
        out.append({**m, **w.last_nudge, "data": w.data.tolist(), "grad": w.grad.tolist()})
        w.close()
    return {"graph": graph, "changes": out}


def case_file_text():
    """The case file, one change a line (readable diffs)."""
    import json
    c = cases()
    return ('{"graph": ' + json.dumps(c["graph"]) + ',\n"changes": [\n'
            + ",\n".join(json.dumps(x) for x in c["changes"]) + "\n]}\n")


if __name__ == "__main__":
    import sys
    if sys.argv[1:] != ["cases"]:
        sys.exit("usage: python -m gradviz.widget cases > js/test/change_cases.json")
    sys.stdout.write(case_file_text())
