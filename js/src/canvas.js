// Canvas drawing for large views: only what is on screen (grid culling), and text only where it
// is readable (level of detail). A repaint costs the visible part, not the whole graph.

import { outlineBox } from "./overlay.js";
import { lodLevel, SpatialGrid, gradStroke } from "./geometry.js";
import { boxTexts, cellEdges, edgePoints, edgeStroke, maxAbsGrad, pointsBox } from "./scene.js";

/** Bounding box of every edge's route, [x0, y0, x1, y1] per edge: computed once per scene, so
 *  culling a repaint reads four numbers an edge instead of building its route. */
export function edgeBoxes(s) {
  const E = s.esrc.length, out = new Float64Array(4 * E);
  for (let k = 0; k < E; k++) {
    let x0, y0, x1, y1;
    if (s.ePtr.length > k + 1 && s.ePtr[k + 1] - s.ePtr[k] >= 4) {
      [x0, y0, x1, y1] = pointsBox(s.ePts.subarray(s.ePtr[k], s.ePtr[k + 1]));
    } else {  // the straight route of edgePoints, without building it
      const a = s.esrc[k], b = s.edst[k], op = s.opOf[b];
      const ax = s.x[a] + s.w[a] / 2, ay = s.y[a];
      const bx = op >= 0 ? s.opX[op] - s.opW[op] / 2 : s.x[b] - s.w[b] / 2, by = op >= 0 ? s.opY[op] : s.y[b];
      x0 = Math.min(ax, bx); x1 = Math.max(ax, bx); y0 = Math.min(ay, by); y1 = Math.max(ay, by);
    }
    out[4 * k] = x0; out[4 * k + 1] = y0; out[4 * k + 2] = x1; out[4 * k + 3] = y1;
  }
  return out;
}

/** Which edges to draw for the visible world rectangle: those whose bounding box meets it. */
export function visibleEdges(s, rect, boxes = edgeBoxes(s)) {
  const [x0, y0, x1, y1] = rect;
  const out = [];
  for (let k = 0, j = 0; k < s.esrc.length; k++, j += 4) {
    if (boxes[j + 2] < x0 || boxes[j] > x1 || boxes[j + 3] < y0 || boxes[j + 1] > y1) continue;
    out.push(k);
  }
  return out;
}

const SIGNS = ["pos", "neg", "zero", "nan"];
/** Above this many edges in view, the edges are drawn one screen pixel wide in the neutral edge
 *  colour, and kept as a bitmap that repaints of values reuse: where tens of thousands of edges
 *  overlap (a 300k-node graph drawn in full shows ~70k at once) their widths and colours cannot be
 *  told apart, and rasterising them took a second or more on every nudge. Zoom in to see each
 *  edge's grad again. */
export const DENSE_EDGES = 2000;

/** The edges to draw, grouped by how they are stroked (colour class, width, faint or not), so a
 *  repaint makes one stroke call per group instead of one per edge. Widths are rounded to a
 *  quarter of a screen pixel (at zoom `scale`) and are at least half a screen pixel. `dimmed(k)`
 *  says whether edge k is drawn faint (a selection's lineage is shown). Faint groups come first.
 *  Returns [{sign, width, dim, edges}]. */
export function strokeGroups(s, edges, grad, maxAbs, scale, dimmed = null) {
  const step = 0.25 / scale, minQ = 2;  // 2 steps: half a screen pixel
  const groups = new Map();
  for (const k of edges) {
    const st = edgeStroke(s, k, grad, maxAbs);
    const q = Math.max(minQ, Math.round(st.width / step));
    const dim = dimmed !== null && dimmed(k);
    const key = (q * 4 + SIGNS.indexOf(st.sign)) * 2 + (dim ? 0 : 1);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, sign: st.sign, width: q * step, dim, edges: [] }));
    g.edges.push(k);
  }
  return [...groups.values()].sort((a, b) => (a.dim === b.dim ? a.key - b.key : a.dim ? -1 : 1));
}

/** Adds edge k's route to the current path: horizontal-tangent cubics through its points. */
function tracePath(ctx, s, k) {
  const p = edgePoints(s, k);
  ctx.moveTo(p[0], p[1]);
  for (let j = 2; j < p.length; j += 2) {
    const mx = (p[j - 2] + p[j]) / 2;
    ctx.bezierCurveTo(mx, p[j - 1], mx, p[j + 1], p[j], p[j + 1]);
  }
}

