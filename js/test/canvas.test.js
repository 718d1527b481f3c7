import { test } from "node:test";
import assert from "node:assert/strict";
import { CanvasRenderer, edgeBoxes, strokeGroups, visibleEdges } from "../src/canvas.js";
import { Viewport } from "../src/geometry.js";
import { edgePoints, edgeStroke, pointsBox } from "../src/scene.js";

// A small scene: box i at (100 i, 50 (i % 3)), edges from every box to the next two, one bent route.
function scene(n = 40) {
  const x = Float64Array.from({ length: n }, (_, i) => 100 * i);
  const y = Float64Array.from({ length: n }, (_, i) => 50 * (i % 3));
  const esrc = [], edst = [];
  for (let i = 0; i + 1 < n; i++) for (const d of [1, 2]) if (i + d < n) { esrc.push(i); edst.push(i + d); }
  const E = esrc.length;
  const ePtr = new Int32Array(E + 1);
  for (let k = 1; k <= E; k++) ePtr[k] = k > 2 ? 6 : 0;  // edge 2 is bent: three points
  const ePts = Float64Array.of(230, 0, 260, 400, 300, 50);
  return {
    n, x, y, w: new Float64Array(n).fill(40), h: new Float64Array(n).fill(20), node: Int32Array.from(x, (_, i) => i),
    esrc: Int32Array.from(esrc), edst: Int32Array.from(edst), ePtr, ePts,
    ...ops(n, x, y),
  };
}

// Every fourth box has an op ellipse 30 px left of it and 15 px lower (edges end there).
function ops(n, x, y) {
  const opOf = new Int32Array(n).fill(-1), opX = [], opY = [], opW = [], opH = [];
  for (let i = 0; i < n; i += 4) { opOf[i] = opX.length; opX.push(x[i] - 30); opY.push(y[i] + 15); opW.push(16); opH.push(12); }
  return { opOf, opX, opY, opW, opH };
}

test("edge culling by the precomputed boxes keeps exactly the edges whose route box meets the view", () => {
  const s = scene();
  const boxes = edgeBoxes(s);
  const rects = [[0, 0, 500, 100], [250, 300, 270, 500], [-100, -100, -50, -50], [1000, 10, 2000, 20]];
  for (let x = -20; x < 4000; x += 37) for (let y = -10; y < 130; y += 7) rects.push([x, y, x + 9, y + 4]);
  for (const rect of rects) {
    const want = [];
    for (let k = 0; k < s.esrc.length; k++) {
      const [a, b, c, d] = pointsBox(edgePoints(s, k));
      if (!(c < rect[0] || a > rect[2] || d < rect[1] || b > rect[3])) want.push(k);
    }
    assert.deepEqual(visibleEdges(s, rect, boxes), want);
    assert.deepEqual(visibleEdges(s, rect), want);
  }
  assert.deepEqual(visibleEdges(s, [250, 300, 270, 500]), [2]);  // only the bent route reaches down there
});

test("edges are stroked in a few groups, each edge once, widths within a quarter screen pixel", () => {
  const s = scene(200);
  const grad = Float64Array.from({ length: s.n }, (_, i) => (i % 7 === 0 ? NaN : i % 5 === 0 ? 0 : Math.sin(i) * i));
  const edges = visibleEdges(s, [-1e9, -1e9, 1e9, 1e9]);
  for (const scale of [0.05, 1, 2.5]) {
    const groups = strokeGroups(s, edges, grad, 200, scale);
    assert.deepEqual(groups.flatMap((g) => g.edges).sort((a, b) => a - b), edges);
    assert.ok(groups.length < edges.length / 4, `${groups.length} groups for ${edges.length} edges`);
    for (const g of groups) {
      for (const k of g.edges) {
        const st = edgeStroke(s, k, grad, 200);
        assert.equal(st.sign, g.sign);
        const want = Math.max(st.width, 0.5 / scale);
        assert.ok(Math.abs(g.width - want) <= 0.125 / scale + 1e-12, `edge ${k}: ${g.width} vs ${want}`);
      }
      assert.ok(g.width >= 0.5 / scale - 1e-12);
    }
  }
});

test("with a selection, faint edges are grouped apart and drawn first", () => {
  const s = scene(60);
  const grad = Float64Array.from({ length: s.n }, (_, i) => i - 30);
  const edges = visibleEdges(s, [-1e9, -1e9, 1e9, 1e9]);
  const lit = (k) => s.esrc[k] < 10;
  const groups = strokeGroups(s, edges, grad, 30, 1, (k) => !lit(k));
  const firstLit = groups.findIndex((g) => !g.dim);
  assert.ok(firstLit > 0 && groups.slice(firstLit).every((g) => !g.dim));
  for (const g of groups) for (const k of g.edges) assert.equal(g.dim, !lit(k));
});

// A canvas stand-in that counts the drawing calls a CanvasRenderer makes.
function fakeCanvas(log) {
  const ctx = {
    calls: log,
    getTransform: () => ({}),
  };
  for (const f of ["setTransform", "fillRect", "strokeRect", "beginPath", "moveTo", "lineTo", "bezierCurveTo",
    "stroke", "fill", "ellipse", "fillText", "drawImage", "setLineDash"]) ctx[f] = () => { log[f] = (log[f] || 0) + 1; };
  return { width: 0, height: 0, style: {}, dataset: {}, className: "", setAttribute() {}, getContext: () => ctx };
}

