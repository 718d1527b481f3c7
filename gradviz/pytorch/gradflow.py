"""Gradient flow: how big the gradient of each parameter and each layer is, beside its weights.

Vanishing and exploding gradients show as a steady fall or rise of the gradient norm from the last
layer to the first; a layer whose ``‖∇W‖ / ‖W‖`` is orders of magnitude below the others barely
learns. ``gradient_flow(model)`` reads the ``.grad`` of a PyTorch model after ``backward()``;
``capture_torch(...).gradient_flow()`` gives the same from a recorded run. Either is a table in a
notebook and a plot with ``.plot()`` (matplotlib, optional).
"""
from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import matplotlib.axes
    import torch

__all__ = ["gradient_flow", "GradientFlow", "ParamFlow", "LayerFlow"]


class ParamFlow(NamedTuple):
    """One parameter: dotted name, layer (its module path), shape, ‖W‖, ‖∇W‖ and their ratio."""

    name: str
    layer: str
    shape: tuple
    weight_norm: float
    grad_norm: float
    ratio: float


class LayerFlow(NamedTuple):
    """One layer (module): its parameters' combined norms (root of the sum of squares), and the
    norm of the gradient that reached the layer's output (NaN unless a capture recorded it)."""

    layer: str
    params: tuple
    weight_norm: float
    grad_norm: float
    ratio: float
    out_grad_norm: float = math.nan


def _ratio(g, w):
    if math.isnan(g) or math.isnan(w):
        return math.nan
    return g / w if w else (math.inf if g else math.nan)


def _fmt(x):
    return "—" if math.isnan(x) else f"{x:.3g}"


