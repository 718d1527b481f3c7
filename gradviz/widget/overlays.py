"""The explorer's overlays (``GraphWidget(x, overlay="health")``, ``GraphWidget(a, compare=b)``,
and ``to_html`` with the same arguments): computed from the values the page shows and sent in the
``_overlay`` trait as data columns (``gradviz.draw.overlay.wire_overlay``), so a saved notebook
and a standalone page show them without a kernel. The page's Health and Diff buttons set the
``overlay`` trait; a live widget then recomputes health if the shown values moved since."""
from __future__ import annotations

from typing import Any

from ..draw.overlay import Overlay, diff_overlay, health_overlay, wire_overlay
from ..graph.snapshot import Graph

__all__ = ["Overlays", "check_overlay", "source", "SNAPSHOT", "COMPUTE"]

SNAPSHOT = ("read-only: a snapshot (a traced Graph) compared with another graph; its numbers are "
            "the snapshot's. Pass the root Value to nudge it")
COMPUTE = ("health",)  # the overlays a live kernel computes when the page turns them on


def check_overlay(overlay: str | None, compare: Any) -> str | None:
    """The overlay to start with ("health", "diff" or None); a bad request raises ValueError."""
    if overlay not in (None, "", "health", "diff"):
        raise ValueError(f"overlay={overlay!r}: use 'health', 'diff' (with compare=b) or None")
    if overlay == "diff" and compare is None:
        raise ValueError('overlay="diff" needs the graph to compare with: GraphWidget(a, compare=b)')
    return overlay or ("diff" if compare is not None else None)


def source(x: Any, compare: Any) -> Any:
    """What the explorer draws: ``x``, except that a traced Graph compared with another is drawn as
    it was traced (without its Values, which have moved on since)."""
    if compare is not None and isinstance(x, Graph) and x.values is not None:
        return Graph._from_csr(x.labels, x.data, x.grad, x.ops, x.kinds, x.scopes, x.child_ptr, x.child_ids,
                               meta=x.meta, values=None, source=x.source)
    return x


def _shown(s):
    """The explorer state's graph with the values it shows now (what an overlay describes)."""
    g = s.graph
    return Graph._from_csr(g.labels, s.cur[0], s.cur[1], g.ops, g.kinds, g.scopes, g.child_ptr,
                           g.child_ids, meta=g.meta, values=None, source=g.source)


class Overlays:
    """The overlays of one explorer state ``s`` (``widget.state.ExplorerState``): ``made`` (kind ->
    ``draw.overlay.Overlay``) and the values each was computed from."""

    def __init__(self, s: Any, x: Any, kind: str | None, compare: Any) -> None:
        self.s = s
        self.made: dict[str, Overlay] = {}
        self._of = {}
        if compare is not None and source(x, compare) is not x:
            s.readonly_reason = SNAPSHOT
        if compare is not None:
            self.make("diff", compare)
        if kind == "health":
            self.make("health")
        self.kind = kind or ""

    def make(self, kind: str, compare: Any = None) -> None:
        """Compute overlay ``kind`` from the values shown (diff: against ``compare``)."""
        shown = _shown(self.s)
        self.made[kind] = health_overlay(shown) if kind == "health" else diff_overlay(shown, compare)
        self._of[kind] = self.s.cur

    def traits(self) -> dict[str, Any]:
        """The ``overlay`` and ``_overlay`` traits."""
        return {"overlay": self.kind,
                "_overlay": {"compute": list(COMPUTE), **{k: wire_overlay(v) for k, v in self.made.items()}}}

    def turn(self, kind: str) -> str | None:
        """The page (or Python) turned overlay ``kind`` on ("" off): health is recomputed if the
        values moved. Returns why it cannot be shown (the caller shows it and turns it off)."""
        if kind == "health" and self._of.get("health") is not self.s.cur:
            try:
                self.make("health")
            except Exception as e:
                return f"{type(e).__name__}: {e}"
        elif kind == "diff" and "diff" not in self.made:
            return "no graph to compare with: make the widget with GraphWidget(a, compare=b)"
        elif kind not in ("", "health", "diff"):
            return f"unknown overlay {kind!r}: use 'health', 'diff' or ''"
        self.kind = kind
        return None

    def report(self, kind: str) -> Any:
        """The HealthReport or GraphDiff behind overlay ``kind``."""
        if kind not in self.made:
            raise ValueError(f"no {kind or 'active'} overlay: turn one on with w.overlay = 'health' "
                             f"(or make the widget with compare=b for 'diff')")
        return self.made[kind].report