function setup(n, log) {
  globalThis.window = { devicePixelRatio: 1 };
  globalThis.document = { createElement: () => fakeCanvas(log) };
  globalThis.performance ??= { now: () => Date.now() };
  const container = { innerHTML: "", appendChild() {}, getBoundingClientRect: () => ({ width: 400, height: 300 }) };
  const s = { ...scene(n), kinds: [], multi: [], title: [], opName: [] };
  const theme = { bg: "#fff", zero: "#888", line: "#000", pos: "#0a0", neg: "#a00", box: "#eee", fg: "#000", opFill: "#fff" };
  return { container, s, theme };
}

test("a pan within the bitmap's margin copies it; a new zoom, values or a selection draw it again", () => {
  const log = {};
  const { container, s, theme } = setup(300, log);
  const grad = Float64Array.from({ length: s.n }, (_, i) => i % 3 - 1);
  const v = new CanvasRenderer(container, s, new Float64Array(s.n), grad, true, theme);
  v.setTransform(new Viewport(0.5, 0, 0));
  assert.equal(v.stats.renders, 1);
  const strokes = log.stroke;
  for (const [tx, ty] of [[10, 0], [90, -70], [-99, 74]]) {  // the margin is a quarter of the view: 100 x 75
    v.setTransform(new Viewport(0.5, tx, ty));
    assert.equal(v.stats.renders, 1, `pan to ${tx}, ${ty} drew again`);
    assert.ok(v.stats.cached);
  }
  assert.equal(log.stroke, strokes);
  assert.equal(log.drawImage, 4);  // one copy per repaint
  v.setTransform(new Viewport(0.5, 130, 0));  // past the margin
  assert.equal(v.stats.renders, 2);
  v.setTransform(new Viewport(0.6, 260, 0));  // another zoom
  assert.equal(v.stats.renders, 3);
  v.setValues(new Float64Array(s.n), grad.map((g) => -g));
  assert.equal(v.stats.renders, 4);
  v.setHighlight(3, { dependsOn: new Uint8Array(s.n), dependents: new Uint8Array(s.n) }, null);
  assert.equal(v.stats.renders, 5);
  v.setTransform(new Viewport(0.6, 265, 0));
  assert.equal(v.stats.renders, 5);
});

test("far out, the view is painted as pixels: no paths, no text", () => {
  const log = {};
  const { container, s, theme } = setup(300, log);
  let put = 0;
  const ctx = fakeCanvas(log).getContext();
  ctx.createImageData = (w, h) => ({ data: new Uint8ClampedArray(4 * w * h), width: w, height: h });
  ctx.putImageData = () => { put++; };
  globalThis.document = { createElement: () => ({ ...fakeCanvas(log), getContext: () => ctx }) };
  const v = new CanvasRenderer(container, s, new Float64Array(s.n), Float64Array.from({ length: s.n }, (_, i) => i % 3 - 1), true, theme);
  v.setTransform(new Viewport(0.01, 0, 0));  // 20 px records: 0.2 px on screen; all in view
  assert.ok(v.stats.pixels && v.stats.boxes === s.n && v.stats.edges === s.esrc.length, JSON.stringify(v.stats));
  assert.equal(put, 1);
  assert.equal(log.bezierCurveTo || 0, 0);
  assert.equal(log.fillText || 0, 0);
});

test("after a slow redraw, a zoom shows the scaled bitmap at once and redraws it sharp when zooming pauses", async () => {
  const log = {};
  const { container, s, theme } = setup(300, log);
  const v = new CanvasRenderer(container, s, new Float64Array(s.n), new Float64Array(s.n), true, theme);
  v.setTransform(new Viewport(0.5, 0, 0));
  assert.equal(v.stats.renders, 1);
  v.setTransform(new Viewport(0.6, 0, 0));  // a fast redraw: drawn sharp at once
  assert.equal(v.stats.renders, 2);
  v.stats.renderMs = 400;  // as if that redraw had been slow
  for (const k of [0.7, 0.8, 0.9]) {
    v.setTransform(new Viewport(k, 5, 0));
    assert.ok(v.stats.preview);
    assert.equal(v.stats.renders, 2);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(v.stats.renders, 3);  // once, after the last step
  assert.ok(!v.stats.preview);
  v.destroy();
});

test("a sparse view strokes by groups, not per edge", () => {
  const log = {};
  const { container, s, theme } = setup(300, log);
  s.h.fill(1000);  // tall boxes: drawn as paths even this far out
  const v = new CanvasRenderer(container, s, new Float64Array(s.n), Float64Array.from({ length: s.n }, (_, i) => i % 3 - 1), true, theme);
  v.setTransform(new Viewport(0.01, 0, 0));
  assert.ok(!v.stats.pixels && v.stats.edges > 100);
  assert.equal(log.bezierCurveTo || 0, 2);  // short routes are lines; the bent one's two segments are curves
  assert.ok(log.stroke < 10, `${log.stroke} stroke calls`);
  assert.equal(log.drawImage, 1);  // the bitmap, copied once
});
