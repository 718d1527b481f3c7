import { test } from "node:test";
import assert from "node:assert/strict";
import { Camera } from "../src/camera.js";
import { MIN_TEXT_PX, readableScale } from "../src/framing.js";
import { makeScene } from "../src/scene.js";
import { CONSTANTS, smallGraph } from "./fixture.js";

const READABLE = readableScale(CONSTANTS.fontSize);

function cam(W = 800, H = 400) {
  let applied = 0;
  const c = new Camera(() => applied++);
  c.size = [W, H];
  return { c, applied: () => applied };
}

test("fit shows the whole scene and redraws; nothing happens before the stage has a size", () => {
  const { scene } = smallGraph();
  const { c, applied } = cam();
  c.fit(scene);
  const [x0, y0] = c.vp.toScreen(0, 0), [x1, y1] = c.vp.toScreen(scene.width, scene.height);
  assert.ok(x0 >= 0 && y0 >= 0 && x1 <= 800 && y1 <= 400);
  assert.equal(applied(), 1);
  assert.equal(c.userMoved, false, "fitting by the page is not a user's move");
  const z = cam(0, 0);
  z.c.fit(scene);
  assert.equal(z.applied(), 0);
});

test("the first view plans the stage height and shows a small graph whole", () => {
  const { scene, structure } = smallGraph();
  const { c } = cam(900, 0);
  const p = c.first(scene, structure.root, 420);
  assert.equal(p.whole, true);
  assert.equal(c.size[1], p.stageH);
  assert.ok(p.stageH <= 420);
  assert.equal(c.vp.scale, p.scale);
});

test("the user's moves mark the view as moved; zoom keeps the centre fixed", () => {
  const { scene } = smallGraph();
  const { c, applied } = cam();
  c.pan(10, 5);
  assert.equal(c.userMoved, true);
  assert.deepEqual([c.vp.tx, c.vp.ty], [10, 5]);
  const before = c.vp.toWorld(400, 200);
  c.zoom(2);
  const after = c.vp.toWorld(400, 200);
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
  c.userFit(scene);
  assert.equal(applied(), 3);
});

test("a search hit is centred, at a readable zoom", () => {
  const { scene } = smallGraph();
  const { c } = cam();
  c.vp.scale = 0.2;
  c.showBox(scene, 3);
  assert.ok(c.vp.scale >= READABLE);
  const [sx, sy] = c.vp.toScreen(scene.x[3], scene.y[3]);
  assert.deepEqual([sx, sy], [400, 200]);
});

test("an opened group is brought into view; an unknown key moves nothing", () => {
  const { scene } = smallGraph();
  const s = { ...scene, group: ["", "", "", ""] };
  const { c, applied } = cam();
  c.showExpanded(s, ["net/h1/a", "net/h1/b", "", ""], "net/h1");
  const [sx] = c.vp.toScreen(50, 0);
  assert.equal(sx, 400, "centred on the group's boxes (a and b)");
  const n = applied();
  c.showExpanded(s, ["", "", "", ""], "net/h1");
  assert.equal(applied(), n);
});

test("readable zooms follow the font size the scene was given (constants.fontSize)", () => {
  const { view, structure, childPtr, childIdx } = smallGraph();
  for (const fontSize of [12, 24]) {
    const scene = makeScene(view, { ...structure, constants: { ...CONSTANTS, fontSize } }, childPtr, childIdx);
    assert.equal(scene.fontPx, fontSize);
    const { c } = cam(60, 400);  // a box wider than the stage: shown at the readable zoom
    c.vp.scale = 0.1;
    c.showBox(scene, 3);
    assert.ok(Math.abs(c.vp.scale * fontSize - MIN_TEXT_PX) < 1e-9, "a hit is shown with its text at MIN_TEXT_PX");
  }
});
