"""Layout benchmark: the 66k-node moons loss graph laid out in full and as the widget's grouped
view, re-layouts after expanding a group, and a lecture-size graph (also drawn to SVG).

Targets: full layout of the 66k-node graph <= 3 s; a view's re-layout (group_view + layout)
<= 0.5 s. There is no system Graphviz to compare against (gradviz must not need one), so the
figures are printed against the targets; the trace time of the same graph is shown for scale.
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import workload as w  # noqa: E402

TARGET_FULL = 3.0
TARGET_VIEW = 0.5


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def verdict(t, target):
    return f"{t / target:5.2f}x of target {target:g} s {'OK' if t <= target else 'MISSED'}"


def main(repeats=5):
    from gradviz import MLP, mse_loss
    from gradviz.draw.layout import group_view, layout
    from gradviz.draw.render import to_svg
    from gradviz.graph import trace

    X, y = w.moons()
    loss = w.gradviz_loss(w.gradviz_model(), X, y)
    loss.backward()
    t_trace, g = median_time(lambda: trace(loss), 3)
    layout(g)  # warm up (also caches the graph's edge arrays, as the widget's first draw does)
    t_full, lay = median_time(lambda: layout(g), repeats)
    t_value, _ = median_time(lambda: layout(loss), 3)  # from the Value: trace included
    t_auto, lay_auto = median_time(lambda: layout(group_view(g, "auto")), repeats)
    view = lay_auto.view
    sample = next(k for k in view.collapsed if k.startswith("MLP#"))
    expanded = [k for k in view.collapsed if k != sample]
    t_expand, lay_exp = median_time(lambda: layout(group_view(g, expanded)), repeats)
    layers = [k for k in view.collapsed if k != sample] + [f"{sample}/layers.{i}" for i in range(3)]
    t_layers, lay_layers = median_time(lambda: layout(group_view(g, layers)), repeats)

    print(f"layout: moons loss graph, {len(g):,} nodes (trace {t_trace * 1e3:.0f} ms)")
    print(f"  full layout ({lay.mode})       {t_full:6.3f} s  {verdict(t_full, TARGET_FULL)}"
          f"   [{lay.width:,.0f} x {lay.height:,.0f} px]")
    print(f"  full, from the Value     {t_value:6.3f} s  {verdict(t_value, TARGET_FULL)}")
    print(f"  auto view                {t_auto:6.3f} s  {verdict(t_auto, TARGET_VIEW)}"
          f"   [{len(view)} boxes, {lay_auto.mode}]")
    print(f"  expand one sample        {t_expand:6.3f} s  {verdict(t_expand, TARGET_VIEW)}"
          f"   [{len(lay_exp)} boxes, {lay_exp.mode}]")
    print(f"  sample -> its 3 layers   {t_layers:6.3f} s  {verdict(t_layers, TARGET_VIEW)}"
          f"   [{len(lay_layers)} boxes, {lay_layers.mode}]")

    random.seed(0)
    m = MLP(3, [4, 4, 1])
    xs = [[random.uniform(-1, 1) for _ in range(3)] for _ in range(20)]
    small = mse_loss([m(x) for x in xs], [1.0] * 20, reduction="sum")
    small.backward()
    gs = trace(small)
    t_small, lay_small = median_time(lambda: layout(gs), repeats)
    t_svg, svg = median_time(lambda: to_svg(gs), 3)
    print(f"  lecture-size MLP(3,[4,4,1]) on 20 samples, {len(gs):,} nodes: layout {t_small:.3f} s "
          f"({lay_small.mode}), to_svg {t_svg:.3f} s ({len(svg) / 1e3:,.0f} kB)")
    return dict(full=t_full, auto=t_auto, expand=t_expand, lecture=t_small)


if __name__ == "__main__":
    main()
