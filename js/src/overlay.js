// Overlays: gradviz.health and gradviz.diff drawn on the graph. The kernel sends each as data in
// the `_overlay` trait (gradviz/draw/overlay.py, wire_overlay): per node a mark (an index into the
// legend, 255: none) and a layer (an index into the layer names, -1: none), and for hovers the
// health flags (bits) or the diff's relative change. The renderers outline each marked box in its
// legend colour; the legend and the jump to the first NaN live in the overlay bar.

import { typed } from "./decode.js";
import { button, h } from "./dom.js";

export const NONE = 255;

/** One overlay of the trait (`{health: ..., diff: ...}`), decoded; null if absent or not for
 *  a graph of `n` nodes. */
export function decodeOverlay(o, n) {
  if (!o || o.version !== 1) return null;
  const mark = typed(o.mark, Uint8Array);
  if (mark.length !== n) return null;
  const layer = typed(o.layer, Int32Array);
  return {
    kind: o.kind, mark, layer: layer.length === n ? layer : new Int32Array(n).fill(-1),
    layers: o.layers || [], legend: o.legend || [], summary: o.summary || "",
    first: Number.isInteger(o.first) ? o.first : -1, firstText: o.first_text || "",
    flags: o.flags ? typed(o.flags, Uint8Array) : null, flagText: o.flag_text || [],
    rel: o.rel ? typed(o.rel, Float64Array) : null,
  };
}

/** Every overlay the trait holds, by kind. */
export function decodeOverlays(trait, n) {
  const out = {};
  for (const kind of ["health", "diff"]) {
    const ov = trait ? decodeOverlay(trait[kind], n) : null;
    if (ov) out[kind] = ov;
  }
  return out;
}

/** The legend entry of node `i` ({colour, dash, text}) or null. */
export function markOf(ov, i) {
  if (!ov || i < 0 || i >= ov.mark.length) return null;
  const m = ov.mark[i];
  return m === NONE ? null : ov.legend[m] || null;
}

/** A style per box of `scene` (its value's mark; a folded group shows its output's), or null
 *  where unmarked: what the renderers outline. */
export function boxStyles(ov, scene) {
  if (!ov) return null;
  const out = new Array(scene.n).fill(null);
  for (let b = 0; b < scene.n; b++) out[b] = markOf(ov, scene.node[b]);
  return out;
}

/** Hover lines of node `i` under overlay `ov` (none when it is not marked). */
export function overlayTip(ov, i) {
  if (!ov || !markOf(ov, i)) return [];
  const layer = ov.layer[i] >= 0 ? ` (layer ${ov.layers[ov.layer[i]]})` : "";
  if (ov.flags) {
    const f = ov.flags[i], what = [];
    for (let k = 0; k < ov.flagText.length; k++) if (f & (1 << k)) what.push(ov.flagText[k]);
    return [`health: ${what.join(", ")}${layer}`];
  }
  if (ov.rel) return [`diff: relative change ${fmtRel(ov.rel[i])}`];
  return [markOf(ov, i).text];
}

function fmtRel(x) {
  if (Number.isNaN(x)) return "not comparable (NaN)";
  if (!Number.isFinite(x)) return "infinite (from 0)";
  return x.toPrecision(3);
}

/** The overlay bar: a toggle per overlay, the jump to the first NaN, the summary and legend.
 *  `on(kind or "")` turns one on; `jump(node)` shows a node. Returns {el, update, buttons, first}. */
