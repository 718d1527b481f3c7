import { test } from "node:test";
import assert from "node:assert/strict";
import { Coalescer, mergeSet } from "../src/coalesce.js";

test("one request in flight; waiting slider values merge, the latest wins", () => {
  const sent = [];
  const c = new Coalescer((m) => sent.push(m), mergeSet, 100);
  assert.equal(c.push({ type: "set", values: { 3: 1.0 } }, 10), 100);
  for (let k = 1; k <= 50; k++) c.push({ type: "set", values: { 3: 1.0 + k } }, 10 + k);
  c.push({ type: "set", values: { 5: -1 } }, 70);
  assert.equal(sent.length, 1);
  assert.equal(c.ack(999), null, "an answer to someone else's request changes nothing");
  assert.equal(sent.length, 1);
  assert.equal(c.ack(100), 10, "returns the event time of the answered request");
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1], { type: "set", values: { 3: 51, 5: -1 }, req: 101 });
  assert.equal(c.ack(101), 70);
  assert.equal(c.busy, false);
  assert.equal(c.ack(101), null, "a repeated answer is ignored");
});

test("step and reset keep their order behind sets", () => {
  const sent = [];
  const c = new Coalescer((m) => sent.push(m));
  c.push({ type: "set", values: { 1: 2 } });
  c.push({ type: "step", lr: 0.1 });
  c.push({ type: "set", values: { 1: 3 } });
  c.push({ type: "set", values: { 1: 4 } });
  c.push({ type: "reset" });
  c.ack(1); c.ack(2); c.ack(3); c.ack(4);
  assert.deepEqual(sent.map((m) => m.type), ["set", "step", "set", "reset"]);
  assert.deepEqual(sent[2].values, { 1: 4 });
});

test("clear forgets a request whose answer never came", () => {
  const sent = [];
  const c = new Coalescer((m) => sent.push(m));
  c.push({ type: "reset" });
  c.push({ type: "reset" });
  c.clear();
  assert.equal(c.busy, false);
  c.push({ type: "set", values: { 0: 1 } });
  assert.equal(sent.length, 2);
});
