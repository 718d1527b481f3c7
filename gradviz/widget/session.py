"""The per-widget session: how a GraphWidget's changes meet the Values in Python.

Before every change the session reads the leaves as Python has them (``_take_leaves``), re-runs
forward and backward, writes the Values and publishes (``_apply``); ``refresh()`` re-reads every
node, at most ~20 times a second; widgets over the same Values follow each other's changes; after
each notebook cell a widget whose Values changed behind its back tells the page it is stale.
``GraphWidget`` mixes this in; the state it works on is its ``ExplorerState`` (``self._s``).
"""
from __future__ import annotations

import asyncio
import math
import time
import weakref

import numpy as np

from .state import STALE_INSIDE, message
from .steps import steps_of
from .wire import json_number

__all__ = ["Session", "REFRESH_INTERVAL", "FOLLOW_DELAY", "FOLLOW_MAX"]

REFRESH_INTERVAL = 0.05  # s: refresh() sends at most ~20 pictures a second; the last call always goes
FOLLOW_DELAY = 0.1  # s: widgets sharing Values repaint this long after a change made through another
FOLLOW_MAX = 20_000  # nodes: a bigger widget sharing Values says it is stale instead of repainting
_LIVE = weakref.WeakSet()  # open widgets over gradviz Values: they follow each other's changes
_STALE = ("Python changed these Values after this picture was drawn: refresh() on this widget redraws "
          "it; a nudge here starts from Python's values")
_STALE_OTHER = ("another widget changed these Values after this picture was drawn: refresh() on this "
                "widget redraws it; a nudge here starts from Python's values")


