import { test } from "node:test";
import assert from "node:assert/strict";
import { Kernel, kernelLiveness } from "../src/kernel.js";

function fake({ live = true, fail = false } = {}) {
  const sent = [], timers = [];
  const events = { noAnswer: 0, failed: 0 };
  const env = { live, fail };
  const k = new Kernel((m) => { if (env.fail) throw new Error("Cannot send"); sent.push(m); }, () => env.live, {
    ackMs: 50, firstId: 7,
    onNoAnswer: () => events.noAnswer++, onSendFailed: () => events.failed++,
    setTimer: (fn) => { timers.push(fn); return timers.length; }, clearTimer: (id) => { timers[id - 1] = null; },
  });
  return { k, sent, timers, events, env };
}

test("one request in flight; waiting sets merge, and the next goes when the answer comes", () => {
  const { k, sent } = fake();
  assert.equal(k.request({ type: "set", values: { 0: 1 } }, 10), true);
  k.request({ type: "set", values: { 0: 2 } }, 11);
  k.request({ type: "set", values: { 1: 5 } }, 12);
  assert.deepEqual(sent, [{ type: "set", values: { 0: 1 }, req: 7 }]);
  assert.equal(k.busy, true);
  assert.equal(k.answered(99), null, "not an answer to ours");
  assert.equal(k.answered(7), 10);
  assert.deepEqual(sent[1], { type: "set", values: { 0: 2, 1: 5 }, req: 8 });
  assert.equal(k.answered(8), 12);
  assert.equal(k.busy, false);
});

test("no kernel: requests are refused at once and nothing is sent; tell says it could not go", () => {
  const { k, sent } = fake({ live: false });
  assert.equal(k.live, false);
  assert.equal(k.request({ type: "step", lr: 0.1 }), false);
  assert.equal(k.tell({ type: "expand", key: "x" }), false);
  assert.deepEqual(sent, []);
});

test("an unanswered request drops the queue and says so; a failed send reports in a microtask", async () => {
  const { k, timers, events, env } = fake();
  k.request({ type: "reset" }, 1);
  k.request({ type: "step", lr: 1 }, 2);
  timers.filter(Boolean).at(-1)();  // the answer's time is up
  assert.equal(events.noAnswer, 1);
  assert.equal(k.busy, false, "the queue is dropped");
  env.fail = true;
  k.request({ type: "reset" }, 3);
  assert.equal(events.failed, 0);
  await Promise.resolve();
  assert.equal(events.failed, 1);
  assert.equal(k.live, false, "the link is dead after a send that threw");
  k.revive();
  env.fail = false;
  assert.equal(k.live, true);
});

test("lost() forgets what was in flight, and its answer no longer counts", () => {
  const { k } = fake();
  k.request({ type: "reset" }, 1);
  k.lost();
  assert.equal(k.busy, false);
  assert.equal(k.answered(7), null);
});

test("liveness: asks the widget manager for the model, and follows its comm", async () => {
  let known = 0;
  const backbone = { comm_live: true };
  const model = { get: (k) => (k === "_self_id" ? "abc" : null), widget_manager: { get_model: (id) => (id === "abc" ? Promise.resolve(backbone) : null) } };
  let off = false;
  const isLive = kernelLiveness(model, {}, () => off, () => known++);
  assert.equal(isLive(), true, "live until told otherwise");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(known, 1);
  backbone.comm_live = false;
  assert.equal(isLive(), false);
  backbone.comm_live = true;
  off = true;
  assert.equal(isLive(), false, "a view marked disconnected");
  const bare = kernelLiveness({ get: () => "" }, {}, () => false, () => known++);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(bare(), true);
  assert.equal(known, 1, "no widget manager: nothing to learn");
});
