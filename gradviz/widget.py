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
import pathlib
import time
import weakref
from numbers import Real
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

_STATIC = pathlib.Path(__file__).parent / "static"
if not (_STATIC / "widget.js").is_file() or not (_STATIC / "widget.css").is_file():
    raise ImportError(f"the widget bundle is missing from {_STATIC}: build it with "
                      f"`cd js && npm ci && npm run build` (from a clone of gradviz), or reinstall gradviz")

import anywidget  # noqa: E402
import traitlets as t  # noqa: E402

from . import grouping  # noqa: E402
from .graph import as_graph  # noqa: E402
from .names import node_name, resolve_leaf  # noqa: E402
from .ops import ERROR_TEMPLATES  # noqa: E402
from .theme import constants as theme_constants  # noqa: E402

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
    ``recompute``: construction runs forward and backward once, so every grad is d(root)/d(node);
    ``False`` shows the Values exactly as they are (e.g. grads filled in by hand).
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    _structure = t.Dict().tag(sync=True)
    _child_ptr = t.Bytes().tag(sync=True)
    _child_idx = t.Bytes().tag(sync=True)
    _data = t.Bytes().tag(sync=True)
    _grad = t.Bytes().tag(sync=True)
    _view = t.Dict().tag(sync=True)
    _ack = t.Int(0).tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    show_grads = t.Bool(True).tag(sync=True)
    last_nudge = t.Dict().tag(sync=True)
    height = t.Int(420).tag(sync=True)
    local_replay = t.Bool(True).tag(sync=True)
    _stale = t.Unicode("").tag(sync=True)  # non-empty: the Values changed since this picture
    _self_id = t.Unicode("").tag(sync=True)  # the model id: lets the page ask whether its comm is live
    # Raised by the page each time it gets the answer to a change made there (nudge, step, reset):
    # a state update from the page, which makes marimo re-run the cells that read the widget.
    nudges = t.Int(0).tag(sync=True)

    def __init__(self, x: Root, height: int = 420, collapsed: Collapsed = "auto", show_grads: bool = True,
                 local_replay: bool = True, recompute: bool = True, **kwargs: Any) -> None:
        if isinstance(height, bool) or not isinstance(height, int) or height < 50:
            raise ValueError(f"height must be an int of pixels >= 50, got {height!r}")
        super().__init__(height=height, show_grads=bool(show_grads), local_replay=bool(local_replay), **kwargs)
        g = as_graph(x)
        self._tape = None
        self._readonly_reason = _READONLY if g.source == "torch" else _NO_VALUES
        if g.source != "torch" and g.values is not None:
            from .replay import Tape
            try:
                self._tape = Tape(g)
            except ValueError as e:  # an op replay does not know (a custom op of another engine)
                self._readonly_reason = f"read-only: {e}"
            else:
                g = self._tape.graph
        self.graph = g
        self.readonly = self._tape is None
        n = len(g)
        self._leaf = np.diff(np.asarray(g.child_ptr)) == 0
        self._controls = [i for i in range(n) if self._leaf[i] and g.kinds[i] in NUDGEABLE]
        self._closed = False
        self._pending = False  # a refresh() waits for its turn (see REFRESH_INTERVAL)
        self._follow_due = None  # what another widget changed, while this one waits to show it
        self._sent_at = -math.inf
        if self.readonly:
            self._cur = (np.array(g.data, dtype=np.float64), np.array(g.grad, dtype=np.float64))
            self._leaf_keys = frozenset()
        else:
            self._leaf_keys = frozenset(id(g.values[i]) for i in np.flatnonzero(self._leaf).tolist())
            self._cur = self._read()
            if recompute:
                try:
                    self._cur = self._run(None)
                except Exception as e:  # the graph's current values cannot be replayed: show as they are
                    self.error = _message(e)
        self._init = self._cur[0].copy()  # the leaves as last taken from Python: what reset() restores
        self._collapsed = collapsed
        self._expanded = set()
        ptr = np.asarray(g.child_ptr, dtype=np.int32)
        idx = np.asarray(g.child_ids, dtype=np.int32)
        with self.hold_sync():
            self._structure = {
                "version": 1, "n": n, "root": n - 1, "source": g.source,
                "labels": _coded(g.labels), "ops": _coded(g.ops), "kinds": _coded(g.kinds),
                "scopes": _coded(g.scopes), "controls": self._controls,
                "control_init": [_jnum(self._init[i]) for i in self._controls],
                "readonly": self._readonly_reason if self.readonly else "",
                # palette, fonts, character width (gradviz/theme.py); the op table's error messages,
                # which the page's replay words as the kernel does (gradviz.ops)
                "constants": {**theme_constants(), "opErrors": ERROR_TEMPLATES},
                "backward": _backward_marks(g),
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
        self._data = self._cur[0].tobytes()
        self._grad = self._cur[1].tobytes()
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
        """The `_view` trait: boxes, op ellipses and edge routes of the current (collapsed) view.

        Geometry travels as binary buffers (float32 coordinates; sizes, which take few distinct
        values, as a small table and a uint8/uint16 index), string columns coded (see ``_coded``).
        A view of every value (box i is node i) sends no box ids, titles, op names or edges: the
        page takes them from the structure (labels, ops, one edge per operand slot). Only routes
        that bend are sent; the page draws the others from the child's record to the parent's op.
        ``drawing()`` decodes it all back into plain lists."""
        from .layout import layout, short_label
        lay = layout(self.graph, collapsed=self._collapsed)
        v = lay.view
        self._collapsed = list(v.collapsed)  # "auto" resolved
        g = self.graph
        n_box = len(lay.x)
        has_op = np.isfinite(lay.op_x)
        op_box = np.flatnonzero(has_op)
        edges, ptr, pts = _slot_edges(g, v, lay)
        bent = _bent_routes(lay, edges, ptr, pts, op_box)
        x, y, op_x, op_y, width, height = lay.x, lay.y, lay.op_x, lay.op_y, lay.width, lay.height
        grid = _grid_tall_ranks(lay, np.asarray(v.is_group))
        if grid is not None:  # a tall column of groups laid out as a grid; edges drawn straight
            x, y, op_x, op_y, width, height = grid
            bent = (np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0))
        identity = (not v.collapsed and n_box == len(g) and not bool(np.asarray(v.is_group).any())
                    and np.array_equal(v.node, np.arange(len(g))))
        arity = np.diff(np.asarray(g.child_ptr))
        view = {
            "version": 2, "width": round(width, 2), "height": round(height, 2),
            "n": n_box, "identity": bool(identity),
            "box_x": _f32(x), "box_y": _f32(y), "box_w": _sizes(lay.w), "box_h": _sizes(lay.h),
            "op_x": _f32(op_x[op_box]), "op_y": _f32(op_y[op_box]),
            "op_w": _sizes(lay.op_w[op_box]), "op_h": _sizes(lay.op_h[op_box]),
            "collapsed": list(v.collapsed), "expanded": sorted(self._expanded),
        }
        op_names = [short_label(v.ops[b]) for b in op_box.tolist()]
        if identity and np.array_equal(op_box, np.flatnonzero(arity > 0)):
            view["op_box"] = None  # the page takes the computed values
            if op_names != [g.ops[b] for b in op_box.tolist()]:
                view["op_name"] = _coded(op_names)
        else:
            view["op_box"] = _i32(op_box)
            view["op_name"] = _coded(op_names)
        titles = [short_label(t) for t in v.labels]
        if not identity:
            multi = np.where(v.is_group & (v.n_outputs != 1), v.n_outputs, 0)
            view.update(box_node=_i32(v.node), box_group=_coded(list(v.keys)), box_size=_i32(v.count),
                        box_title=_coded(titles), box_multi=_i32(multi))
        elif titles != list(g.labels):  # long labels are cut for the drawing
            view["box_title"] = _coded(titles)
        slots = _as_slots(g, edges) if identity else None
        if slots is not None:  # one edge per operand slot, in the structure's order
            view["edges"] = None
            bent = (slots[bent[0]], bent[1], bent[2])
        else:
            view["edge_src"], view["edge_dst"] = _i32(edges[:, 0]), _i32(edges[:, 1])
        view["route_edge"], view["route_ptr"], view["route_pts"] = _i32(bent[0]), _i32(bent[1]), _f32(bent[2])
        return view

    def drawing(self) -> dict[str, list]:
        """The drawn view as plain lists (what the page draws): ``box_x``, ``box_y``, ``box_w``,
        ``box_h``, ``box_node``, ``box_group``, ``box_title``, ``box_size``, ``op_box``, ``op_x``,
        ..., ``edge_src``, ``edge_dst``, ``edge_pts`` (one list of points per edge)."""
        return _decode_view(self._view, self.graph)

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
        with self.hold_sync():  # the answer (values, error, ack) reaches the page as one message
            self._handle(content)

    def _handle(self, content):
        kind = content.get("type")
        req = content.get("req")
        try:
            if kind == "set":
                changes = {int(k): _finite(v, "value") for k, v in content.get("values", {}).items()}
                for i in changes:
                    self._resolve(i)
                if len(changes) == 1:
                    (i, v), = changes.items()
                    what = f"{node_name(self.graph, i)} = {v:g}"
                else:
                    what = f"{len(changes)} leaves set"
                self._apply(changes, ("set", what))
            elif kind == "step":
                self.step(content.get("lr", 0.01))
            elif kind == "reset":
                self.reset()
            elif kind == "expand":
                self.expand(str(content["key"]))
            elif kind == "collapse":
                self.collapse(str(content["key"]))
            elif kind == "reset_view":
                self._set_collapsed(self._initial_collapsed, expanded=set())
            elif kind == "hello":  # the page asks whether a kernel is behind it: the ack says yes
                pass
        except Exception as e:  # shown in the page; values were left as they were
            self.error = _message(e)
        if req is not None:
            self._ack = int(req)
            self._states_to_send.add("_ack")  # sent even if equal: the page waits for it


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


