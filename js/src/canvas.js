// Canvas drawing for large views, at frame rate whatever the zoom:
// - a bitmap of the view plus a margin is kept per zoom level; a pan within the margin only
//   copies it (a repaint costs one drawImage), and values, selection, theme or zoom redraw it;
// - level of detail: where records are a few pixels tall, boxes and edges are written straight
//   into the bitmap's pixels (no paths, no text), edges coloured by their gradient's sign and
//   weighted by its size; closer in, only what is in view is drawn, edges stroked in groups of one
//   colour and width, text where it is readable.

import { outlineBox } from "./overlay.js";
import { gradStroke, lodLevel, SpatialGrid } from "./geometry.js";
import { boxTexts, cellEdges, edgePoints, edgeStroke, maxAbsGrad, opEdge, pointsBox, straightEnds } from "./scene.js";
import { edgeOrder, paintPixels, rgbOf } from "./pixels.js";

/** Records shorter than this many screen px are drawn as pixels (see pixels.js). */
export const PIXEL_BOX_PX = 5;
/** The bitmap covers the view and this fraction of its size on every side. */
const MARGIN = 0.25;
/** A redraw slower than this (ms) makes zooming show the scaled bitmap first ... */
const PREVIEW_MS = 25;
/** ... and redraw it sharp this long (ms) after the last zoom step. */
const PREVIEW_WAIT = 120;
const RECORD_H = 26;  // a record's height when the scene has none to measure

/** Bounding box of every edge's route, [x0, y0, x1, y1] per edge: computed once per scene, so
 *  culling a repaint reads four numbers an edge instead of building its route. */
