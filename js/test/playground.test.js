import { test } from "node:test";
import assert from "node:assert/strict";
import { byteTable, labelColors, paintBytes, playgroundVars, rgbOf, weightStroke } from "../src/playground/colors.js";
import { CONTROLS, parseIndex, parseValue, showValue } from "../src/playground/controls.js";
import { curvePoints, curveScales, fmtLoss } from "../src/playground/curve.js";
import { edgeCurve, layoutNetwork, mapRow, networkEdges } from "../src/playground/network.js";
import { hitPoint, toPixel, unpackPoints } from "../src/playground/points.js";

// a palette as Python's constants send it (gradviz/theme.py PLAYGROUND), with easy numbers
const PAL = { neg: [200, 100, 0], zero: [100, 100, 100], pos: [0, 50, 250], ok: "#00aa00", okBg: "#eeffee", bad: "#aa0000", badBg: "#ffeeee" };

test("colours: zero is the palette's neutral, the ends its negative and positive, clipped beyond", () => {
  assert.deepEqual(rgbOf(0, PAL), PAL.zero);
  assert.deepEqual(rgbOf(-1, PAL), PAL.neg);
  assert.deepEqual(rgbOf(1, PAL), PAL.pos);
  assert.deepEqual(rgbOf(5, PAL), rgbOf(1, PAL));
  assert.deepEqual(rgbOf(NaN, PAL), rgbOf(0, PAL));
  assert.deepEqual(rgbOf(0.5, PAL), [50, 75, 175]);
  assert.deepEqual(rgbOf(-0.5, PAL), [150, 100, 50]);
});

test("heatmap bytes map through the table: 0 -> negative end, 255 -> positive end, one RGBA per byte", () => {
  const lut = byteTable(PAL);
  const out = new Uint8ClampedArray(12);
  paintBytes(out, new Uint8Array([9, 0, 255, 128, 9]), 1, 3, lut);
  assert.deepEqual([...out.slice(0, 4)], [...PAL.neg, 255]);
  assert.deepEqual([...out.slice(4, 8)], [...PAL.pos, 255]);
  assert.deepEqual([...out.slice(8, 11)], rgbOf(128 / 127.5 - 1, PAL));
});

test("weights: colour by sign, width grows with size and saturates at |w| = 2", () => {
  const pos = weightStroke(0.5, PAL);
  const neg = weightStroke(-0.5, PAL);
  assert.equal(pos.color, "rgb(0,50,250)");
  assert.equal(neg.color, "rgb(200,100,0)");
  assert.equal(pos.width, neg.width);
  assert.ok(weightStroke(1.5, PAL).width > weightStroke(0.5, PAL).width);
  assert.equal(weightStroke(2, PAL).width, 6);
  assert.equal(weightStroke(20, PAL).width, 6);
  assert.equal(weightStroke(0, PAL).width, 0.5);
});

test("the points' fills and the page's variables come from the palette", () => {
  assert.deepEqual(labelColors(PAL), { "-1": "rgb(200,100,0)", "1": "rgb(0,50,250)" });
  const v = playgroundVars(PAL);
  assert.equal(v["--gvp-neg"], "rgb(200, 100, 0)");
  assert.equal(v["--gvp-ok-bg"], "#eeffee");
  assert.equal(v["--gvp-bad"], "#aa0000");
});

test("controls: every setting has a label (its aria-label) and round-trips through the text", () => {
  const keys = CONTROLS.map((c) => c.key);
  assert.deepEqual(keys, ["dataset", "noise", "n", "test_fraction", "hidden", "activation", "lr", "l2", "batch_size", "seed"]);
  for (const c of CONTROLS) assert.ok(c.label.length > 1);
  assert.equal(showValue("hidden", [16, 16]), "16, 16");
  assert.equal(showValue("batch_size", null), "0");
  assert.equal(parseValue("lr", "0.05"), 0.05);
  assert.equal(parseValue("lr", "abc"), null);
  assert.equal(parseValue("n", "10.5"), null);
  assert.equal(parseValue("seed", " 7 "), 7);
  assert.equal(parseValue("hidden", "8, 4"), "8, 4");
  assert.equal(parseValue("dataset", "<b>x</b>"), "<b>x</b>");  // the kernel rejects it; never HTML
  assert.throws(() => parseValue("nope", "1"), /unknown control/);
});