def _coded(column):
    """A string column as {"table": distinct strings, "index": bytes, "dtype": "uint8" | "uint16" |
    "int32"}: few distinct strings (ops, kinds, scopes, mostly-empty labels) travel small, and as
    one binary buffer."""
    table = sorted(set(column))
    code = {s: k for k, s in enumerate(table)}
    dt = _index_dtype(len(table))
    return {"table": table, "dtype": dt, "index": np.fromiter(map(code.__getitem__, column), dtype=dt,
                                                              count=len(column)).tobytes()}


def _index_dtype(m):
    return "uint8" if m <= 256 else "uint16" if m <= 65536 else "int32"


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32).tobytes()


def _i32(a):
    return np.ascontiguousarray(a, dtype=np.int32).tobytes()


def _sizes(a):
    """Box or ellipse sizes: a table of the few distinct values and an index, else float32 bytes."""
    a = np.asarray(a, dtype=np.float64)
    table, index = np.unique(np.round(a, 2), return_inverse=True)
    if len(table) > 4096:
        return _f32(a)
    dt = _index_dtype(len(table))
    return {"table": table.tolist(), "dtype": dt, "index": index.astype(dt).tobytes()}


def _bent_routes(lay, edges, ptr, pts, op_box):
    """The routes that are not the straight two-point route the page draws by default (the
    child's record's right side to the parent's op ellipse, or its record): (edge ids, pointer
    into the point array (in floats), flat points)."""
    E = len(edges)
    if not E:
        return np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0)
    count = np.diff(ptr) // 2
    a, b = edges[:, 0], edges[:, 1]
    sx = lay.x[a] + lay.w[a] / 2
    sy = lay.y[a]
    has = np.isfinite(lay.op_x[b])
    ex = np.where(has, lay.op_x[b] - lay.op_w[b] / 2, lay.x[b] - lay.w[b] / 2)
    ey = np.where(has, lay.op_y[b], lay.y[b])
    straight = count == 2
    first = ptr[:-1]
    two = np.flatnonzero(straight)
    ok = np.zeros(E, dtype=bool)
    ok[two] = ((np.abs(pts[first[two]] - sx[two]) < 0.01) & (np.abs(pts[first[two] + 1] - sy[two]) < 0.01)
               & (np.abs(pts[first[two] + 2] - ex[two]) < 0.01) & (np.abs(pts[first[two] + 3] - ey[two]) < 0.01))
    keep = np.flatnonzero(~ok)
    if not len(keep):
        return keep, np.zeros(1, np.int64), np.zeros(0)
    lens = (ptr[keep + 1] - ptr[keep])
    idx = np.concatenate([np.arange(ptr[k], ptr[k + 1]) for k in keep.tolist()])
    return keep, np.concatenate([[0], np.cumsum(lens)]), pts[idx]


