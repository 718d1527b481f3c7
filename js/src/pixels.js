// The far zoom levels of a big view, written straight into an RGBA pixel buffer: when records are
// a few pixels tall, paths and text cost far more than they show. Every box is a rectangle of at
// least one pixel; every edge a one- or two-pixel line in its gradient's colour (the sign) and
// opacity (the size, on the same square-root scale as the stroke widths nearer in).

import { gradStroke } from "./geometry.js";
import { straightEnds } from "./scene.js";

const PROBE = new Map();
/** Line pixels a repaint draws at most: past it, edges with the smallest gradients are left out. */
export const EDGE_BUDGET = 2_500_000;
/** Edges up to this many pixels long are always drawn: they show the graph's local structure. */
const SHORT_PX = 48;

/** A CSS colour as [r, g, b] (0..255): hex and rgb()/rgba() parsed here, anything else (a named
 *  colour, a color-mix()) through a 1x1 canvas when there is a document; grey if all fails. */
export function rgbOf(colour) {
  const c = String(colour || "").trim();
  let m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (m) {
    const h = m[1].length === 3 ? [...m[1]].map((d) => d + d).join("") : m[1];
    return [0, 2, 4].map((j) => parseInt(h.slice(j, j + 2), 16));
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(c);
  if (m) return [1, 2, 3].map((j) => Math.round(+m[j]));
  if (PROBE.has(c)) return PROBE.get(c);
  let out = [136, 136, 136];
  if (typeof document !== "undefined" && document.createElement) {
    try {
      const ctx = document.createElement("canvas").getContext("2d");
      ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
      const d = ctx.getImageData(0, 0, 1, 1).data;
      out = [d[0], d[1], d[2]];
    } catch { /* not a canvas that can be read: keep grey */ }
  }
  PROBE.set(c, out);
  return out;
}

/** Blend colour `rgb` at opacity `a` into pixel `p` (index of its red byte). */
function blend(px, p, rgb, a) {
  px[p] += (rgb[0] - px[p]) * a;
  px[p + 1] += (rgb[1] - px[p + 1]) * a;
  px[p + 2] += (rgb[2] - px[p + 2]) * a;
}

/** Clip the segment (x0, y0) -> (x1, y1) to [0, W - 1] x [0, H - 1] (Liang-Barsky): writes the
 *  clipped ends into `out` and returns true, or false when nothing of it is inside. */
function clip(x0, y0, x1, y1, W, H, out) {
  let t0 = 0, t1 = 1;
  const dx = x1 - x0, dy = y1 - y0;
  for (let side = 0; side < 4; side++) {
    const p = side === 0 ? -dx : side === 1 ? dx : side === 2 ? -dy : dy;
    const q = side === 0 ? x0 : side === 1 ? W - 1 - x0 : side === 2 ? y0 : H - 1 - y0;
    if (p === 0) { if (q < 0) return false; continue; }
    const r = q / p;
    if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
  }
  out[0] = x0 + t0 * dx; out[1] = y0 + t0 * dy; out[2] = x0 + t1 * dx; out[3] = y0 + t1 * dy;
  return true;
}

/** A clipped line (see clip) `thick` 1 or 2 pixels wide. */
function line(px, W, H, c, rgb, a, thick) {
  const ax = c[0], ay = c[1], bx = c[2], by = c[3];
  const n = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay))));
  const sx = (bx - ax) / n, sy = (by - ay) / n, flat = Math.abs(sx) >= Math.abs(sy);
  for (let j = 0; j <= n; j++) {
    const x = Math.round(ax + sx * j), y = Math.round(ay + sy * j);
    blend(px, 4 * (y * W + x), rgb, a);
    if (thick > 1) {
      const x2 = flat ? x : x + 1, y2 = flat ? y + 1 : y;
      if (x2 < W && y2 < H) blend(px, 4 * (y2 * W + x2), rgb, a);
    }
  }
}

/** Edge ids ordered by the size of their gradient (`grad(source box)`), largest (and non-finite)
 *  first: the order in which edges are kept when a repaint cannot draw them all. */
