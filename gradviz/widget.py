"""``GraphWidget``: the notebook explorer of a computation graph (anywidget).

The kernel owns the graph: a ``Tape`` re-runs forward and backward on every nudge and writes the
results back into the Values, so the Values always hold what the page shows. The page gets the
structure once (JSON traits) and the values as float64 byte buffers after every change; it draws,
and sends nudges back as messages. Every piece of state is a plain synced trait, so a saved notebook
or an exported HTML page shows the last picture without a kernel.
"""
from __future__ import annotations

import difflib
import math
import pathlib
from numbers import Real

import numpy as np

_STATIC = pathlib.Path(__file__).parent / "static"
if not (_STATIC / "widget.js").is_file() or not (_STATIC / "widget.css").is_file():
    raise ImportError(f"the widget bundle is missing from {_STATIC}: build it with "
                      f"`cd js && npm ci && npm run build` (from a clone of gradviz), or reinstall gradviz")

import anywidget  # noqa: E402
import traitlets as t  # noqa: E402

from .graph import as_graph  # noqa: E402

__all__ = ["GraphWidget"]

NUDGEABLE = ("input", "parameter")  # leaf kinds that get a slider and a number box in the page
_READONLY = "read-only: this graph comes from PyTorch, so it cannot be re-run here"
_NO_VALUES = "read-only: this graph has no live Values (it was loaded from JSON), so nothing can be re-run"


