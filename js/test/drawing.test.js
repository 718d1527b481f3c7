import { test } from "node:test";
import assert from "node:assert/strict";
import { Drawing, rendererKind, SVG_MAX_BOXES } from "../src/drawing.js";
import { Selection } from "../src/selection.js";
import { smallGraph } from "./fixture.js";

/** Stand-in renderers (the test has no layout): they record what they were given and were told. */
class Fake {
  constructor(container, scene, data, grad, showGrads, theme) { Object.assign(this, { container, scene, data, grad, showGrads, theme, calls: [] }); }
  setHighlight(...a) { this.calls.push(["highlight", ...a]); }
  draw() { this.calls.push(["draw"]); }
  destroy() { this.destroyed = true; }
}
class FakeSvg extends Fake {}
class FakeCanvas extends Fake {}
const stage = {};
const drawing = () => new Drawing(stage, { svg: FakeSvg, canvas: FakeCanvas });

test("up to SVG_MAX_BOXES boxes are drawn as SVG, more on a canvas", () => {
  assert.equal(rendererKind(1), "svg");
  assert.equal(rendererKind(SVG_MAX_BOXES), "svg");
  assert.equal(rendererKind(SVG_MAX_BOXES + 1), "canvas");
});

test("a drawing holds the scene, its renderer, and finds boxes and lineage", () => {
  const g = smallGraph();
  const d = drawing();
  const s = d.build(g.view, g, { data: g.data, grad: g.grad }, true, () => assert.fail("SVG reads no theme"));
  assert.equal(s.n, 4);
  assert.equal(d.kind, "svg");
  const r = d.renderer;
  assert.ok(r instanceof FakeSvg);
  assert.deepEqual([r.container, r.scene, r.data, r.showGrads], [stage, s, g.data, true]);
  d.retheme(() => assert.fail("SVG follows the CSS"));
  assert.equal(d.boxAt(250, 50), 2);
  assert.equal(d.boxAt(250, 90), -1);
  const sel = new Selection();
  sel.select(d, 2);
  assert.equal(sel.node, 2);
  assert.deepEqual(Array.from(sel.masks.dependsOn), [1, 1, 0, 0]);
  assert.deepEqual(Array.from(sel.masks.dependents), [0, 0, 0, 1]);
  d.destroy();
  assert.ok(r.destroyed);
  assert.equal(d.renderer, null);
});

test("a big view goes on a canvas, which takes the theme and redraws when it changes", () => {
  const g = smallGraph();
  const n = SVG_MAX_BOXES + 1, big = { ...g.view, box_x: new Array(n).fill(50), box_y: new Array(n).fill(25), box_w: new Array(n).fill(10), box_h: new Array(n).fill(10) };
  const d = drawing();
  d.build(big, { ...g, structure: { ...g.structure, n, labels: new Array(n).fill("v") } }, { data: new Float64Array(n), grad: new Float64Array(n) }, false, () => "light");
  assert.equal(d.kind, "canvas");
  const first = d.renderer;
  assert.ok(first instanceof FakeCanvas);
  assert.equal(first.theme, "light");
  d.retheme(() => "dark");
  assert.equal(first.theme, "dark");
  assert.deepEqual(first.calls, [["draw"]]);
  d.build(g.view, g, { data: g.data, grad: g.grad }, true, () => "light");
  assert.ok(first.destroyed, "a rebuild destroys the old renderer");
});

test("the selection keeps its value across a rebuilt drawing, and loses its box when folded away", () => {
  const g = smallGraph();
  const d = drawing();
  d.build(g.view, g, { data: g.data, grad: g.grad }, true, () => ({}));
  const sel = new Selection();
  sel.select(d, 1);
  d.build(g.view, g, { data: g.data, grad: g.grad }, false, () => ({}));
  sel.rebind(d);
  assert.deepEqual([sel.box, sel.node], [1, 1]);
  d.scene.boxOfNode.delete(1);  // value 1 is inside a folded group now
  sel.rebind(d);
  assert.deepEqual([sel.box, sel.node, sel.masks], [-1, 1, null]);
  sel.select(d, -1);
  assert.deepEqual([sel.box, sel.node, sel.masks], [-1, -1, null]);
});

test("a group box selects no value", () => {
  const g = smallGraph();
  const d = drawing();
  d.build(g.view, g, { data: g.data, grad: g.grad }, true, () => ({}));
  d.scene.group[3] = "MLP#0";
  const sel = new Selection();
  sel.select(d, 3);
  assert.deepEqual([sel.box, sel.node], [3, -1]);
  sel.select(d, 3, 0);  // a search hit: the group hiding value 0
  assert.equal(sel.node, 0);
  const marks = [];
  sel.matches = new Set([3]);
  sel.show({ setHighlight: (...a) => marks.push(a) });
  assert.deepEqual(marks[0][0], 3);
  assert.deepEqual(marks[0][2], new Set([3]));
});
