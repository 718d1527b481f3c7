import { test } from "node:test";
import assert from "node:assert/strict";
import { afterPaint, oncePerTask, visibleWorld } from "../src/paint.js";
import { Viewport } from "../src/geometry.js";

test("many calls in one task run the function once, after the task", async () => {
  let runs = 0;
  const f = oncePerTask(() => runs++);
  f(); f(); f();
  assert.equal(runs, 0, "not during the task");
  await Promise.resolve();
  assert.equal(runs, 1);
  f();
  await Promise.resolve();
  assert.equal(runs, 2, "a later task runs it again");
});

test("afterPaint runs after the frame callback, as a separate task", async () => {
  const order = [];
  let frame = null;
  afterPaint(() => order.push("after"), (cb) => { frame = cb; });
  assert.deepEqual(order, []);
  frame();
  order.push("frame");
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(order, ["frame", "after"]);
});

test("the visible world rectangle, with a margin in screen pixels", () => {
  const vp = new Viewport();
  vp.scale = 2; vp.tx = -100; vp.ty = 20;
  assert.deepEqual(visibleWorld(400, 200, vp, 40), [30, -30, 270, 110]);
  assert.equal(visibleWorld(0, 200, vp), null, "no size yet");
});
