import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom } from "./fakedom.js";
import { boxStyles, decodeOverlay, decodeOverlays, legendItems, makeOverlayBar, markOf, NONE, overlayTip, usedMarks } from "../src/overlay.js";

const LEGEND = [
  { key: "nonfinite", text: "NaN or inf", colour: "#dc2626", dash: "" },
  { key: "vanishing", text: "vanishing gradient", colour: "#2563eb", dash: "" },
  { key: "layer", text: "in a flagged layer", colour: "#d97706", dash: "4,3" },
];

/** A health overlay of 4 nodes as the kernel sends it (bytes as DataViews, like anywidget). */
function healthTrait() {
  const bytes = (Type, xs) => new DataView(Type.from(xs).buffer);
  return {
    version: 1, kind: "health", legend: LEGEND, summary: "2 finding(s)", layers: ["layers.0"],
    mark: bytes(Uint8Array, [NONE, 0, 1, 2]), layer: bytes(Int32Array, [-1, -1, 0, 0]),
    flags: bytes(Uint8Array, [0, 1, 2 | 32, 32]), flag_text: ["NaN or inf", "vanishing gradient", "exploding", "dead", "saturated", "in a flagged layer"],
    first: 1, first_text: "'big' (*) is the first value to become inf",
  };
}

test("an overlay decodes from the kernel's bytes, and is refused for another graph's size", () => {
  const ov = decodeOverlay(healthTrait(), 4);
  assert.deepEqual(Array.from(ov.mark), [NONE, 0, 1, 2]);
  assert.deepEqual(Array.from(ov.layer), [-1, -1, 0, 0]);
  assert.equal(ov.first, 1);
  assert.equal(decodeOverlay(healthTrait(), 5), null);
  assert.equal(decodeOverlay({ ...healthTrait(), version: 2 }, 4), null);
  assert.equal(decodeOverlay(null, 4), null);
  assert.deepEqual(Object.keys(decodeOverlays({ health: healthTrait() }, 4)), ["health"]);
  assert.deepEqual(decodeOverlays({}, 4), {});
});

test("marks and tips per node; a folded group takes its output's mark", () => {
  const ov = decodeOverlay(healthTrait(), 4);
  assert.equal(markOf(ov, 0), null);
  assert.equal(markOf(ov, 2).colour, "#2563eb");
  assert.equal(markOf(ov, 9), null);
  assert.deepEqual(overlayTip(ov, 2), ["health: vanishing gradient, in a flagged layer (layer layers.0)"]);
  assert.deepEqual(overlayTip(ov, 0), []);
  const scene = { n: 2, node: Int32Array.from([3, 0]) };  // box 0 is a group whose output is node 3
  const styles = boxStyles(ov, scene);
  assert.equal(styles[0].dash, "4,3");
  assert.equal(styles[1], null);
  assert.equal(boxStyles(null, scene), null);
});

test("a diff overlay's tip says the relative change", () => {
  const rel = new Float64Array([0, 0.25, NaN, Infinity]);
  const ov = decodeOverlay({ version: 1, kind: "diff", legend: LEGEND, mark: Uint8Array.from([NONE, 1, 0, 0]), layer: Int32Array.from([-1, -1, -1, -1]), rel }, 4);
  assert.deepEqual(overlayTip(ov, 1), ["diff: relative change 0.250"]);
  assert.deepEqual(overlayTip(ov, 2), ["diff: relative change not comparable (NaN)"]);
  assert.deepEqual(overlayTip(ov, 3), ["diff: relative change infinite (from 0)"]);
  assert.deepEqual(overlayTip(ov, 0), []);
});

test("the legend lists the entries some node uses", () => {
  const ov = decodeOverlay(healthTrait(), 4);
  assert.deepEqual([...usedMarks(ov)].sort(), [0, 1, 2]);
  ov.mark[1] = NONE;
  assert.deepEqual(legendItems(ov, usedMarks(ov)).map((e) => e.key), ["vanishing", "layer"]);
  assert.deepEqual(legendItems(null), []);
});

test("the overlay bar toggles overlays, jumps to the first NaN, and shows the legend", () => {
  installFakeDom();
  const turned = [], jumped = [];
  const bar = makeOverlayBar((k) => turned.push(k), (i) => jumped.push(i));
  const overlays = { health: decodeOverlay(healthTrait(), 4) };
  bar.update(overlays, "", []);
  assert.equal(bar.buttons.health.hidden, false);
  assert.equal(bar.buttons.diff.hidden, true, "no compared graph: no Diff button");
  assert.equal(bar.buttons.health.getAttribute("aria-pressed"), "false");
  bar.buttons.health.click();
  assert.deepEqual(turned, ["health"]);
  bar.update(overlays, "health", []);
  assert.equal(bar.buttons.health.getAttribute("aria-pressed"), "true");
  bar.buttons.health.click();
  assert.deepEqual(turned, ["health", ""], "pressed again: off");
  assert.match(bar.el.textContent, /2 finding\(s\)/);
  assert.match(bar.el.textContent, /vanishing gradient/);
  assert.equal(bar.first.hidden, false);
  bar.first.click();
  assert.deepEqual(jumped, [1]);
  bar.update({}, "", []);
  assert.equal(bar.el.hidden, true, "a page with no overlay data shows no bar");
  bar.update({}, "", ["health"]);
  assert.equal(bar.buttons.health.hidden, false, "a kernel computes health on demand");
  assert.equal(bar.buttons.diff.hidden, true);
  assert.equal(bar.first.hidden, true);
});
