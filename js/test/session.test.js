import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Kernel } from "../src/kernel.js";
import { Session } from "../src/session.js";
import { COMPUTED_HERE } from "../src/connection.js";

const OP_ERRORS = JSON.parse(readFileSync(new URL("./op_cases.json", import.meta.url), "utf8")).templates;
const CHANGES = JSON.parse(readFileSync(new URL("./change_cases.json", import.meta.url), "utf8"));

// L = a * b + log(c): a = 2, b = -3, c = 1
function graph() {
  const structure = {
    n: 6, root: 5, readonly: "", labels: ["a", "b", "c", "", "", "L"], ops: ["", "", "", "*", "log", "+"],
    controls: [0, 1, 2], constants: { opErrors: OP_ERRORS },
  };
  return { structure, childPtr: Int32Array.from([0, 0, 0, 0, 2, 3, 5]), childIdx: Int32Array.from([0, 1, 2, 3, 4]) };
}

/** A session over a real Kernel whose sends are recorded; `env.live` says whether a kernel is there. */
function session({ live = true, replay = true } = {}) {
  const sent = [], env = { live };
  const k = new Kernel((m) => sent.push(m), () => env.live, { firstId: 1, setTimer: () => 0, clearTimer: () => {} });
  const s = new Session(k);
  s.setupReplay(graph(), replay);
  s.take(Float64Array.from([2, -3, 1, -6, 0, -6]), Float64Array.from([-3, 2, 1, 1, 1, 1]));
  return { s, sent, env };
}

const L = (s) => s.values.data[5];

test("a change shows at once, then the kernel's answer replaces it", () => {
  const { s, sent } = session();
  const shown = [];
  assert.equal(s.set({ 0: 2.5 }, 10, graph().structure.labels, 5, (r) => shown.push(r)), true);
  assert.deepEqual(shown, [{ shown: true, error: "" }]);
  assert.equal(L(s), -7.5);
  assert.equal(s.localNudge.what, "'a' = 2.5");
  assert.deepEqual(sent, [{ type: "set", values: { 0: 2.5 }, req: 1 }]);
  const a = s.answered(1);
  assert.deepEqual(a, { t0: 10, show: true, ahead: true, wasWaiting: false });
  s.take(Float64Array.from([2.5, -3, 1, -7.5, 0, -7.25]), new Float64Array(6));  // the kernel's values win
  assert.equal(L(s), -7.25);
  assert.equal(s.localNudge, null);
});

test("an answer that later requests superseded is not shown; the last one is", () => {
  const { s, sent } = session();
  const labels = graph().structure.labels, paint = () => {};
  s.set({ 0: 3 }, 10, labels, 5, paint);
  s.set({ 0: 4 }, 11, labels, 5, paint);   // waits behind the first
  assert.equal(L(s), -12, "the page shows the newest change");
  assert.equal(sent.length, 1);
  const first = s.answered(1);
  assert.equal(first.show, false, "the page already shows a newer change than this answer");
  assert.equal(sent.length, 2);
  assert.deepEqual(s.answered(2), { t0: 11, show: true, ahead: true, wasWaiting: false });
});

test("without local replay the page shows only the kernel's answers", () => {
  const { s, sent } = session({ replay: false });
  let painted = false;
  assert.equal(s.set({ 0: 3 }, 10, graph().structure.labels, 5, () => { painted = true; }), true);
  assert.equal(painted, false);
  assert.equal(L(s), -6);
  assert.equal(sent.length, 1);
  assert.deepEqual(s.answered(1), { t0: 10, show: true, ahead: false, wasWaiting: false });
  assert.deepEqual(s.answered(77), { t0: null, show: true, ahead: false, wasWaiting: false }, "an update not for us is shown");
});

test("no kernel and no replay: nothing computes a change, and the page must show the picture again", () => {
  const { s, sent } = session({ live: false, replay: false });
  assert.equal(s.canCompute, false);
  assert.equal(s.set({ 0: 3 }, 10, graph().structure.labels, 5, () => assert.fail("nothing to paint")), false);
  assert.equal(s.step(0.1, 11, [0, 1, 2], 5), null);
  assert.deepEqual(sent, []);
  assert.equal(s.lost(), true);
});

test("no kernel: the page's replay computes sets and steps, labelled as computed here", () => {
  const { s, sent } = session({ live: false });
  const r = s.step(0.1, 11, [0, 1, 2], 5);
  assert.deepEqual(r, { shown: true, error: "" });
  assert.deepEqual(Array.from(s.values.data.slice(0, 3)), [2 + 0.1 * 3, -3 - 0.1 * 2, 1 - 0.1]);
  const last = s.lastChange({ kind: "set", what: "older, from the kernel" });
  assert.equal(last.nudge.kind, "step");
  assert.equal(last.nudge.what, "step down, size 0.1");
  assert.equal(last.where, COMPUTED_HERE);
  assert.deepEqual(sent, []);
  assert.equal(s.lost(), false, "the page's replay still shows the change");
});

test("with a kernel a step is the kernel's to compute", () => {
  const { s, sent } = session();
  assert.deepEqual(s.step(-0.5, 3, [0, 1, 2], 5), { sent: true });
  assert.deepEqual(sent, [{ type: "step", lr: -0.5, req: 1 }]);
  assert.equal(L(s), -6);
  assert.equal(s.reset(4), true);
  assert.equal(s.lastChange({ kind: "step", what: "step up, size 0.5" }).where, "");
});

test("a domain error computed here shows at once and changes nothing; the kernel still gets the request", () => {
  const { s, sent } = session();
  let r = null;
  s.set({ 2: -1 }, 5, graph().structure.labels, 5, (x) => { r = x; });
  assert.equal(r.shown, false);
  assert.match(r.error, /log of a non-positive number/);
  assert.equal(s.values.data[2], 1);
  assert.equal(sent.length, 1);
});

test("a request left unanswered puts the status to waiting until an answer comes", () => {
  const { s } = session();
  s.noAnswer = true;  // what the kernel's AckWatch reports (kernel.test.js)
  assert.equal(s.answered(1).wasWaiting, true);
  assert.equal(s.noAnswer, false);
});

test("the page's steps without a kernel land where GraphWidget's steps land", () => {
  const g = CHANGES.graph, n = g.labels.length;
  for (const c of CHANGES.changes.filter((x) => x.type === "step")) {
    const s = new Session(new Kernel(() => {}, () => false));
    s.setupReplay({ structure: { n, root: n - 1, readonly: "", labels: g.labels, ops: g.ops, constants: { opErrors: OP_ERRORS } },
      childPtr: Int32Array.from(g.ptr), childIdx: Int32Array.from(g.idx) }, true);
    s.take(Float64Array.from(g.data), Float64Array.from(g.grad));
    assert.deepEqual(s.step(c.lr, 1, g.controls, n - 1), { shown: true, error: "" });
    assert.deepEqual(Array.from(s.values.data), c.data, `lr ${c.lr}`);
    assert.equal(s.localNudge.what, c.what);
  }
});