class GradientFlow:
    """Gradient norms per parameter (``params``) and per layer (``layers``), in model order.

    ``str()`` and ``summary()`` say what the norms show; in a notebook it is a table with a bar
    per layer on a log scale; ``plot()`` draws the same with matplotlib.
    """

    def __init__(self, rows: Iterable[tuple[str, Sequence[int], float, float]],
                 out_grads: Mapping[str, float] | None = None) -> None:
        out_grads = out_grads or {}
        params = []
        for name, shape, wn, gn in rows:
            layer = name.rsplit(".", 1)[0] if "." in name else "(model)"
            params.append(ParamFlow(name, layer, tuple(shape), float(wn), float(gn),
                                    _ratio(float(gn), float(wn))))
        if not params:
            raise ValueError("no parameters to show: the model has none with a gradient")
        self.params = params
        by = {}
        for p in params:
            by.setdefault(p.layer, []).append(p)
        self.layers = []
        for layer, ps in by.items():
            w = math.sqrt(sum(p.weight_norm ** 2 for p in ps))
            g = math.sqrt(sum(p.grad_norm ** 2 for p in ps))
            self.layers.append(LayerFlow(layer, tuple(p.name for p in ps), w, g, _ratio(g, w),
                                         float(out_grads.get(layer, math.nan))))
        # the gradient reaching each layer's output shows the flow itself; weight gradients also
        # scale with the layer's input, which can hide it (small tanh weights: both shrink)
        self.uses_outputs = all(math.isfinite(l.out_grad_norm) for l in self.layers)

    def _norm(self, l):
        return l.out_grad_norm if self.uses_outputs else l.grad_norm

    def summary(self) -> str:
        """One paragraph: the spread of layer gradient norms and which way they fall (the
        gradients reaching the layers' outputs when recorded, else the weight gradients)."""
        what = "gradient norms at the layers' outputs" if self.uses_outputs else "layer gradient norms"
        ls = [l._replace(grad_norm=self._norm(l)) for l in self.layers if math.isfinite(l.grad_norm)]
        bad = [l.layer for l in self.layers if not math.isfinite(l.grad_norm)]
        lines = []
        if bad:
            lines.append(f"no finite gradient in {', '.join(bad)} (NaN/inf, or backward never reached it)")
        zero = [l.layer for l in ls if l.grad_norm == 0]
        if zero:
            lines.append(f"zero gradient in {', '.join(zero)}: these layers do not learn")
        live = [l for l in ls if l.grad_norm > 0]
        if len(live) >= 2:
            first, last = live[0], live[-1]
            big = max(live, key=lambda l: l.grad_norm)
            small = min(live, key=lambda l: l.grad_norm)
            spread = big.grad_norm / small.grad_norm
            change = first.grad_norm / last.grad_norm
            lines.append(f"{what} span a factor of {spread:.3g}, from {small.grad_norm:.3g} "
                         f"({small.layer}) to {big.grad_norm:.3g} ({big.layer})")
            if change < 1e-2:
                lines.append(f"gradients vanish toward the input: the first layer, {first.layer}, "
                             f"gets {1 / change:.3g}x less gradient than the last, {last.layer}")
            elif change > 1e2:
                lines.append(f"gradients explode toward the input: the first layer, {first.layer}, "
                             f"gets {change:.3g}x more gradient than the last, {last.layer}")
            else:
                lines.append("no vanishing or exploding gradient: the first and last layers are "
                             f"within a factor of {max(change, 1 / change):.3g}")
        return "; ".join(lines) if lines else "one layer: nothing to compare"

    def __str__(self):
        w = max(len(l.layer) for l in self.layers)
        out = [self.summary(), f"{'layer':<{w}}  {'‖∇out‖':>10}  {'‖W‖':>10}  {'‖∇W‖':>10}  {'‖∇W‖/‖W‖':>10}"]
        for l in self.layers:
            out.append(f"{l.layer:<{w}}  {_fmt(l.out_grad_norm):>10}  {_fmt(l.weight_norm):>10}  "
                       f"{_fmt(l.grad_norm):>10}  {_fmt(l.ratio):>10}")
        return "\n".join(out)

    def __repr__(self):
        return f"<GradientFlow of {len(self.params)} parameters in {len(self.layers)} layers>"

    def _bar(self, x, lo, hi):
        if not (math.isfinite(x) and x > 0):
            return ""
        frac = 1.0 if hi <= lo else (math.log10(x) - lo) / (hi - lo)
        px = 4 + round(156 * max(0.0, min(1.0, frac)))
        return f'<div style="background:#6d28d9;height:10px;width:{px}px"></div>'

    def _repr_html_(self):
        esc = html.escape
        finite = [x for l in self.layers for x in (l.grad_norm, l.out_grad_norm) if math.isfinite(x) and x > 0]
        finite += [p.grad_norm for p in self.params if math.isfinite(p.grad_norm) and p.grad_norm > 0]
        lo = math.log10(min(finite)) if finite else 0.0
        hi = math.log10(max(finite)) if finite else 1.0
        td = '<td style="padding:2px 8px;text-align:right;font-family:monospace">'
        tdl = '<td style="padding:2px 8px;text-align:left;font-family:monospace">'
        th = '<th style="padding:2px 8px">'

        def table(caption, head, rows):
            return (f'<table style="border-collapse:collapse;margin:4px 0"><caption style="text-align:left;'
                    f'font-weight:bold">{esc(caption)}</caption><thead><tr>'
                    + "".join(f"{th}{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"
                    + "".join(rows) + "</tbody></table>")

        layer_rows = [f"<tr>{tdl}{esc(l.layer)}</td>{td}{len(l.params)}</td>{td}{_fmt(l.out_grad_norm)}</td>"
                      f"{td}{_fmt(l.weight_norm)}</td>{td}{_fmt(l.grad_norm)}</td>{td}{_fmt(l.ratio)}</td>"
                      f"{tdl}{self._bar(self._norm(l), lo, hi)}</td></tr>" for l in self.layers]
        bar = "‖∇out‖" if self.uses_outputs else "‖∇W‖"
        param_rows = [f"<tr>{tdl}{esc(p.name)}</td>{tdl}{esc('×'.join(map(str, p.shape)) or 'scalar')}</td>"
                      f"{td}{_fmt(p.weight_norm)}</td>{td}{_fmt(p.grad_norm)}</td>{td}{_fmt(p.ratio)}</td>"
                      f"{tdl}{self._bar(p.grad_norm, lo, hi)}</td></tr>" for p in self.params]
        return ('<div class="gradviz-gradient-flow">'
                f"<p><b>gradient flow</b>: {esc(self.summary())}</p>"
                + table("per layer (first to last); ‖∇out‖: gradient reaching the layer's output",
                        ["layer", "params", "‖∇out‖", "‖W‖", "‖∇W‖", "‖∇W‖/‖W‖", f"{bar} (log scale)"],
                        layer_rows)
                + "<details><summary>per parameter</summary>"
                + table("per parameter", ["parameter", "shape", "‖W‖", "‖∇W‖", "‖∇W‖/‖W‖",
                                          "‖∇W‖ (log scale)"], param_rows)
                + "</details></div>")

    def plot(self, ax: matplotlib.axes.Axes | None = None) -> matplotlib.axes.Axes:
        """Per layer: ‖∇W‖ (bars), the gradient reaching the output and ‖∇W‖/‖W‖ (lines), on a
        log scale, first layer on the left.
        Draws into ``ax`` (a matplotlib Axes) or a new figure; returns the Axes."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError('GradientFlow.plot needs matplotlib: pip install "gradviz-explorer[plot]" '
                              "(the table needs nothing)") from None
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.5 * len(self.layers) + 2) + 2.6, 3.2))
        xs = range(len(self.layers))
        def pos(x):
            return x if x > 0 else math.nan
        # the bars get their own log axis, fitted to them: on the lines' axis, which spans the
        # ratios' orders of magnitude, 0.24 and 0.61 would look the same height
        bars = [pos(l.grad_norm) for l in self.layers]
        ok = [b for b in bars if math.isfinite(b)]
        floor = min(ok) / 2.0 if ok else 1.0
        bx = ax.twinx()
        bx.set_yscale("log")
        bx.bar(xs, [b - floor if math.isfinite(b) else b for b in bars], bottom=floor, color="#c4b5fd",
               label="‖∇W‖ (bars, right axis)")
        if ok:
            bx.set_ylim(floor, max(ok) * 1.25)
            marks = sorted(set(ok))
            bx.set_yticks(marks, [f"{v:.3g}" for v in marks])  # each bar's value, on the right
            bx.minorticks_off()
        bx.set_ylabel("‖∇W‖")
        ax.set_zorder(bx.get_zorder() + 1)  # the lines over the bars
        ax.patch.set_visible(False)
        if any(math.isfinite(l.out_grad_norm) for l in self.layers):
            ax.plot(xs, [pos(l.out_grad_norm) for l in self.layers], "s-", color="#6d28d9",
                    label="‖∇out‖ (reaching the layer's output)")
        ax.plot(xs, [pos(l.ratio) for l in self.layers], "o--", color="#a16207", label="‖∇W‖ / ‖W‖")
        ax.set_yscale("log")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([l.layer for l in self.layers], rotation=45, ha="right")
        ax.set_title("gradient flow (first layer left)")
        handles = ax.get_legend_handles_labels()
        more = bx.get_legend_handles_labels()
        # beside the plot, where it covers no bar
        ax.legend(handles[0] + more[0], handles[1] + more[1], loc="upper left",
                  bbox_to_anchor=(1.3, 1.0), fontsize="small", borderaxespad=0.0)
        ax.figure.tight_layout()
        return ax


def gradient_flow(model: torch.nn.Module) -> GradientFlow:
    """The gradient flow of a PyTorch model from its parameters' ``.grad`` (after backward()).

    Parameters without a grad (frozen, or unused) show "—". For a recorded run use
    ``capture_torch(model).gradient_flow()``, which reads the gradients the capture saw.
    """
    try:
        import torch
    except ImportError:
        raise ImportError('gradient_flow needs PyTorch: pip install "gradviz-explorer[torch]"') from None
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"gradient_flow takes a torch.nn.Module, got {type(model).__name__!r}")
    rows = []
    with torch.no_grad():
        for name, p in model.named_parameters():
            g = p.grad
            rows.append((name, list(p.shape), float(torch.linalg.vector_norm(p.detach().double())),
                         math.nan if g is None else float(torch.linalg.vector_norm(g.double()))))
    return GradientFlow(rows)
