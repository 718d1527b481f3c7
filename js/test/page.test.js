import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeState, PageEngine, PageModel } from "../src/page.js";

// the kernel's error templates, as GraphWidget sends them (gradviz.ops.ERROR_TEMPLATES)
const OP_ERRORS = JSON.parse(readFileSync(new URL("./op_cases.json", import.meta.url), "utf8")).templates;

const b64 = (typed) => ({ $bytes: Buffer.from(typed.buffer).toString("base64") });

// The lecture's graph, L = (a*b + c) * f, in GraphWidget's state format (ids in topological order).
function lectureState() {
  const labels = ["a", "b", "e", "c", "d", "f", "L"], ops = ["", "", "*", "", "+", "", "*"];
  const col = (xs) => { const t = [...new Set(xs)].sort(); return { table: t, index: b64(new Int32Array(xs.map((x) => t.indexOf(x)))) }; };
  return decodeState({
    state: {
      _structure: { n: 7, root: 6, labels: col(labels), ops: col(ops), controls: [0, 1, 3, 5], readonly: "", constants: { opErrors: OP_ERRORS } },
      _child_ptr: b64(new Int32Array([0, 0, 0, 2, 2, 4, 4, 6])),
      _child_idx: b64(new Int32Array([0, 1, 2, 3, 4, 5])),
      _data: b64(new Float64Array([2, -3, -6, 10, 4, -2, -8])),
      _grad: b64(new Float64Array([6, -4, -2, -2, -2, 4, 1])),
      last_nudge: { before: { $float: "NaN" }, after: { $float: "-Infinity" } },
    },
    init: b64(new Float64Array([2, -3, -6, 10, 4, -2, -8])),
  });
}

test("state decodes bytes to DataViews and tagged floats to numbers", () => {
  const s = lectureState();
  assert.ok(s.state._data instanceof DataView && s.state._data.byteLength === 56);
  assert.ok(Number.isNaN(s.state.last_nudge.before));
  assert.equal(s.state.last_nudge.after, -Infinity);
});

test("set, step and reset answer like GraphWidget", () => {
  const s = lectureState();
  const e = new PageEngine(s.state, s.init);
  let p = e.handle({ type: "set", values: { 0: 2.5 }, req: 7 });
  assert.equal(p._ack, 7);
  assert.equal(p.error, "");
  assert.equal(new Float64Array(p._data.buffer)[6], -5);
  assert.deepEqual(p.last_nudge, { kind: "set", what: "'a' = 2.5", before: -8, after: -5, predicted: 3, actual: 3 });
  p = e.handle({ type: "step", lr: 0.01, req: 8 });
  const d = new Float64Array(p._data.buffer);
  assert.equal(d[0], 2.5 - 0.01 * 6);
  assert.equal(p.last_nudge.what, "step down, size 0.01");
  p = e.handle({ type: "reset", req: 9 });
  assert.equal(new Float64Array(p._data.buffer)[6], -8);
});

test("a bad request changes nothing and says why", () => {
  const s = lectureState();
  const e = new PageEngine(s.state, s.init);
  let p = e.handle({ type: "set", values: { 2: 1 }, req: 1 });
  assert.match(p.error, /'e' is computed by an op, not a leaf/);
  assert.equal(p._data, undefined);
  assert.equal(p._ack, 1);
  p = e.handle({ type: "expand", key: "MLP#0", req: 2 });
  assert.match(p.error, /groups open and close in Python/);
  assert.equal(e.data[6], -8);
});

test("a folded page saved with its every value drawn opens and folds them back, in either orientation", async () => {
  const s = lectureState();
  Object.assign(s.state, { rankdir: "TB", _view: "folded TB", _view_other: "folded LR", _view_open: { TB: "open TB", LR: "open LR" } });
  const m = new PageModel(s.state, new PageEngine(s.state, s.init));
  const views = [];
  m.on("change:_view", () => views.push(m.get("_view")));
  const ask = async (msg) => { m.send(msg); await new Promise((r) => setTimeout(r, 0)); };
  await ask({ type: "expand", key: "Net#1/blocks/2" });
  assert.deepEqual([m.get("_view"), m.get("_view_other"), m.get("error")], ["open TB", "open LR", ""]);
  m.update({ rankdir: "LR", _view: "open LR", _view_other: "open TB" });  // the orientation switch's swap
  await ask({ type: "reset_view" });
  assert.deepEqual([m.get("_view"), m.get("_view_other")], ["folded LR", "folded TB"]);
  await ask({ type: "expand", key: "Net#1/head" });
  await ask({ type: "collapse", key: "Net#1" });
  assert.deepEqual(views, ["open TB", "open LR", "folded LR", "open LR", "folded LR"]);
  assert.equal(m.get("error"), "");
});

test("the stand-in model answers send() after the current task and fires change events", async () => {
  const s = lectureState();
  const m = new PageModel(s.state, new PageEngine(s.state, s.init));
  const seen = [];
  const fn = () => seen.push(m.get("_ack"));
  m.on("change:_ack", fn);
  m.send({ type: "set", values: { 5: -1 }, req: 3 });
  assert.deepEqual(seen, []);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(seen, [3]);
  assert.equal(new Float64Array(m.get("_data").buffer)[6], -4);
  m.off("change:_ack", fn);
  m.set("_ack", 4);
  assert.deepEqual(seen, [3]);
});