def _as_slots(g, edges):
    """For a view of every value: the operand-slot id (position in ``child_ids``) of each edge,
    if the edges are exactly one per slot; else None."""
    n = len(g)
    cp = np.asarray(g.child_ptr, dtype=np.int64)
    key = np.asarray(g.child_ids, dtype=np.int64) * n + np.repeat(np.arange(n, dtype=np.int64), np.diff(cp))
    ekey = edges[:, 0] * n + edges[:, 1] if len(edges) else np.zeros(0, np.int64)
    if len(ekey) != len(key):
        return None
    o_slot, o_edge = np.argsort(key, kind="stable"), np.argsort(ekey, kind="stable")
    if not np.array_equal(key[o_slot], ekey[o_edge]):
        return None
    slot = np.empty(len(ekey), dtype=np.int64)
    slot[o_edge] = o_slot
    return slot


def _decode_view(view, g):
    """The `_view` trait as plain lists (see ``GraphWidget.drawing``)."""
    def num(x, dtype=np.float32):
        if isinstance(x, dict):
            return np.asarray(x["table"], dtype=np.float64)[np.frombuffer(x["index"], dtype=x["dtype"])].tolist()
        return np.frombuffer(x, dtype=dtype).tolist()

    def col(c):
        return [c["table"][k] for k in np.frombuffer(c["index"], dtype=c["dtype"])]

    n = view["n"]
    out = {k: num(view[k]) for k in ("box_x", "box_y", "box_w", "box_h", "op_x", "op_y", "op_w", "op_h")}
    out["width"], out["height"] = view["width"], view["height"]
    cp = np.asarray(g.child_ptr)
    if view["identity"]:
        out.update(box_node=list(range(n)), box_group=[""] * n, box_size=[1] * n, box_multi=[0] * n,
                   box_title=col(view["box_title"]) if "box_title" in view else list(g.labels))
    else:
        out.update(box_node=num(view["box_node"], np.int32), box_group=col(view["box_group"]),
                   box_title=col(view["box_title"]), box_size=num(view["box_size"], np.int32),
                   box_multi=num(view["box_multi"], np.int32))
    if view["op_box"] is None:
        out["op_box"] = np.flatnonzero(np.diff(cp) > 0).tolist()
        out["op_name"] = col(view["op_name"]) if "op_name" in view else [g.ops[i] for i in out["op_box"]]
    else:
        out["op_box"] = num(view["op_box"], np.int32)
        out["op_name"] = col(view["op_name"])
    if view.get("edges", 0) is None:
        out["edge_src"] = np.asarray(g.child_ids).tolist()
        out["edge_dst"] = np.repeat(np.arange(len(g)), np.diff(cp)).tolist()
    else:
        out["edge_src"], out["edge_dst"] = num(view["edge_src"], np.int32), num(view["edge_dst"], np.int32)
    routes = dict(zip(num(view["route_edge"], np.int32), zip(num(view["route_ptr"], np.int32)[:-1],
                                                              num(view["route_ptr"], np.int32)[1:])))
    rp = num(view["route_pts"])
    out["edge_pts"] = [rp[routes[k][0]:routes[k][1]] if k in routes else None for k in range(len(out["edge_src"]))]
    out["collapsed"], out["expanded"] = view["collapsed"], view["expanded"]
    return out


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
    key, count = np.unique(src * n + np.repeat(np.arange(n, dtype=np.int64), np.diff(cp)), return_counts=True)
    mult = np.ones(len(edges), dtype=np.int64)
    if len(edges) and (count > 1).any():
        box_of = np.asarray(v.box_of, dtype=np.int64)
        single = ~np.asarray(v.is_group, dtype=bool)
        want = {}
        for k, c in zip(key[count > 1].tolist(), count[count > 1].tolist()):
            a, b = box_of[k // n], box_of[k % n]
            if single[a] and single[b]:
                want[(int(a), int(b))] = c
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


def _jnum(x):
    """A float for a JSON trait: NaN and infinities as the strings "NaN", "Infinity", "-Infinity"
    (JSON has no such numbers; the page reads them back with Number())."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


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
