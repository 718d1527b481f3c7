// Canvas drawing for large views: only what is on screen (grid culling), and text only where it
// is readable (level of detail). A repaint costs the visible part, not the whole graph.

import { lodLevel, SpatialGrid, gradStroke } from "./geometry.js";
import { boxTexts, cellEdges, edgePoints, edgeStroke, maxAbsGrad, pointsBox } from "./scene.js";

/** Which edges to draw for the visible world rectangle: those whose bounding box meets it. */
export function visibleEdges(s, rect) {
  const [x0, y0, x1, y1] = rect;
  const out = [];
  for (let k = 0; k < s.esrc.length; k++) {
    const [ax, ay, bx, by] = pointsBox(edgePoints(s, k));
    if (bx < x0 || ax > x1 || by < y0 || ay > y1) continue;
    out.push(k);
  }
  return out;
}

export class CanvasView {
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
    this.data = data; this.grad = grad;
    this.vp = null; this.sel = -1; this.masks = null; this.matches = null;
    this.stats = { boxes: 0, edges: 0, lod: "" };
  }

  setValues(data, grad) { this.data = data; this.grad = grad; this.draw(); }

  /** Nothing is left to draw later: the canvas is drawn whole (and culled) on each setValues. */
  flush() {}
  setTransform(vp) { this.vp = vp; this.draw(); }
  setHighlight(sel, masks, matches) { this.sel = sel; this.masks = masks; this.matches = matches; this.draw(); }

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
    const lod = lodLevel(vp.scale);
    const boxes = this.grid.query(...rect);
    const edges = visibleEdges(s, rect);
    this.stats = { boxes: boxes.length, edges: edges.length, lod };
    const m = maxAbsGrad(s, this.grad);
    const dim = this.sel >= 0;
    const lit = (i) => i === this.sel || (this.masks && (this.masks.dependsOn[i] || this.masks.dependents[i]));
    // edges
    const colour = { pos: t.pos, neg: t.neg, zero: t.zero, nan: t.nan || t.zero };
    for (const k of edges) {
      const st = edgeStroke(s, k, this.grad, m);
      const p = edgePoints(s, k);
      ctx.globalAlpha = dim && !(lit(s.esrc[k]) && lit(s.edst[k])) ? 0.15 : 1;
      ctx.strokeStyle = colour[st.sign];
      ctx.lineWidth = Math.max(st.width, 0.5 / vp.scale);
      ctx.beginPath(); ctx.moveTo(p[0], p[1]);
      for (let j = 2; j < p.length; j += 2) {
        const mx = (p[j - 2] + p[j]) / 2;
        ctx.bezierCurveTo(mx, p[j - 1], mx, p[j + 1], p[j], p[j + 1]);
      }
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

  destroy() { this.container.innerHTML = ""; }
}
