import { test } from "node:test";
import assert from "node:assert/strict";
import { boxScale, expandedFocus, firstViewPlan, MIN_TEXT_PX, overviewBox, overviewRect, readableScale, tipPosition } from "../src/framing.js";
import { expandedBounds } from "../src/groups.js";

const READABLE = readableScale(12);  // record text of 12 px
import { Viewport } from "../src/geometry.js";

test("a small graph is shown whole, at a readable size, in a stage no taller than it needs", () => {
  const p = firstViewPlan(600, 120, 900, 420, { x: 560, y: 60, w: 80, h: 28 }, READABLE);
  assert.equal(p.whole, true);
  assert.ok(p.scale * 12 >= 10);
  assert.ok(p.stageH < 420 && p.stageH >= 120 * p.scale);
  assert.ok(p.tx >= 0 && p.tx + 600 * p.scale <= 900);
});

test("a wide graph opens readable at the output's end, clipped on the left only", () => {
  const out = { x: 2900, y: 200, w: 160, h: 28 };
  const p = firstViewPlan(3000, 400, 900, 420, out, READABLE);
  assert.equal(p.whole, false);
  assert.ok(p.scale >= READABLE - 1e-9 && p.scale * 12 >= 10);
  const right = (out.x + out.w / 2) * p.scale + p.tx;
  assert.ok(right <= 900 && right > 800, `output's right edge at ${right}`);
  const left = (out.x - out.w / 2) * p.scale + p.tx;
  assert.ok(left >= 0, "the output record is wholly inside");
  assert.ok(p.ty >= 0 && p.ty + 400 * p.scale <= p.stageH, "not clipped top or bottom: it fits");
});

test("a tall graph centres the output and keeps the graph's edges inside the stage", () => {
  const out = { x: 900, y: 30, w: 100, h: 28 };
  const p = firstViewPlan(1000, 5000, 900, 420, out, READABLE);
  assert.equal(p.whole, false);
  assert.equal(p.stageH, 420);
  assert.ok(p.ty <= 16 && p.ty >= 420 - 16 - 5000 * p.scale);
  const y = out.y * p.scale + p.ty;
  assert.ok(y > 0 && y < 420);
});

test("tooltips stay inside the stage", () => {
  assert.deepEqual(tipPosition(10, 10, 100, 50, 500, 300), [24, 24]);
  const [x, y] = tipPosition(480, 290, 100, 50, 500, 300);
  assert.ok(x + 100 <= 500 && y + 50 <= 300 && x >= 0 && y >= 0);
  const [x2, y2] = tipPosition(50, 50, 600, 400, 500, 300);  // bigger than the stage: pinned at 0
  assert.deepEqual([x2, y2], [0, 0]);
});

test("the overview maps the scene and the visible rectangle", () => {
  const ov = overviewBox(3000, 1000, 180, 120);
  assert.equal(ov.w, 180);
  assert.equal(ov.h, 60);
  const vp = new Viewport(1, -2100, 0);
  const [x, y, w, h] = overviewRect(vp, 900, 420, ov);
  assert.ok(Math.abs(x - 2100 * ov.k) < 1e-9 && y === 0);
  assert.ok(Math.abs(w - 900 * ov.k) < 1e-9 && Math.abs(h - 420 * ov.k) < 1e-9);
});

test("showing a box zooms in to a readable size only when the view is smaller than that", () => {
  assert.equal(boxScale(0.95, 100, 800, READABLE), 0.95, "readable already: kept");
  assert.equal(boxScale(0.1, 100, 800, READABLE), 1, "zoomed in, but not past 1");
  assert.equal(boxScale(0.1, 5000, 800, READABLE), READABLE, "a wide box: readable, even if it does not fit");
});