export function edgeBoxes(s) {
  const E = s.esrc.length, out = new Float64Array(4 * E), e = new Float64Array(4);
  for (let k = 0; k < E; k++) {
    let x0, y0, x1, y1;
    if (s.ePtr.length > k + 1 && s.ePtr[k + 1] - s.ePtr[k] >= 4) {
      [x0, y0, x1, y1] = pointsBox(s.ePts.subarray(s.ePtr[k], s.ePtr[k + 1]));
    } else {
      straightEnds(s, k, e);
      x0 = Math.min(e[0], e[2]); x1 = Math.max(e[0], e[2]); y0 = Math.min(e[1], e[3]); y1 = Math.max(e[1], e[3]);
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

/** Adds edge k's route to the current path: cubics through its points, tangent to the rank
 *  axis; a route shorter than `straightBelow` world px is a line (it is a few pixels on screen). */
function tracePath(ctx, s, k, straightBelow) {
  const p = edgePoints(s, k);
  ctx.moveTo(p[0], p[1]);
  if (p.length === 4 && Math.abs(p[2] - p[0]) + Math.abs(p[3] - p[1]) < straightBelow) { ctx.lineTo(p[2], p[3]); return; }
  for (let j = 2; j < p.length; j += 2) {
    if (s.vertical) {
      const my = (p[j - 1] + p[j + 1]) / 2;
      ctx.bezierCurveTo(p[j - 2], my, p[j], my, p[j], p[j + 1]);
    } else {
      const mx = (p[j - 2] + p[j]) / 2;
      ctx.bezierCurveTo(mx, p[j - 1], mx, p[j + 1], p[j], p[j + 1]);
    }
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
    this.stats = { boxes: 0, edges: 0, lod: "", pixels: false, renders: 0, renderMs: 0, cached: false };
    this.bitmap = null;    // {canvas, key, tx, ty, mx, my}: the view plus margin, drawn at one zoom
    this.version = 0;      // bumped whenever what is drawn changes (values, selection, grads shown)
  }

  setValues(data, grad) { this.data = data; this.grad = grad; this.version++; this.draw(); }
  /** Boxes whose node disagrees with gradviz's reference ("grad" / "forward", reference.js). */
  setMarks(marks) { this.marks = marks; this.version++; this.draw(); }

  /** Nothing is left to draw later: the canvas is drawn whole (and culled) on each setValues. */
  flush() {}
  setTransform(vp) { this.vp = vp; this.draw(); }
  setHighlight(sel, masks, matches) {
    this.sel = sel; this.masks = masks; this.matches = matches; this.version++;
    this.draw();
  }
  /** An overlay's style per box (overlay.js boxStyles), or null: outlines the marked boxes. */
  setOverlay(styles) { this.overlay = styles; this.version++; this.draw(); }

  /** The stage's size [W, H, dpr], the canvas sized to it; null while the stage is not laid out
   *  (0 x 0: a host swapping its theme's style sheets, a hidden tab), when the canvas is kept as it
   *  is and drawn again on the next frame, so it never shrinks to 1 x 1 and stays blank. */
  _resize() {
    const r = this.container.getBoundingClientRect();
    if (!(r.width >= 1 && r.height >= 1)) {
      this.retry ||= requestAnimationFrame(() => { this.retry = 0; this.draw(); });
      return null;
    }
    const dpr = window.devicePixelRatio || 1;
    const W = Math.round(r.width), H = Math.round(r.height);
    if (this.canvas.width !== W * dpr || this.canvas.height !== H * dpr) {
      this.canvas.width = W * dpr; this.canvas.height = H * dpr;
      this.canvas.style.width = W + "px"; this.canvas.style.height = H + "px";
    }
    return [W, H, dpr];
  }

  /** Repaint: copy the bitmap when it was drawn for this zoom and covers the view, else redraw
   *  it. A zoom on a view whose last redraw was slow shows the bitmap scaled at once and redraws
   *  it sharp when the zooming pauses (PREVIEW_MS after the last step). */
  draw() {
    if (!this.vp) return;
    const size = this._resize();
    if (!size) return;
    const [W, H, dpr] = size;
    const vp = this.vp;
    const base = [W, H, dpr, this.version, this.showGrads, ...Object.values(this.theme)].join(",");
    const key = `${vp.scale},${base}`;
    let b = this.bitmap;
    const dx = b ? vp.tx - b.tx : 0, dy = b ? vp.ty - b.ty : 0;
    const covers = b && b.key === key && dx <= b.mx && dy <= b.my && dx >= -b.mx && dy >= -b.my;
    const ctx = this.ctx;
    clearTimeout(this.sharpen);
    if (!covers && !this.sharp && b && b.base === base && this.stats.renderMs > PREVIEW_MS) {
      this._preview(b, dpr);
      this.sharpen = setTimeout(() => { this.sharp = true; this.draw(); this.sharp = false; }, PREVIEW_WAIT);
      return;
    }
    if (!covers) b = this._render(W, H, dpr, key, base);
    this.stats.cached = !!covers;
    this.stats.preview = false;
    this.canvas.dataset.preview = "";
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(b.canvas, Math.round((vp.tx - b.tx - b.mx) * dpr), Math.round((vp.ty - b.ty - b.my) * dpr));
  }

  /** The bitmap `b`, drawn at another zoom or offset, mapped onto the current view. */
  _preview(b, dpr) {
    const vp = this.vp, ctx = this.ctx, f = vp.scale / b.scale;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = this.theme.bg;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(b.canvas, (vp.tx - (b.tx + b.mx) * f) * dpr, (vp.ty - (b.ty + b.my) * f) * dpr, b.canvas.width * f, b.canvas.height * f);
    this.stats.preview = true;
    this.canvas.dataset.preview = String(f);
  }

  /** Draw the view and a margin around it into the bitmap at the current zoom. */
  _render(W, H, dpr, key, base) {
    const t0 = performance.now();
    const vp = this.vp, s = this.s;
    const mx = Math.ceil(W * MARGIN), my = Math.ceil(H * MARGIN);
    const b = (this.bitmap ||= { canvas: document.createElement("canvas") });
    Object.assign(b, { key, base, scale: vp.scale, tx: vp.tx, ty: vp.ty, mx, my });
    const c = b.canvas;
    const cw = (W + 2 * mx) * dpr, ch = (H + 2 * my) * dpr;
    if (c.width !== cw || c.height !== ch) { c.width = cw; c.height = ch; }
    const ctx = c.getContext("2d");
    const k = vp.scale * dpr, ox = (vp.tx + mx) * dpr, oy = (vp.ty + my) * dpr;
    const rect = [-(vp.tx + mx) / vp.scale, -(vp.ty + my) / vp.scale, (W + mx - vp.tx) / vp.scale, (H + my - vp.ty) / vp.scale];
    const m = maxAbsGrad(s, this.grad);
    const pixels = (s.h[0] || RECORD_H) * vp.scale < PIXEL_BOX_PX;
    if (pixels) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      const img = ctx.createImageData(cw, ch);
      const drawn = paintPixels(img.data, cw, ch, s, { k, ox, oy, rect }, this._pixelStyle(m));
      ctx.putImageData(img, 0, 0);
      Object.assign(this.stats, drawn);
    } else {
      ctx.setTransform(k, 0, 0, k, ox, oy);
      this._vector(ctx, rect, m, [cw / k, ch / k]);
    }
    this.stats.pixels = pixels;
    this.stats.renders++;
    this.stats.renderMs = performance.now() - t0;
    this.canvas.dataset.renderMs = this.stats.renderMs.toFixed(1);
    this.canvas.dataset.drawn = `${this.stats.lod}: ${this.stats.boxes} boxes, ${this.stats.edges} edges${this.stats.thinned ? " (thinned)" : ""}`;
    return b;
  }

  /** What paintPixels needs: colours as [r, g, b], the gradients, the selection. */
  _pixelStyle(maxAbs) {
    const t = this.theme, s = this.s;
    const lit = this.sel >= 0 ? (i) => i === this.sel || !!(this.masks && (this.masks.dependsOn[i] || this.masks.dependents[i])) : null;
    return {
      bg: rgbOf(t.bg), line: rgbOf(t.line), selRgb: rgbOf(t.sel || t.line), selected: this.sel,
      sign: { pos: rgbOf(t.pos), neg: rgbOf(t.neg), zero: rgbOf(t.zero), nan: rgbOf(t.nan || t.zero) },
      kind: (i) => s.kinds[i], kindRgb: this._kindRgb(),
      grad: (i) => this.grad[s.node[i]], maxAbs, lit, matches: this.matches, order: this._edgeOrder(), edgeBoxes: this.edgeBoxes, overlay: this.overlay || null,
    };
  }

  /** Edges by gradient size (see pixels.js), kept while the values stay the same. */
  _edgeOrder() {
    if (this.order && this.order.grad === this.grad) return this.order.ids;
    const s = this.s;
    this.order = { grad: this.grad, ids: edgeOrder(s, (i) => this.grad[s.node[i]]) };
    return this.order.ids;
  }

  _kindRgb() {
    const t = this.theme;
    return { input: rgbOf(t.input || t.box), parameter: rgbOf(t.param || t.box), constant: rgbOf(t.constant || t.box),
      output: rgbOf(t.output || t.box), group: rgbOf(t.group || t.box), "": rgbOf(t.box || t.bg) };
  }

  _boxColour(i) {
    const t = this.theme, k = this.s.kinds[i];
    return { input: t.input, parameter: t.param, constant: t.constant, output: t.output, group: t.group }[k] || t.box;
  }

  /** Paths and text: edges by stroke groups, op ellipses, records (text where readable). */
  _vector(ctx, rect, m, [cw, ch]) {
    const s = this.s, t = this.theme, vp = this.vp;
    ctx.fillStyle = t.bg; ctx.fillRect(rect[0], rect[1], cw, ch);
    const lod = lodLevel(vp.scale, s.fontPx);
    const boxes = this.grid.query(...rect);
    const edges = visibleEdges(s, rect, this.edgeBoxes);
    Object.assign(this.stats, { boxes: boxes.length, edges: edges.length, lod });
    const dim = this.sel >= 0;
    const lit = (i) => i === this.sel || (this.masks && (this.masks.dependsOn[i] || this.masks.dependents[i]));
    const faint = dim ? (k) => !(lit(s.esrc[k]) && lit(s.edst[k])) : null;
    const colour = { pos: t.pos, neg: t.neg, zero: t.zero, nan: t.nan || t.zero };
    const straight = 12 / vp.scale;  // routes under 12 screen px are drawn as lines
    for (const g of strokeGroups(s, edges, this.grad, m, vp.scale, faint)) {
      ctx.globalAlpha = g.dim ? 0.15 : 1;
      ctx.strokeStyle = colour[g.sign];
      ctx.lineWidth = g.width;
      ctx.beginPath();
      for (const k of g.edges) tracePath(ctx, s, k, straight);
      ctx.stroke();
    }
    if (lod !== "dots") this._ops(ctx, boxes, lod, m, lit, colour);
    this._records(ctx, boxes, lod, lit);
    ctx.globalAlpha = 1;
  }

  /** Op ellipses and their edge to the record. */
  _ops(ctx, boxes, lod, m, lit, colour) {
    const s = this.s, t = this.theme, dim = this.sel >= 0;
    for (const i of boxes) {
      const k = s.opOf[i];
      if (k < 0) continue;
      ctx.globalAlpha = dim && !lit(i) ? 0.15 : 1;
      const st = gradStroke(this.grad[s.node[i]], m);
      ctx.strokeStyle = colour[st.sign]; ctx.lineWidth = st.width;
      const e = opEdge(s, k, i);
      ctx.beginPath(); ctx.moveTo(e[0], e[1]); ctx.lineTo(e[2], e[3]); ctx.stroke();
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
  }

  /** Records: filled boxes, outlined from the "boxes" level, their cells' text at "text". */
  _records(ctx, boxes, lod, lit) {
    const s = this.s, t = this.theme, dim = this.sel >= 0;
    ctx.font = t.font;
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    for (const i of boxes) {
      const x0 = s.x[i] - s.w[i] / 2, y0 = s.y[i] - s.h[i] / 2;
      ctx.globalAlpha = dim && !lit(i) ? 0.25 : 1;
      ctx.fillStyle = this._boxColour(i);
      ctx.fillRect(x0, y0, s.w[i], s.h[i]);
      if (this.overlay && this.overlay[i]) outlineBox(ctx, this.overlay[i], x0, y0, s.w[i], s.h[i], this.vp.scale);
      if (lod === "dots") continue;
      const mark = this.marks ? this.marks[i] : "";  // disagrees with gradviz's reference: red, dashed
      ctx.strokeStyle = i === this.sel ? t.sel : (this.matches && this.matches.has(i) ? t.sel : mark ? t.nograd : t.line);
      ctx.lineWidth = i === this.sel || mark ? 3 : (s.kinds[i] === "group" ? 2 : 1);
      ctx.setLineDash(mark ? [5, 3] : []);
      ctx.strokeRect(x0, y0, s.w[i], s.h[i]);
      ctx.setLineDash([]);
      if (lod !== "text") continue;
      const texts = boxTexts(s, i, this.data, this.grad, this.showGrads);
      const xs = cellEdges(s, i, texts);
      ctx.fillStyle = t.fg;
      for (let c = 0; c < texts.length; c++) {
        if (c) { ctx.beginPath(); ctx.moveTo(xs[c], y0); ctx.lineTo(xs[c], y0 + s.h[i]); ctx.lineWidth = 1; ctx.strokeStyle = t.line; ctx.stroke(); }
        ctx.fillText(texts[c], (xs[c] + xs[c + 1]) / 2, s.y[i]);
      }
    }
  }

  destroy() {
    clearTimeout(this.sharpen);
    if (this.retry) cancelAnimationFrame(this.retry);
    this.container.innerHTML = "";
  }
}
