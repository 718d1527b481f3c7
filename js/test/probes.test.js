import { test } from "node:test";
import assert from "node:assert/strict";
import { recordAnswer, recordLocal, recordReady } from "../src/probes.js";

// the stand-in frame is a task; afterPaint runs a task after it: three tasks later both have run
const tick = () => new Promise((r) => setTimeout(r, 0));
const frame = async () => { await tick(); await tick(); await tick(); };
globalThis.requestAnimationFrame ??= (fn) => setTimeout(fn, 0);

test("answers and local changes are counted and timed after their frame", async () => {
  const root = { dataset: {} }, session = { answers: 0, locals: 0 };
  const order = [];
  recordLocal(root, performance.now(), session, () => order.push("flush local"));
  recordAnswer(root, performance.now(), true, session, () => order.push("counted"), () => order.push("flush"));
  assert.deepEqual(root.dataset, {}, "nothing before the frame");
  await frame();
  assert.deepEqual(order, ["flush local", "counted", "flush"]);
  assert.equal(root.dataset.localCount, "1");
  assert.equal(root.dataset.nudgeCount, "1");
  assert.ok(Number(root.dataset.lastConfirmMs) >= 0 && Number(root.dataset.lastNudgeMs) >= 0);
});

test("an update that answers none of this page's requests is not counted", async () => {
  const root = { dataset: {} }, session = { answers: 0, locals: 0 };
  let counted = false, flushed = false;
  recordAnswer(root, null, false, session, () => { counted = true; }, () => { flushed = true; });
  await frame();
  assert.deepEqual([counted, flushed, session.answers, root.dataset.nudgeCount], [false, true, 0, undefined]);
});

test("an answer the page did not show ahead sets the nudge time; one it did, only the confirm time", async () => {
  const root = { dataset: { lastNudgeMs: "keep" } }, session = { answers: 0, locals: 0 };
  recordAnswer(root, performance.now(), true, session, () => {}, () => {});
  await frame();
  assert.equal(root.dataset.lastNudgeMs, "keep");
  recordAnswer(root, performance.now(), false, session, () => {}, () => {});
  await frame();
  assert.notEqual(root.dataset.lastNudgeMs, "keep");
  recordReady(root, performance.now(), session);
  await frame();
  assert.deepEqual([root.dataset.gradvizReady, root.dataset.nudgeCount], ["1", "2"]);
});