export function edgeOrder(s, grad) {
  const E = s.esrc.length, mag = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    const g = Math.abs(grad(s.esrc[e]));
    mag[e] = Number.isFinite(g) ? g : Infinity;
  }
  const order = new Int32Array(E);
  for (let e = 0; e < E; e++) order[e] = e;
  return order.sort((a, b) => mag[b] - mag[a] || a - b);
}

/** Calls `fn(x0, y0, x1, y1)` for each piece of edge e's route inside the W x H buffer (pixels);
 *  returns how many pixels long they are together. */
function eachSegment(s, e, k, ox, oy, W, H, ends, c, fn) {
  const bent = s.ePtr.length > e + 1 && s.ePtr[e + 1] - s.ePtr[e] >= 4;
  const p = bent ? s.ePts.subarray(s.ePtr[e], s.ePtr[e + 1]) : straightEnds(s, e, ends);
  let pixels = 0;
  for (let j = 2; j < p.length; j += 2) {
    if (!clip(p[j - 2] * k + ox, p[j - 1] * k + oy, p[j] * k + ox, p[j + 1] * k + oy, W, H, c)) continue;
    pixels += Math.max(Math.abs(c[2] - c[0]), Math.abs(c[3] - c[1])) + 1;
    if (fn) fn(c);
  }
  return pixels;
}

/** Paint scene `s` into the RGBA buffer `px` (W x H pixels) at world -> pixel map X = x k + ox,
 *  Y = y k + oy; only what meets world rectangle `rect` = [x0, y0, x1, y1]. `st`: colours
 *  ({bg, line, selRgb, sign: {pos, neg, zero, nan}, kindRgb: {kind: rgb}}), `kind(i)`, `grad(i)` (the
 *  gradient of box i's node), `maxAbs`, `selected` (a box or -1), `lit(i)` (null without a
 *  selection) and `matches` (a Set or null).
 *  `budget` (default EDGE_BUDGET): line pixels past which long edges are left out, the smallest
 *  gradients first, by `order` (edgeOrder's, computed when not given); short ones always show. Returns {boxes, edges, thinned, lod: "pixels"}:
 *  how many boxes and edges were drawn, and whether edges were left out. */