class Session:
    """The bookkeeping of one live widget (a mixin of ``GraphWidget``: it sets the widget's traits)."""

    def _start_session(self):
        self._pending = False  # a refresh() waits for its turn (see REFRESH_INTERVAL)
        self._follow_due = None  # what another widget changed, while this one waits to show it
        self._sent_at = -math.inf
        g = self._s.graph
        self._leaf_keys = (frozenset() if self._s.readonly else
                           frozenset(id(g.values[i]) for i in np.flatnonzero(self._s.leaf).tolist()))
        if g.values is not None:  # a read-only widget over live Values follows Python too
            _LIVE.add(self)
            _watch_cells()

    def _end_session(self):
        _LIVE.discard(self)

    def _publish(self, inside_stale=False):
        self._data, self._grad = self._s.values()
        if self._s.ref_tape is not None:
            self._ref_grad, self._marks, self.reference = self._s.reference_traits()
        if getattr(self, "_steps_on", False):  # the Backprop mode's steps follow the values
            self._steps = steps_of(self._s.graph)
        self._s.inside_stale = inside_stale
        self._stale = STALE_INSIDE if inside_stale else ""
        self._pending = False
        self._sent_at = time.perf_counter()

    def _take_leaves(self):
        """Before a change: the picture this widget starts from, with the leaves as Python has them
        now. Leaves changed outside this widget become what reset() returns to. A picture whose
        intermediates are not what its leaves give (see ``refresh``) is recomputed from the leaves,
        so every number of the change comes from one consistent state."""
        self._flush()
        data, grad = self._s.cur
        leaves = self._s.tape.leaves
        now = np.array(self._s.tape._read_leaves()[0], dtype=np.float64)
        moved = ~same(now, data[leaves])
        if not moved.any() and not self._s.inside_stale:
            return data, grad
        self._s.init[leaves[moved]] = now[moved]
        new = data.copy()
        new[leaves] = now
        try:  # the picture the Values stand for: forward and backward from Python's leaves
            return self._s.tape.run(write_back=False, data=new)
        except Exception:  # Python's leaves cannot be replayed: start from them as they are
            return new, grad

    def _apply(self, changes, what):
        """Set leaves (id -> new data) on top of Python's current leaves, re-run forward and
        backward, write into the Values, publish. All or nothing: a failing run changes nothing."""
        self._check_open()
        if self.readonly:
            raise RuntimeError(f"this widget is {self._s.readonly_reason}")
        data, grad = self._take_leaves()
        new = data.copy()
        ids = np.fromiter(changes, dtype=np.int64, count=len(changes))
        new[ids] = [changes[i](data[i]) if callable(changes[i]) else changes[i] for i in changes]
        root = len(data) - 1
        try:
            cur = self._s.tape.run(write_back=False, data=new)
        except Exception as e:
            self.error = message(e)
            raise
        self._write(cur, ids)
        with np.errstate(all="ignore"):
            predicted = np.dot(grad[ids], new[ids] - data[ids])
            actual = cur[0][root] - data[root]
        self._s.cur = cur
        with self.hold_sync():
            self._publish()
            self.error = ""
            self.last_nudge = {
                "kind": what[0], "what": what[1], "before": json_number(data[root]), "after": json_number(cur[0][root]),
                "predicted": json_number(predicted), "actual": json_number(actual),
            }
        for other in list(_LIVE):
            if other is not self and not other._leaf_keys.isdisjoint(self._leaf_keys):
                other._follow_soon(what[1])

    def _write(self, cur, changed):
        """Write a change into the Values: the changed leaves' data, every other node's recomputed
        data and every grad. The other leaves' data is not written: a thread (or a cell) may have
        moved one since the widget read it, and Python's value stands."""
        keep = self._s.leaf.copy()
        keep[changed] = False
        for v, x, gx, k in zip(self._s.graph.values, cur[0].tolist(), cur[1].tolist(), keep.tolist()):
            if not k:
                v.data = x
            v.grad = gx

    def _flush(self):
        """Send a refresh() that waits for its turn now: what is read or saved is what was asked."""
        if self._pending:
            self._refresh_now()

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
        d, g = self._s.read()
        leaves = np.flatnonzero(self._s.leaf)
        moved = ~same(d[leaves], self._s.cur[0][leaves])
        self._s.init[leaves[moved]] = d[leaves][moved]
        self._s.cur = (d, g)
        with self.hold_sync():
            self._publish()
            self.last_nudge = {"kind": "follow", "what": f"changed by another widget: {what}"}

    def refresh(self, *, recompute: bool = False) -> None:
        """Re-read data and grad of every node exactly as the Values hold them (no forward, no
        backward) and repaint. Cheap enough for every step of a training loop: at most ~20
        pictures a second are sent, and the last call always is (at the latest when the cell ends,
        or when the widget is read or saved).

        When the leaves changed without a forward pass (a training loop that rebuilds its loss
        leaves this widget's graph with new parameters and old intermediates), the picture says
        its inside is stale; ``recompute=True`` runs forward and backward from the leaves instead
        and writes the results into the Values, as a nudge does.
        """
        self._check_open()
        if self._s.tape is None and self._s.graph.values is None:
            raise RuntimeError(f"this widget is {self._s.readonly_reason}: it has no Values to re-read")
        if recompute:
            if self._s.tape is None:
                raise RuntimeError(f"this widget is {self._s.readonly_reason}: it cannot recompute")
            self._refresh_now(recompute=True)
            return
        if time.perf_counter() - self._sent_at < REFRESH_INTERVAL:
            self._pending = True
            return
        self._refresh_now()

    def _refresh_now(self, recompute=False):
        if recompute:
            d, g = self._s.run(None)
            inside_stale = False
        else:
            d, g = self._s.read()
            inside_stale = self._s.stale_inside(d)
        self._s.cur = (d, g)
        self._s.init = d.copy()
        with self.hold_sync():
            self._publish(inside_stale)
            self.error = ""
            self.last_nudge = {"kind": "refresh", "what": "recomputed from Python's leaves" if recompute
                               else "refreshed from Python"}

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
        d, g = self._s.read()
        stale = not (same(d, self._s.cur[0]).all() and same(g, self._s.cur[1]).all())
        notice = _STALE if stale else STALE_INSIDE if self._s.inside_stale else ""
        if self._stale != notice:
            self._stale = notice


def same(a, b):
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