test("after an expand: the whole group if it fits readable, else readable with its output box in view", () => {
  const small = expandedFocus([100, 0, 500, 200, 400, 100, 100, 30], 900, 400, READABLE);
  assert.deepEqual(small, { scale: 1, cx: 300, cy: 100 });
  const big = expandedFocus([0, 0, 20000, 300, 19900, 150, 200, 30], 900, 400, READABLE);  // left to right
  assert.equal(big.scale, READABLE);
  assert.ok(Math.abs(big.cx - (20000 - (450 - 16) / READABLE)) < 1e-9);  // the output end at the right edge
  assert.equal(big.cy, 150);
  // top to bottom, a bit too wide: the output (a column on the left) whole, as near the middle as that allows
  const tb = expandedFocus([0, 0, 1080, 200, 150, 180, 300, 22], 900, 640, READABLE);
  assert.equal(tb.scale, READABLE);
  assert.ok((0 - tb.cx) * READABLE >= -(450 - 16) - 1e-9 && tb.cx < 540);
  assert.equal(tb.cy, 100);
});

test("readable means MIN_TEXT_PX on screen for the record font Python sent", () => {
  assert.ok(Math.abs(readableScale(12) * 12 - 10) < 1e-12);
  assert.equal(readableScale(20), 0.5);
  const out = { x: 2900, y: 200, w: 160, h: 28 };
  const big = firstViewPlan(3000, 400, 900, 420, out, readableScale(20));  // bigger text: not shown whole
  const small = firstViewPlan(3000, 400, 900, 420, out, readableScale(40));  // 40 px text: whole at 0.29
  assert.equal(big.whole, false);
  assert.ok(big.scale >= 0.5);
  assert.equal(small.whole, true);
  assert.throws(() => readableScale(undefined), /font size/);
});

test("a top-to-bottom view too tall to show whole opens at its end, the output near the bottom", () => {
  const out = { x: 300, y: 2900, w: 200, h: 22 };
  const p = firstViewPlan(600, 3000, 900, 640, out, readableScale(12), 120, true);
  assert.equal(p.whole, false);
  assert.equal(p.stageH, 640);
  assert.ok(p.scale * 12 >= MIN_TEXT_PX - 1e-9);
  const bottom = (out.y + out.h / 2) * p.scale + p.ty;
  assert.ok(bottom <= 640 && bottom >= 640 - 40, `output's bottom at ${bottom}`);
  assert.ok(Math.abs(p.tx - (900 - 600 * p.scale) / 2) < 1e-9);  // the column centred across
  // a column wider than the stage: the output centred across, the edges kept inside
  const wide = firstViewPlan(3000, 3000, 900, 640, { x: 2800, y: 2900, w: 200, h: 22 }, readableScale(12), 120, true);
  assert.ok(wide.tx <= 16 && wide.tx >= 900 - 16 - 3000 * wide.scale);
});

test("an opened sample whose boxes lie far apart is framed on its right-most box (issue 22)", () => {
  // "Expand MLP#45" on the 66k moons graph: two inputs far left, layers.0 mid-way, layers.1 and 2
  // at the bottom right; the middle of their rectangle is empty
  const boxes = [[157, 25], [157, 63], [863, 493], [2378, 797], [2763, 797]];
  const s = { n: 5, x: boxes.map((b) => b[0]), y: boxes.map((b) => b[1]), w: [60, 60, 200, 200, 200], h: [28, 28, 28, 28, 28],
    group: ["", "", "MLP#45/layers.0", "MLP#45/layers.1", "MLP#45/layers.2"], node: [0, 1, -1, -1, -1] };
  const r = expandedBounds(s, ["MLP#45", "MLP#45"], "MLP#45");
  const W = 1100, H = 420;
  const f = expandedFocus(r, W, H, READABLE);
  const inView = (b) => {
    const [x, y] = boxes[b], hw = s.w[b] / 2, hh = s.h[b] / 2;
    return (x - hw - f.cx) * f.scale >= -W / 2 && (x + hw - f.cx) * f.scale <= W / 2
      && (y - hh - f.cy) * f.scale >= -H / 2 && (y + hh - f.cy) * f.scale <= H / 2;
  };
  assert.ok(inView(4), "the right-most opened box (the sample's output layer) is in view");
  assert.ok(f.scale >= READABLE);
});