export function paintPixels(px, W, H, s, { k, ox, oy, rect }, st) {
  const [bgR, bgG, bgB] = st.bg;
  new Uint32Array(px.buffer, px.byteOffset, W * H).fill(new Uint32Array(Uint8Array.of(bgR, bgG, bgB, 255).buffer)[0]);
  const [rx0, ry0, rx1, ry1] = rect;
  // edges: every short one (local structure, a few pixels each), then long ones by gradient size
  // until the budget is spent; drawn smallest gradient first, so that the largest lie on top
  const order = st.order || edgeOrder(s, st.grad), budget = st.budget ?? EDGE_BUDGET;
  const ends = new Float64Array(4), c = new Float64Array(4);
  const eb = st.edgeBoxes;  // [x0, y0, x1, y1] per edge (canvas.js edgeBoxes): most are culled here
  const keep = new Uint8Array(order.length), long = [];
  let spent = 0, edges = 0, inView = 0;
  for (let i = 0; i < order.length; i++) {
    const e = order[i], j = 4 * e;
    if (eb && (eb[j + 2] < rx0 || eb[j] > rx1 || eb[j + 3] < ry0 || eb[j + 1] > ry1)) continue;
    const n = eachSegment(s, e, k, ox, oy, W, H, ends, c, null);
    if (!n) continue;
    inView++;
    if (n <= SHORT_PX) { keep[i] = 1; spent += n; edges++; } else long.push(i, n);
  }
  for (let q = 0; q < long.length && spent <= budget; q += 2) { keep[long[q]] = 1; spent += long[q + 1]; edges++; }
  for (let i = order.length - 1; i >= 0; i--) {
    if (!keep[i]) continue;
    const e = order[i], a = s.esrc[e], g = gradStroke(st.grad(a), st.maxAbs);
    const r = g.sign === "pos" || g.sign === "neg" ? (g.width - 0.75) / 4.25 : 0;
    let alpha = g.sign === "zero" ? 0.5 : 0.35 + 0.65 * r;
    if (st.lit && !(st.lit(a) && st.lit(s.edst[e]))) alpha *= 0.2;
    const rgb = st.sign[g.sign], thick = g.width * k >= 1.5 ? 2 : 1;
    eachSegment(s, e, k, ox, oy, W, H, ends, c, (seg) => line(px, W, H, seg, rgb, alpha, thick));
  }
  const thinned = edges < inView;
  let boxes = 0;
  for (let i = 0; i < s.n; i++) {
    const hw = s.w[i] / 2, hh = s.h[i] / 2;
    if (s.x[i] + hw < rx0 || s.x[i] - hw > rx1 || s.y[i] + hh < ry0 || s.y[i] - hh > ry1) continue;
    const marked = i === st.selected || (st.matches && st.matches.has(i));
    const grow = marked ? 1 : 0;
    const x0 = Math.floor((s.x[i] - hw) * k + ox) - grow, y0 = Math.floor((s.y[i] - hh) * k + oy) - grow;
    const x1 = Math.max(x0 + 1, Math.round((s.x[i] + hw) * k + ox) + grow), y1 = Math.max(y0 + 1, Math.round((s.y[i] + hh) * k + oy) + grow);
    if (x1 <= 0 || y1 <= 0 || x0 >= W || y0 >= H) continue;
    const X0 = Math.max(0, x0), Y0 = Math.max(0, y0), X1 = Math.min(W, x1), Y1 = Math.min(H, y1);
    const fill = marked ? st.selRgb : st.kindRgb[st.kind(i)] || st.kindRgb[""];
    const solid = X1 - X0 < 3 || Y1 - Y0 < 3;  // too small for an outline: the line colour shows it
    const a = st.lit && !st.lit(i) ? 0.25 : 1;
    for (let y = Y0; y < Y1; y++) {
      for (let x = X0; x < X1; x++) {
        const edge = x === X0 || x === X1 - 1 || y === Y0 || y === Y1 - 1;
        blend(px, 4 * (y * W + x), !marked && (solid || edge) ? mix(fill, st.line) : fill, a);
      }
    }
    boxes++;
  }
  if (st.overlay) outlines(px, W, H, s, k, ox, oy, st.overlay);
  return { boxes, edges, thinned, lod: "pixels" };
}

const MIXED = new WeakMap();
/** Half `a`, half `b` (cached per pair of colour arrays). */
function mix(a, b) {
  let m = MIXED.get(a);
  if (!m) MIXED.set(a, (m = new Map()));
  let c = m.get(b);
  if (!c) m.set(b, (c = [0, 1, 2].map((j) => (a[j] + b[j]) >> 1)));
  return c;
}


/** Overlay outlines (overlay.js boxStyles: {colour, ...} per box, or none): a 2 px ring in the
 *  style's colour, 2 px out from each marked box, so a tiny box still shows its mark. */
function outlines(px, W, H, s, k, ox, oy, styles) {
  for (let i = 0; i < s.n; i++) {
    const st = styles[i];
    if (!st) continue;
    const rgb = rgbOf(st.colour);
    const x0 = Math.floor((s.x[i] - s.w[i] / 2) * k + ox) - 3, y0 = Math.floor((s.y[i] - s.h[i] / 2) * k + oy) - 3;
    const x1 = Math.ceil((s.x[i] + s.w[i] / 2) * k + ox) + 3, y1 = Math.ceil((s.y[i] + s.h[i] / 2) * k + oy) + 3;
    if (x1 < 0 || y1 < 0 || x0 >= W || y0 >= H) continue;
    for (let y = Math.max(0, y0); y < Math.min(H, y1); y++) {
      for (let x = Math.max(0, x0); x < Math.min(W, x1); x++) {
        if (x - x0 < 2 || x1 - 1 - x < 2 || y - y0 < 2 || y1 - 1 - y < 2) blend(px, 4 * (y * W + x), rgb, 1);
      }
    }
  }
}
