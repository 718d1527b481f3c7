import { test } from "node:test";
import assert from "node:assert/strict";
import { AckWatch, DISCONNECTED_CLASS, Link, isDisconnected } from "../src/connection.js";

test("a send that throws marks the link dead and never escapes", () => {
  const sent = [];
  let fail = false;
  const link = new Link((m) => { if (fail) throw new Error("Cannot send"); sent.push(m); });
  assert.equal(link.send({ a: 1 }), true);
  fail = true;
  assert.equal(link.send({ a: 2 }), false);
  assert.equal(link.dead, true);
  assert.equal(link.lastError.message, "Cannot send");
  fail = false;
  assert.equal(link.send({ a: 3 }), false, "a dead link refuses at once");
  assert.deepEqual(sent, [{ a: 1 }]);
  link.revive();
  assert.equal(link.send({ a: 4 }), true);
});

test("no kernel behind the page: nothing is sent", () => {
  const sent = [];
  let live = false;
  const link = new Link((m) => sent.push(m), () => live);
  assert.equal(link.live, false);
  assert.equal(link.send({}), false);
  live = true;
  assert.equal(link.send({ b: 1 }), true);
  assert.deepEqual(sent, [{ b: 1 }]);
});

test("the disconnected class on the view or an ancestor", () => {
  const mk = (cls, parent = null) => ({
    className: cls, parentNode: parent,
    closest(sel) {
      for (let e = this; e; e = e.parentNode) if (`.${e.className}` === sel) return e;
      return null;
    },
  });
  const outer = mk(DISCONNECTED_CLASS);
  assert.equal(isDisconnected(mk("x", outer)), true);
  assert.equal(isDisconnected(mk("x", mk("y"))), false);
  assert.equal(isDisconnected(null), false);
});

test("an answer that does not come times out once; an answer in time cancels", () => {
  const timers = new Map();
  let next = 1;
  const set = (fn) => { timers.set(next, fn); return next++; };
  const clear = (id) => timers.delete(id);
  const out = [];
  const w = new AckWatch(5000, (req) => out.push(req), set, clear);
  w.arm(7);
  w.answered();
  assert.equal(timers.size, 0);
  w.arm(8);
  w.arm(9);  // re-arming replaces the old timer
  assert.equal(timers.size, 1);
  for (const fn of [...timers.values()]) fn();
  assert.deepEqual(out, [9]);
  assert.equal(w.req, 0);
});