test("loss curve: x spans the steps, y runs from 0 (bottom) to the largest loss (top), gaps skipped", () => {
  const curve = { step: [0, 5, 10], train: [2, 1, null], test: [1, 0.5, 0.25] };
  const s = curveScales(curve, 108, 58);
  assert.equal(s.top, 2);
  assert.equal(s.x(0), 4);
  assert.equal(s.x(10), 104);
  assert.equal(s.y(0), 54);
  assert.equal(s.y(2), 4);
  assert.deepEqual(curvePoints(curve, "train", 108, 58), [[4, 4], [54, 29]]);
  assert.equal(curvePoints(curve, "test", 108, 58).length, 3);
  assert.deepEqual(curvePoints({}, "train", 10, 10), []);
  assert.equal(fmtLoss(0.12345), "0.123");
  assert.equal(fmtLoss(null), "–");
  assert.equal(fmtLoss(NaN), "–");
});

test("network layout: columns per layer, centred vertically, edges carry the [out][in] weight", () => {
  const sizes = [2, 3, 1];
  const lay = layoutNetwork(sizes, 30, 70, 6);
  assert.equal(lay.nodes.length, 6);
  assert.equal(lay.height, 3 * 30 + 2 * 6);
  assert.equal(lay.width, 2 * 100 + 30);
  const out = lay.nodes.find((n) => n.layer === 2);
  assert.equal(out.y, (lay.height - 30) / 2);
  const w = [[1, 2, 3, 4, 5, 6], [7, 8, 9]];
  const edges = networkEdges(sizes, w, lay);
  assert.equal(edges.length, 2 * 3 + 3 * 1);
  const e = edges.find((x) => x.layer === 1 && x.out === 2 && x.in === 1);
  assert.equal(e.w, 6);
  assert.equal(edges.find((x) => x.layer === 2 && x.in === 2).w, 9);
  const [x0, y0, c1x, c1y, c2x, c2y, x1, y1] = edgeCurve(e);
  assert.deepEqual([x0, x1], [30, 100]);
  assert.deepEqual([c1x, c2x], [65, 65]);
  assert.deepEqual([c1y, c2y], [y0, y1]);
  assert.equal(y0, lay.nodes.find((n) => n.layer === 0 && n.index === 1).y + 15);
});

test("heatmap rows: 0 is the score, then hidden neurons layer by layer; inputs have none", () => {
  const sizes = [2, 16, 16, 1];
  assert.equal(mapRow(sizes, 0, 1), -1);
  assert.equal(mapRow(sizes, 1, 0), 1);
  assert.equal(mapRow(sizes, 2, 0), 17);
  assert.equal(mapRow(sizes, 3, 0), 33);
});

test("points: unpacked per split, mapped with y up, and a click finds the nearest within reach", () => {
  const pts = unpackPoints({ train: [0, 0, 1, 1, 1, -1], test: [-1, -1, 1] });
  assert.deepEqual(pts.map((p) => [p.split, p.index, p.label]), [["train", 0, 1], ["train", 1, -1], ["test", 0, 1]]);
  const ext = [-2, 2, -2, 2];
  assert.deepEqual(toPixel(ext, 100, 0, 0), [50, 50]);
  assert.deepEqual(toPixel(ext, 100, 2, 2), [100, 0]);
  const [px, py] = toPixel(ext, 100, 1, 1);
  assert.equal(hitPoint(pts, ext, 100, px + 3, py - 2).index, 1);
  assert.equal(hitPoint(pts, ext, 100, px + 30, py), null);
});

test("a typed point number is a whole number >= 0, anything else is refused", () => {
  assert.equal(parseIndex(" 12 "), 12);
  assert.equal(parseIndex("0"), 0);
  for (const bad of ["", "-1", "1.5", "1e3", "x", "<b>"]) assert.equal(parseIndex(bad), null, bad);
});