class GraphWidget(anywidget.AnyWidget):
    """Draw ``x`` (a root Value, or a Graph) and let the user nudge its leaves.

    ``height``: the most pixels the drawing takes (a short graph takes less). ``collapsed``: ``"auto"`` folds big graphs by module scope
    (sample, layer, neuron) to a few hundred boxes; ``None`` draws every value; a list of scope
    prefixes folds exactly those. ``show_grads``: draw the grad cell of each record.
    ``local_replay``: on graphs of up to 2000 nodes the page also runs forward and backward itself
    (the engine's formulas) and repaints a nudge at once; the kernel's answer, authoritative,
    repaints again where it differs. ``False`` shows only the kernel's values.
    Construction runs forward and backward once, so every grad is d(root)/d(node).
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
    # Raised by the page each time it gets the answer to a change made there (nudge, step, reset):
    # a state update from the page, which makes marimo re-run the cells that read the widget.
    nudges = t.Int(0).tag(sync=True)

    def __init__(self, x, height=420, collapsed="auto", show_grads=True, local_replay=True, **kwargs):
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
        self._by_value = None
        if self.readonly:
            self._cur = (np.array(g.data, dtype=np.float64), np.array(g.grad, dtype=np.float64))
        else:
            try:
                self._cur = self._run(None)
            except Exception as e:  # the graph's current values cannot be replayed: show as they are
                self._cur = (np.array(g.data, dtype=np.float64), np.array(g.grad, dtype=np.float64))
                self.error = _message(e)
        self._init = self._cur[0].copy()
        self._collapsed = collapsed
        self._expanded = set()
        ptr = np.asarray(g.child_ptr, dtype=np.int32)
        idx = np.asarray(g.child_ids, dtype=np.int32)
        with self.hold_sync():
            self._structure = {
                "version": 1, "n": n, "root": n - 1, "source": g.source,
                "labels": _coded(g.labels), "ops": _coded(g.ops), "kinds": _coded(g.kinds),
                "scopes": _coded(g.scopes), "controls": self._controls,
                "control_init": [float(self._init[i]) for i in self._controls],
                "readonly": self._readonly_reason if self.readonly else "",
                **_tensor_texts(g),
            }
            self._child_ptr = ptr.tobytes()
            self._child_idx = idx.tobytes()
            self._publish()
            self._view = self._make_view()
        self._initial_collapsed = list(self._collapsed)
        self.on_msg(self._on_msg)

    # ---- values -------------------------------------------------------------------------------

    @property
    def data(self):
        """Current data of every node (a copy), indexed by node id."""
        return self._cur[0].copy()

    @property
    def grad(self):
        """Current grad of every node (a copy), indexed by node id."""
        return self._cur[1].copy()

    def _run(self, data):
        d, g = self._tape.run(write_back=True, data=data)
        return np.array(d, dtype=np.float64), np.array(g, dtype=np.float64)

    def _publish(self):
        self._data = self._cur[0].tobytes()
        self._grad = self._cur[1].tobytes()

    def _apply(self, changes, what):
        """Set leaves (id -> new data), re-run forward and backward, publish. All or nothing."""
        if self.readonly:
            raise RuntimeError(f"this widget is {self._readonly_reason}")
        data, grad = self._cur
        new = data.copy()
        ids = np.fromiter(changes, dtype=np.int64, count=len(changes))
        new[ids] = [changes[i] for i in changes]
        root = len(data) - 1
        try:
            cur = self._run(new)
        except Exception as e:
            self._restore()
            self.error = _message(e)
            raise
        delta = new[ids] - data[ids]
        self._cur = cur
        with self.hold_sync():
            self._publish()
            self.error = ""
            self.last_nudge = {
                "kind": what[0], "what": what[1],
                "before": float(data[root]), "after": float(cur[0][root]),
                "predicted": float(np.dot(grad[ids], delta)), "actual": float(cur[0][root] - data[root]),
            }

    def _restore(self):
        """Put the last good values back into the Values (a failed run must leave no trace)."""
        vals = self.graph.values
        d, g = self._cur
        for i, v in enumerate(vals):
            v.data = float(d[i])
            v.grad = float(g[i])

    def _resolve(self, leaf):
        """Node id of a leaf given as a Value, a label, or an id."""
        g = self.graph
        if hasattr(leaf, "data") and hasattr(leaf, "_prev"):
            if self._by_value is None:
                self._by_value = {id(v): i for i, v in enumerate(g.values or ())}
            i = self._by_value.get(id(leaf))
            if i is None:
                raise ValueError(f"{leaf!r} is not in this widget's graph; pass one of its leaves, e.g. "
                                 f"{_names(g, self._controls[:5])}")
        elif isinstance(leaf, str):
            hits = [i for i, lab in enumerate(g.labels) if lab == leaf]
            if not hits:
                close = difflib.get_close_matches(leaf, sorted({g.labels[i] for i in range(len(g)) if self._leaf[i] and g.labels[i]}), n=5)
                hint = f"close matches: {', '.join(map(repr, close))}" if close else f"leaves: {_names(g, self._controls[:8])}"
                raise KeyError(f"no node labelled {leaf!r} in this graph; {hint}")
            leaves = [i for i in hits if self._leaf[i]]
            if len(leaves) > 1:
                raise KeyError(f"{len(leaves)} leaves are labelled {leaf!r} (ids {leaves[:8]}); "
                               f"pass the Value itself, or give them distinct labels")
            if not leaves:
                i = hits[0]
                raise ValueError(f"{leaf!r} is computed by {g.ops[i]!r}, not a leaf; nudge one of the leaves "
                                 f"it depends on instead")
            i = leaves[0]
        elif isinstance(leaf, (int, np.integer)) and not isinstance(leaf, bool):
            i = int(leaf)
            if not 0 <= i < len(g):
                raise IndexError(f"node id {i} out of range: the graph has ids 0..{len(g) - 1}")
        else:
            raise TypeError(f"leaf must be a Value, a label (str) or a node id (int), got {type(leaf).__name__!r}")
        if not self._leaf[i]:
            raise ValueError(f"{_names(g, [i])} is computed by {g.ops[i]!r}, not a leaf; nudge one of the "
                             f"leaves it depends on instead")
        return i

    def nudge(self, leaf, delta):
        """Add ``delta`` to a leaf's data (a Value, its label, or its id), then re-run forward and
        backward. On failure (e.g. log of a negative) the error shows in the page, every value stays
        as it was, and the error is raised."""
        i = self._resolve(leaf)
        delta = _finite(delta, "delta")
        self._apply({i: float(self._cur[0][i]) + delta}, ("nudge", f"{_names(self.graph, [i])} {delta:+g}"))

    def set(self, leaf, value):
        """Set a leaf's data to ``value`` and re-run forward and backward (see ``nudge``)."""
        i = self._resolve(leaf)
        value = _finite(value, "value")
        self._apply({i: value}, ("set", f"{_names(self.graph, [i])} = {value:g}"))

    def step(self, lr=0.01):
        """One gradient step on every input and parameter: ``data -= lr * grad``.

        A positive ``lr`` moves down the gradient (lowers the output, like training); a negative one
        moves up."""
        lr = _finite(lr, "lr")
        d, g = self._cur
        ids = self._controls
        self._apply({i: float(d[i] - lr * g[i]) for i in ids}, ("step", f"step {'down' if lr >= 0 else 'up'}, size {abs(lr):g}"))

    def reset(self):
        """Every leaf back to its value at construction; forward and backward re-run."""
        leaves = np.flatnonzero(self._leaf)
        self._apply({int(i): float(self._init[i]) for i in leaves}, ("reset", "reset"))

    def save_html(self, path, *, title=None):
        """Save this widget, as it is now, as one self-contained HTML page that readers can nudge
        in their browser without Python (see ``gradviz.to_html``). Returns the page's text."""
        from .standalone import to_html
        return to_html(self, path, title=title)

    # ---- the drawn view ------------------------------------------------------------------------

    def _make_view(self):
        """The `_view` trait: boxes, op ellipses and edge routes of the current (collapsed) view."""
        from .layout import layout, short_label
        lay = layout(self.graph, collapsed=self._collapsed)
        v = lay.view
        self._collapsed = list(v.collapsed)  # "auto" resolved
        has_op = np.isfinite(lay.op_x)
        op_box = np.flatnonzero(has_op)
        ptr = np.asarray(lay.route_ptr, dtype=np.int64)
        pts = np.asarray(lay.route_xy, dtype=np.float64).ravel()
        multi = np.where(v.is_group & (v.n_outputs != 1), v.n_outputs, 0)
        return {
            "width": round(lay.width, 2), "height": round(lay.height, 2),
            "box_x": _floats(lay.x), "box_y": _floats(lay.y), "box_w": _floats(lay.w), "box_h": _floats(lay.h),
            "box_node": v.node.tolist(), "box_group": list(v.keys), "box_size": v.count.tolist(),
            "box_title": [short_label(t) for t in v.labels], "box_multi": multi.tolist(),
            "op_box": op_box.tolist(), "op_x": _floats(lay.op_x[op_box]), "op_y": _floats(lay.op_y[op_box]),
            "op_w": _floats(lay.op_w[op_box]), "op_h": _floats(lay.op_h[op_box]),
            "op_name": [short_label(v.ops[b]) for b in op_box.tolist()],
            "edge_src": lay.edges[:, 0].tolist() if len(lay.edges) else [],
            "edge_dst": lay.edges[:, 1].tolist() if len(lay.edges) else [],
            "edge_ptr": (ptr * 2).tolist(), "edge_pts": _floats(pts),
            "collapsed": list(v.collapsed), "expanded": sorted(self._expanded),
        }

    def _subscopes(self, key):
        """Scope prefixes one level below ``key`` (what expanding ``key`` shows as groups)."""
        depth = key.count("/") + 1
        out = set()
        for s in set(self.graph.scopes):
            if s.startswith(key + "/"):
                out.add("/".join(s.split("/")[:depth + 1]))
        return sorted(out)

    def expand(self, key):
        """Open group ``key`` (e.g. ``"MLP#7"``): its sub-scopes (layers, then neurons) show as
        groups, a neuron shows its values."""
        if key not in self._collapsed:
            raise KeyError(f"{key!r} is not a collapsed group; collapsed: {', '.join(self._collapsed[:6])}"
                           f"{', ...' if len(self._collapsed) > 6 else ''}")
        keep = [k for k in self._collapsed if k != key]
        new = keep + [s for s in self._subscopes(key) if s not in keep] if not key.startswith("fold:") else keep
        self._set_collapsed(new, expanded=self._expanded | {key})

    def collapse(self, key):
        """Fold every value whose scope starts with ``key`` (and the groups inside it) into one box."""
        if not isinstance(key, str) or not key or not (key.startswith("fold:") or any(
                s == key or s.startswith(key + "/") for s in set(self.graph.scopes))):
            raise KeyError(f"no value of this graph is in scope {key!r}")
        new = [k for k in self._collapsed if k != key and not k.startswith(key + "/")] + [key]
        self._set_collapsed(new, expanded={k for k in self._expanded if k != key and not k.startswith(key + "/")})

    def _set_collapsed(self, keys, expanded):
        old = (self._collapsed, self._expanded)
        self._collapsed, self._expanded = keys, expanded
        try:
            self._view = self._make_view()
        except Exception:
            self._collapsed, self._expanded = old
            raise

    @property
    def collapsed(self):
        """The group keys currently folded (see ``gradviz.layout.GroupView``)."""
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
                    what = f"{_names(self.graph, [i])} = {v:g}"
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


def _coded(column):
    """A string column as {"table": distinct strings, "index": int32 bytes}: few distinct strings
    (ops, kinds, scopes, mostly-empty labels) travel small, and as one binary buffer."""
    table = sorted(set(column))
    code = {s: k for k, s in enumerate(table)}
    return {"table": table, "index": np.fromiter(map(code.__getitem__, column), dtype=np.int32,
                                                 count=len(column)).tobytes()}


def _floats(a):
    return [round(float(v), 2) for v in a]


def _finite(x, what):
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


def _names(g, ids):
    return ", ".join(repr(g.labels[i]) if g.labels[i] else f"node {i}" for i in ids)


def _message(e):
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