export class CanvasRenderer {
  constructor(container, scene, data, grad, showGrads, theme) {
    this.s = scene;
    this.container = container;
    this.showGrads = showGrads;
    this.theme = theme;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "gv-canvas";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "computation graph (the table below lists every value)");
    container.innerHTML = "";
    container.appendChild(this.canvas);
    this.ctx = this.canvas.getContext("2d");
    this.grid = new SpatialGrid(scene.x, scene.y, scene.w, scene.h);
    this.edgeBoxes = edgeBoxes(scene);
    this.data = data; this.grad = grad;
    this.vp = null; this.sel = -1; this.masks = null; this.matches = null;
    this.stats = { boxes: 0, edges: 0, lod: "", dense: false };
    this.layer = null;     // the dense edges' bitmap (see DENSE_EDGES) and what it was drawn for
    this.layerKey = "";
    this.highlights = 0;   // bumped on each setHighlight: the dense bitmap shows the selection
  }

  setValues(data, grad) { this.data = data; this.grad = grad; this.draw(); }

  /** Nothing is left to draw later: the canvas is drawn whole (and culled) on each setValues. */
  flush() {}
  setTransform(vp) { this.vp = vp; this.draw(); }
  setHighlight(sel, masks, matches) {
    this.sel = sel; this.masks = masks; this.matches = matches; this.highlights++;
    this.draw();
  }
  /** An overlay's style per box (overlay.js boxStyles), or null: outlines the marked boxes. */
  setOverlay(styles) { this.overlay = styles; this.draw(); }

  _resize() {
    const r = this.container.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const W = Math.max(1, Math.round(r.width)), H = Math.max(1, Math.round(r.height));
    if (this.canvas.width !== W * dpr || this.canvas.height !== H * dpr) {
      this.canvas.width = W * dpr; this.canvas.height = H * dpr;
      this.canvas.style.width = W + "px"; this.canvas.style.height = H + "px";
    }
    return [W, H, dpr];
  }

  _boxColour(i) {
    const t = this.theme, k = this.s.kinds[i];
    return { input: t.input, parameter: t.param, constant: t.constant, output: t.output, group: t.group }[k] || t.box;
  }

  draw() {
    if (!this.vp) return;
    const s = this.s, t = this.theme, ctx = this.ctx, vp = this.vp;
    const [W, H, dpr] = this._resize();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = t.bg; ctx.fillRect(0, 0, W, H);
    ctx.setTransform(dpr * vp.scale, 0, 0, dpr * vp.scale, dpr * vp.tx, dpr * vp.ty);
    const rect = vp.visibleRect(W, H);
    const lod = lodLevel(vp.scale, s.fontPx);
    const boxes = this.grid.query(...rect);
    const edges = visibleEdges(s, rect, this.edgeBoxes);
    const dense = edges.length > DENSE_EDGES;
    this.stats = { boxes: boxes.length, edges: edges.length, lod, dense };
    const m = maxAbsGrad(s, this.grad);
    const dim = this.sel >= 0;
    const lit = (i) => i === this.sel || (this.masks && (this.masks.dependsOn[i] || this.masks.dependents[i]));
    const faint = dim ? (k) => !(lit(s.esrc[k]) && lit(s.edst[k])) : null;
    const colour = { pos: t.pos, neg: t.neg, zero: t.zero, nan: t.nan || t.zero };
    if (dense) this._denseEdges(edges, faint, [W, H, dpr]);
    for (const g of dense ? [] : strokeGroups(s, edges, this.grad, m, vp.scale, faint)) {
      ctx.globalAlpha = g.dim ? 0.15 : 1;
      ctx.strokeStyle = colour[g.sign];
      ctx.lineWidth = g.width;
      ctx.beginPath();
      for (const k of g.edges) tracePath(ctx, s, k);
      ctx.stroke();
    }
    // op ellipses and their edge to the record
    const showOps = lod !== "dots";
    for (const i of boxes) {
      const k = s.opOf[i];
      if (k < 0 || !showOps) continue;
      ctx.globalAlpha = dim && !lit(i) ? 0.15 : 1;
      const st = gradStroke(this.grad[s.node[i]], m);
      ctx.strokeStyle = colour[st.sign]; ctx.lineWidth = st.width;
      ctx.beginPath(); ctx.moveTo(s.opX[k] + s.opW[k] / 2, s.opY[k]); ctx.lineTo(s.x[i] - s.w[i] / 2, s.y[i]); ctx.stroke();
      const how = s.opHow ? s.opHow[k] : "";  // a custom op, or one that passes no gradient: dashed
      ctx.fillStyle = t.opFill; ctx.strokeStyle = how ? (how === "custom" ? t.custom : t.nograd) : t.line; ctx.lineWidth = 1;
      ctx.setLineDash(how ? [3, 2] : []);
      ctx.beginPath(); ctx.ellipse(s.opX[k], s.opY[k], s.opW[k] / 2, s.opH[k] / 2, 0, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      ctx.setLineDash([]);
      if (lod === "text") {
        ctx.fillStyle = t.fg; ctx.font = t.font;
        ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.fillText(s.opName[k], s.opX[k], s.opY[k]);
      }
    }
    // records
    ctx.font = t.font;
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (const i of boxes) {
      const x0 = s.x[i] - s.w[i] / 2, y0 = s.y[i] - s.h[i] / 2;
      ctx.globalAlpha = dim && !lit(i) ? 0.25 : 1;
      ctx.fillStyle = this._boxColour(i);
      ctx.fillRect(x0, y0, s.w[i], s.h[i]);
      if (this.overlay && this.overlay[i]) outlineBox(ctx, this.overlay[i], x0, y0, s.w[i], s.h[i], vp.scale);
      if (lod === "dots") continue;
      ctx.strokeStyle = i === this.sel ? t.sel : (this.matches && this.matches.has(i) ? t.sel : t.line);
      ctx.lineWidth = i === this.sel ? 3 : (s.kinds[i] === "group" ? 2 : 1);
      ctx.strokeRect(x0, y0, s.w[i], s.h[i]);
      if (lod !== "text") continue;
      const texts = boxTexts(s, i, this.data, this.grad, this.showGrads);
      const xs = cellEdges(s, i, texts);
      ctx.fillStyle = t.fg;
      for (let c = 0; c < texts.length; c++) {
        if (c) { ctx.beginPath(); ctx.moveTo(xs[c], y0); ctx.lineTo(xs[c], y0 + s.h[i]); ctx.lineWidth = 1; ctx.strokeStyle = t.line; ctx.stroke(); }
        ctx.fillText(texts[c], (xs[c] + xs[c + 1]) / 2, s.y[i]);
      }
    }
    ctx.globalAlpha = 1;
  }

  /** Dense edges (over DENSE_EDGES in view), thin and neutral, from a bitmap redrawn only when the
   *  view, the selection, the theme or the canvas size changed, not when values did. Draws the
   *  background too; leaves the context's transform as it was. */
  _denseEdges(edges, faint, [W, H, dpr]) {
    const vp = this.vp, t = this.theme, ctx = this.ctx;
    const key = [vp.scale, vp.tx, vp.ty, W, H, dpr, this.highlights, t.bg, t.zero].join(",");
    if (!this.layer) this.layer = document.createElement("canvas");
    const c = this.layer;
    if (key !== this.layerKey) {
      c.width = this.canvas.width; c.height = this.canvas.height;
      const lc = c.getContext("2d");
      lc.setTransform(dpr * vp.scale, 0, 0, dpr * vp.scale, dpr * vp.tx, dpr * vp.ty);
      lc.strokeStyle = t.zero;
      lc.lineWidth = 1 / vp.scale;
      for (const dim of faint ? [true, false] : [false]) {
        lc.globalAlpha = dim ? 0.15 : 1;
        lc.beginPath();
        for (const k of edges) if (!faint || faint(k) === dim) tracePath(lc, this.s, k);
        lc.stroke();
      }
      this.layerKey = key;
    }
    const m = ctx.getTransform();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(c, 0, 0);
    ctx.setTransform(m);
  }

  destroy() { this.container.innerHTML = ""; }
}
