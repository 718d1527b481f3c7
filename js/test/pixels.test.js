import { test } from "node:test";
import assert from "node:assert/strict";
import { paintPixels, rgbOf } from "../src/pixels.js";

test("colours parse from hex and rgb(); an unknown one is grey without a document", () => {
  assert.deepEqual(rgbOf("#1f6feb"), [31, 111, 235]);
  assert.deepEqual(rgbOf("#abc"), [170, 187, 204]);
  assert.deepEqual(rgbOf("rgb(1, 2, 3)"), [1, 2, 3]);
  assert.deepEqual(rgbOf("rgba(10 20 30 / 0.5)"), [10, 20, 30]);
  assert.deepEqual(rgbOf("var(--nothing)"), [136, 136, 136]);
});

// Three records in a row at y = 0, 100, 200 (x = 0): 0 -> 1 (grad of 0 positive), 1 -> 2 (grad of 1
// negative and small), laid out top to bottom so edges are vertical lines at x = 0.
function scene() {
  return {
    n: 3, x: Float64Array.of(0, 0, 0), y: Float64Array.of(0, 100, 200), w: Float64Array.of(40, 40, 40),
    h: Float64Array.of(20, 20, 20), node: Int32Array.of(0, 1, 2), esrc: Int32Array.of(0, 1), edst: Int32Array.of(1, 2),
    ePtr: new Int32Array(3), ePts: new Float64Array(0), opOf: Int32Array.of(-1, -1, -1), vertical: true, sign: 1,
  };
}

const STYLE = {
  bg: [255, 255, 255], line: [0, 0, 0], selRgb: [200, 0, 200],
  sign: { pos: [0, 0, 255], neg: [255, 0, 0], zero: [128, 128, 128], nan: [100, 100, 100] },
  kindRgb: { "": [240, 240, 240] }, kind: () => "", maxAbs: 4, selected: -1, lit: null, matches: null,
};

function pixel(px, W, x, y) {
  const p = 4 * (y * W + x);
  return [px[p], px[p + 1], px[p + 2]];
}

test("edges take their gradient's colour by sign and its size as opacity; boxes are filled", () => {
  const W = 40, H = 120, px = new Uint8ClampedArray(4 * W * H);
  const grad = [4, -0.25, 0];
  const out = paintPixels(px, W, H, scene(), { k: 0.5, ox: 20, oy: 10, rect: [-40, -20, 40, 220] }, { ...STYLE, grad: (i) => grad[i] });
  assert.deepEqual(out, { boxes: 3, edges: 2, thinned: false, lod: "pixels" });
  const [r1, g1, b1] = pixel(px, W, 20, 30);  // on edge 0 -> 1, between y = 10 and 40 world/2
  assert.ok(b1 > 200 && r1 < 40 && g1 < 40, `strong positive edge: ${[r1, g1, b1]}`);
  const [r2, g2, b2] = pixel(px, W, 20, 80);  // on edge 1 -> 2: negative, weaker, so paler
  assert.ok(r2 > 200 && b2 < r2 && g2 > 60, `weak negative edge: ${[r2, g2, b2]}`);
  assert.deepEqual(pixel(px, W, 5, 80), [255, 255, 255]);  // background
  assert.deepEqual(pixel(px, W, 20, 10), [240, 240, 240]);  // inside box 0 (10 x 5 px, outlined)
  assert.deepEqual(pixel(px, W, 10, 8), [120, 120, 120]);   // its outline: fill and line mixed
});

test("a selection dims what is outside its lineage, and the selected box is marked", () => {
  const W = 40, H = 120, px = new Uint8ClampedArray(4 * W * H);
  const grad = [4, -4, 0];
  const st = { ...STYLE, grad: (i) => grad[i], selected: 0, lit: (i) => i <= 1 };
  paintPixels(px, W, H, scene(), { k: 0.5, ox: 20, oy: 10, rect: [-40, -20, 40, 220] }, st);
  assert.deepEqual(pixel(px, W, 20, 10), [200, 0, 200]);
  const lit = pixel(px, W, 20, 30), dim = pixel(px, W, 20, 80);
  assert.ok(lit[2] > 200, `lit edge ${lit}`);
  assert.ok(dim[0] > 240 && dim[1] > 180, `dimmed edge is faint: ${dim}`);
});

test("nothing outside the buffer is written, however far a line runs", () => {
  const W = 10, H = 10, px = new Uint8ClampedArray(4 * W * H);
  const s = scene();
  s.y = Float64Array.of(-1e6, 0, 1e6);
  s.w.fill(2); s.h.fill(2);
  paintPixels(px, W, H, s, { k: 1, ox: 5, oy: 5, rect: [-1e7, -1e7, 1e7, 1e7] }, { ...STYLE, grad: () => 1 });
  assert.equal(px.length, 400);
  assert.ok(pixel(px, W, 5, 0)[2] > 200 && pixel(px, W, 5, 9)[2] > 200);
});

test("over the pixel budget, long edges with the smallest gradients are left out first; short ones stay", () => {
  const W = 40, H = 240, px = new Uint8ClampedArray(4 * W * H);
  const grad = [-0.1, 4, 0];  // edge 0 -> 1 carries 0's small gradient, 1 -> 2 the large one
  const at = { k: 1, ox: 20, oy: 10, rect: [-40, -20, 40, 240] };  // 80 px long edges
  const out = paintPixels(px, W, H, scene(), at, { ...STYLE, grad: (i) => grad[i], budget: 30 });
  assert.deepEqual(out, { boxes: 3, edges: 1, thinned: true, lod: "pixels" });
  assert.deepEqual(pixel(px, W, 20, 60), [255, 255, 255]);  // the small one: not drawn
  assert.ok(pixel(px, W, 20, 160)[2] > 200);                // the large one: drawn
  const short = paintPixels(new Uint8ClampedArray(4 * W * H), W, H, scene(), { ...at, k: 0.5 },
    { ...STYLE, grad: (i) => grad[i], budget: 0 });
  assert.equal(short.edges, 2);  // 40 px edges are short: drawn whatever the budget
});
