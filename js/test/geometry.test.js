import { test } from "node:test";
import assert from "node:assert/strict";
import { gradStroke, lodLevel, SpatialGrid, Viewport } from "../src/geometry.js";

test("viewport: world <-> screen, zoom keeps the pointer's point, fit centres", () => {
  const vp = new Viewport(2, 10, 20);
  assert.deepEqual(vp.toScreen(5, 5), [20, 30]);
  assert.deepEqual(vp.toWorld(20, 30), [5, 5]);
  const before = vp.toWorld(100, 50);
  vp.zoomAt(100, 50, 1.7);
  const after = vp.toWorld(100, 50);
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
  vp.fit(1000, 100, 500, 400, 0);
  assert.equal(vp.scale, 0.5);
  assert.deepEqual(vp.toScreen(500, 50), [250, 200]);
  const [x0, , x1] = vp.visibleRect(500, 400);
  assert.deepEqual([x0, x1], [0, 1000]);
});

test("grid hit-testing finds the box under a point, or -1", () => {
  // three boxes: centres (x, y), sizes (w, h)
  const g = new SpatialGrid([50, 200, 60], [20, 20, 20], [80, 100, 20], [30, 30, 10], 40);
  assert.equal(g.hit(20, 20), 0);
  assert.equal(g.hit(60, 20), 2, "the smallest box wins where boxes overlap");
  assert.equal(g.hit(249, 34), 1);
  assert.equal(g.hit(251, 20), -1);
  assert.equal(g.hit(120, 20), -1);
  assert.equal(g.hit(-500, -500), -1);
});

test("grid culling returns exactly the boxes meeting the rectangle", () => {
  const n = 2000, x = [], y = [], w = [], h = [];
  for (let i = 0; i < n; i++) { x.push((i % 50) * 100); y.push(Math.floor(i / 50) * 40); w.push(80); h.push(26); }
  const g = new SpatialGrid(x, y, w, h);
  const rect = [950, 390, 1460, 610];
  const want = [];
  for (let i = 0; i < n; i++) {
    if (x[i] + 40 >= rect[0] && x[i] - 40 <= rect[2] && y[i] + 13 >= rect[1] && y[i] - 13 <= rect[3]) want.push(i);
  }
  assert.deepEqual(g.query(...rect), want);
  assert.ok(want.length > 0 && want.length < 100);
});

test("level of detail: text only when readable", () => {
  assert.equal(lodLevel(1, 12), "text");
  assert.equal(lodLevel(0.6, 12), "text");
  assert.equal(lodLevel(0.5, 12), "boxes");
  assert.equal(lodLevel(0.5, 16), "text");  // bigger record text is readable further out
  assert.equal(lodLevel(0.05, 12), "dots");
});

test("edge stroke: sign picks the colour, magnitude the width", () => {
  assert.deepEqual(gradStroke(0, 5), { sign: "zero", width: 0.75 });
  assert.equal(gradStroke(5, 5).sign, "pos");
  assert.equal(gradStroke(-5, 5).width, 5);
  assert.ok(gradStroke(-1, 5).width < gradStroke(-4, 5).width);
  assert.equal(gradStroke(NaN, 5).sign, "nan");
});
