// The Playground page's modules: the play loop, the decision heatmap's points, the network tiles
// and the elements (playground.test.js covers the pure layout and colour functions).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Element, installFakeDom } from "./fakedom.js";
import { AHEAD, PlayLoop } from "../src/playground/play.js";
import { drawPoints, isSelected, mapHash } from "../src/playground/heatmap.js";
import { inputBytes, NetTiles, neuronName, TILE } from "../src/playground/tiles.js";
import { makePlaygroundShell } from "../src/playground/shell.js";
import { CONTROLS } from "../src/playground/controls.js";

installFakeDom();
globalThis.window ??= { devicePixelRatio: 1 };

/** A 2d context stand-in that records every call and property set. */
function fakeCtx() {
  const calls = [];
  return new Proxy({ calls }, {
    get: (t, k) => (k in t ? t[k] : (...a) => { calls.push([k, ...a]); return k === "createImageData" ? { data: new Uint8ClampedArray(a[0] * a[1] * 4) } : undefined; }),
    set: (t, k, v) => { calls.push([`${String(k)}=`, v]); return true; },
  });
}
Element.prototype.getContext = function () { return (this.ctx ??= fakeCtx()); };

test("playing asks AHEAD frames ahead; each frame that comes asks for the next; pausing stops", () => {
  const sent = [], states = [];
  const loop = new PlayLoop((m) => sent.push(m), (on) => states.push(on));
  loop.toggle();
  assert.deepEqual(sent, [{ type: "play" }, ...Array.from({ length: AHEAD }, (_, k) => ({ type: "tick", tick: k + 1 }))]);
  loop.frame(1);
  assert.deepEqual(sent.at(-1), { type: "tick", tick: AHEAD + 1 });
  loop.frame(1);  // the same frame again asks for nothing
  assert.equal(sent.length, AHEAD + 2);
  loop.toggle();
  assert.deepEqual(sent.at(-1), { type: "pause" });
  loop.frame(2);
  assert.equal(sent.length, AHEAD + 3, "no frames asked while paused");
  assert.deepEqual(states, [true, false]);
});

test("the decision map's checksum changes with its bytes; the selected point is ringed", () => {
  const a = Uint8Array.from([0, 1, 2, 3]), b = Uint8Array.from([0, 1, 2, 4]);
  assert.notEqual(mapHash(a, 4), mapHash(b, 4));
  assert.equal(mapHash(a, 3), mapHash(b, 3), "only the first `size` bytes count");
  const q = { split: "test", index: 3, x: 0, y: 0, label: 1 };
  assert.ok(isSelected(q, ["sample", "test", 3]));
  assert.ok(!isSelected(q, ["sample", "train", 3]) && !isSelected(q, null) && !isSelected(q, ["neuron", 0, 3]));
  const ctx = fakeCtx();
  drawPoints(ctx, [q, { split: "train", index: 0, x: 1, y: 1, label: -1 }], [-1, 1, -1, 1], 300, ["sample", "test", 3], { 1: "#f00", "-1": "#00f" }, "#sel");
  const arcs = ctx.calls.filter((c) => c[0] === "arc");
  assert.deepEqual(arcs.map((c) => [c[1], c[2], c[3]]), [[150, 150, 3.5], [150, 150, 8], [300, 0, 4]]);
  assert.deepEqual(ctx.calls.filter((c) => c[0] === "fillStyle=").map((c) => c[1]), ["#f00", "#00f"]);
  assert.ok(ctx.calls.some((c) => c[0] === "strokeStyle=" && c[1] === "#sel"));
});

test("neurons are named as in Python; an input's tile shows its coordinate", () => {
  assert.equal(neuronName(0, 1, 3), "input x1");
  assert.equal(neuronName(1, 4, 3), "layers.0.neurons.4");
  assert.equal(neuronName(2, 0, 3), "layers.1.neurons.0 (output)");
  assert.deepEqual(Array.from(inputBytes(0, 2)), [0, 255, 0, 255]);
  assert.deepEqual(Array.from(inputBytes(1, 2)), [255, 255, 0, 0]);
});

test("the tiles: one per neuron, rebuilt only when the network or grid changes; a click opens a neuron", () => {
  const box = new Element("div"), edges = new Element("canvas"), opened = [];
  const lut = new Uint8Array(256 * 4);
  const t = new NetTiles(box, edges, lut, { neg: [200, 0, 0], pos: [0, 0, 200] }, (layer, index) => opened.push([layer, index]));
  const net = { sizes: [2, 3, 1], w: [[1, 2, 3, 4, 5, 6], [1, -1, 0.5]] };
  t.build(net, 4);
  assert.equal(t.tiles.length, 6);
  assert.equal(t.edges.length, 2 * 3 + 3);
  const first = t.tiles[0].el;
  t.build(net, 4);
  assert.equal(t.tiles[0].el, first, "same network: nothing rebuilt");
  assert.deepEqual(box.byTag("canvas").map((c) => c.getAttribute("aria-label")),
    ["input x0", "input x1", "layers.0.neurons.0: open its scalar graph", "layers.0.neurons.1: open its scalar graph",
      "layers.0.neurons.2: open its scalar graph", "layers.1.neurons.0 (output): open its scalar graph"]);
  assert.equal(t.tiles[2].el.style.width, `${TILE}px`);
  t.tiles[5].el.click();
  t.tiles[3].el.dispatch("keydown", { key: "Enter" });
  assert.deepEqual(opened, [[1, 0], [0, 1]]);
  const bytes = new Uint8Array(16 * 5);  // rows: score, then 3 hidden neurons, one spare
  t.paintMaps(bytes, 4);
  assert.ok(t.tiles.slice(2).every((x) => x.img), "every neuron with a row got its picture");
  t.build({ sizes: [2, 1], w: [[1, 1]] }, 4);
  assert.equal(box.byTag("canvas").length, 3, "the old tiles went");
  t.paintEdges({ sizes: [2, 1], w: [[1, 1]] });
  const calls = edges.getContext().calls;
  assert.equal(calls.filter((c) => c[0] === "bezierCurveTo").length, 2);
  assert.deepEqual(calls.filter((c) => c[0] === "strokeStyle=").map((c) => c[1]), ["rgb(0,0,200)", "rgb(0,0,200)"]);
});

test("the Playground's elements: buttons, a field per setting, heatmap, picker", () => {
  const el = new Element("div");
  const ui = makePlaygroundShell(el);
  assert.equal(el.childNodes[0], ui.root);
  assert.equal(ui.root.getAttribute("aria-label"), "gradviz playground");
  assert.deepEqual([ui.buttons.play, ui.buttons.step, ui.buttons.reset, ui.buttons.compare].map((b) => b.getAttribute("aria-label")),
    ["play", "step", "reset", "check the current step with PyTorch"]);
  assert.deepEqual(Object.keys(ui.settings.inputs), CONTROLS.map((c) => c.key));
  for (const c of CONTROLS) assert.equal(ui.settings.inputs[c.key].getAttribute("aria-label"), c.label);
  assert.equal(ui.mainCanvas.getAttribute("width"), "300");
  assert.equal(ui.pickIndex.getAttribute("aria-label"), "point number");
  assert.equal(ui.errorBox.getAttribute("role"), "alert");
});