export function makeOverlayBar(on, jump) {
  const buttons = {
    health: button("Health", "mark vanishing, exploding, dead, saturated and non-finite nodes (gradviz.health)", "Health overlay"),
    diff: button("Diff", "colour each node by its relative change against the compared graph (gradviz.diff)", "Diff overlay"),
  };
  const first = button("First NaN", "select the first node whose value (or gradient) became NaN or inf", "Jump to first NaN");
  const summary = h("span", { class: "gv-ov-summary" });
  const legend = h("ul", { class: "gv-ov-legend", "aria-label": "overlay legend" });
  const el = h("div", { class: "gv-ov-bar", role: "group", "aria-label": "overlays" },
    buttons.health, buttons.diff, first, summary, legend);
  let state = { overlays: {}, active: "", compute: [] };
  for (const [kind, b] of Object.entries(buttons)) b.addEventListener("click", () => on(state.active === kind ? "" : kind));
  first.addEventListener("click", () => { const ov = state.overlays.health; if (ov && ov.first >= 0) jump(ov.first); });
  /** `compute`: the kinds a live kernel computes when turned on (a page without one has only
   *  the overlays it was saved with). */
  function update(overlays, active, compute = []) {
    state = { overlays, active, compute };
    for (const [kind, b] of Object.entries(buttons)) {
      const can = !!overlays[kind] || compute.includes(kind);
      b.hidden = !can;
      b.setAttribute("aria-pressed", String(active === kind));
    }
    const ov = overlays[active];
    first.hidden = !(overlays.health && overlays.health.first >= 0);
    if (overlays.health && overlays.health.first >= 0) first.title = overlays.health.firstText;
    summary.textContent = ov ? ov.summary : "";
    legend.replaceChildren(...legendItems(ov, usedMarks(ov)).map(legendItem));
    el.hidden = Object.values(buttons).every((b) => b.hidden);
  }
  return { el, update, buttons, first };
}

/** The legend entries that some node uses. */
export function usedMarks(ov) {
  const used = new Set();
  if (ov) for (const m of ov.mark) if (m !== NONE) used.add(m);
  return used;
}

/** The legend's entries in order, those in `used` only (all when `used` is null). */
export function legendItems(ov, used = null) {
  if (!ov) return [];
  return ov.legend.filter((_, k) => !used || used.has(k));
}

function legendItem(e) {
  const swatch = h("span", { class: "gv-ov-swatch", "aria-hidden": "true" });
  swatch.style.setProperty("border-color", e.colour);
  swatch.style.setProperty("border-style", e.dash ? "dashed" : "solid");
  return h("li", {}, swatch, h("span", { text: e.text }));
}

/** Outline a box on a canvas in its overlay style: at least 2 screen pixels wide at any zoom. */
export function outlineBox(ctx, style, x0, y0, w, h, scale) {
  const lw = Math.max(3, 2 / scale), pad = lw;
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.strokeStyle = style.colour;
  ctx.lineWidth = lw;
  ctx.setLineDash(style.dash ? style.dash.split(",").map((x) => Number(x) * lw / 2) : []);
  ctx.strokeRect(x0 - pad, y0 - pad, w + 2 * pad, h + 2 * pad);
  ctx.restore();
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Outline the SVG renderer's boxes (`boxes`: their <g> elements) in their overlay style: one
 *  <rect class="gv-ov"> around each marked box, removed from the others. */
export function outlineSvgBoxes(boxes, s, styles) {
  for (let i = 0; i < boxes.length; i++) {
    const g = boxes[i];
    let r = g.querySelector(".gv-ov");
    const st = styles ? styles[i] : null;
    if (!st) { if (r) r.remove(); continue; }
    if (!r) {
      r = document.createElementNS(SVG_NS, "rect");
      r.setAttribute("class", "gv-ov");
      r.setAttribute("x", (s.x[i] - s.w[i] / 2 - 3).toFixed(1));
      r.setAttribute("y", (s.y[i] - s.h[i] / 2 - 3).toFixed(1));
      r.setAttribute("width", (s.w[i] + 6).toFixed(1));
      r.setAttribute("height", (s.h[i] + 6).toFixed(1));
      r.setAttribute("rx", "4");
      g.appendChild(r);
    }
    // inline style: the page's CSS strokes every box rect, and CSS wins over attributes
    r.setAttribute("style", `stroke:${st.colour};stroke-dasharray:${st.dash || "none"}`);
  }
}
