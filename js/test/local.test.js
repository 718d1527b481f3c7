import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { changeBase, changeText, LOCAL_MAX, localTape, replayChange, resetChanges, stepChanges, stepText } from "../src/local.js";
import { PageEngine } from "../src/page.js";
import { ReplayError } from "../src/replay.js";

// the kernel's error templates, as GraphWidget sends them in its constants (gradviz.ops.ERROR_TEMPLATES)
const OP_ERRORS = JSON.parse(readFileSync(new URL("./op_cases.json", import.meta.url), "utf8")).templates;

// L = a * b + log(c): a = 2, b = -3, c = 1
function graph() {
  const structure = {
    n: 6, root: 5, readonly: "", labels: ["a", "b", "c", "", "", "L"], ops: ["", "", "", "*", "log", "+"],
    constants: { opErrors: OP_ERRORS },
  };
  const ptr = Int32Array.from([0, 0, 0, 0, 2, 3, 5]);
  const idx = Int32Array.from([0, 1, 2, 3, 4]);
  return { structure, ptr, idx };
}

test("the page replays only what it may: switched on, not read-only, not too big", () => {
  const { structure, ptr, idx } = graph();
  assert.ok(localTape(structure, ptr, idx, true));
  assert.equal(localTape(structure, ptr, idx, false), null);
  assert.equal(localTape({ ...structure, readonly: "from PyTorch" }, ptr, idx, true), null);
  assert.equal(localTape({ ...structure, constants: {} }, ptr, idx, true), null);  // no error templates
  assert.equal(localTape({ ...structure, n: LOCAL_MAX + 1 }, ptr, idx, true), null);
  // another class's own _backward closures are the rule: only the kernel can run them
  assert.equal(localTape({ ...structure, rules: "own" }, ptr, idx, true), null);
});

test("a change re-runs forward and backward, and records the prediction and the effect", () => {
  const { structure, ptr, idx } = graph();
  const tape = localTape(structure, ptr, idx, true);
  const data = Float64Array.from([2, -3, 1, -6, 0, -6]);
  const grad = Float64Array.from([-3, 2, 1, 1, 1, 1]);
  const r = replayChange(tape, data, grad, { 0: 2.5 }, 5, "a = 2.5");
  assert.equal(r.data[5], 2.5 * -3);
  assert.equal(r.grad[1], 2.5);
  assert.deepEqual(r.nudge, { kind: "set", what: "a = 2.5", before: -6, after: -7.5, predicted: -1.5, actual: -1.5 });
  assert.equal(data[0], 2, "the inputs are left alone");
});

test("a domain error throws and changes nothing", () => {
  const { structure, ptr, idx } = graph();
  const tape = localTape(structure, ptr, idx, true);
  const data = Float64Array.from([2, -3, 1, -6, 0, -6]);
  assert.throws(() => replayChange(tape, data, new Float64Array(6), { 2: -1 }, 5, ""), (e) => e instanceof ReplayError && /log of a non-positive number/.test(e.message));
  assert.equal(data[2], 1);
});

test("how a change is named: the leaf's label, or its id, or a count", () => {
  assert.equal(changeText({ 0: 2.5 }, ["a"]), "'a' = 2.5");
  assert.equal(changeText({ 3: -1e-7 }, ["", "", "", ""]), "unlabelled leaf node #3 = -1e-07");  // as the kernel says it
  assert.equal(changeText({ 0: 1 }, ["x'y"]), `"x'y" = 1`);
  assert.equal(changeText({ 0: 1, 1: 2 }, ["a", "b"]), "2 leaves set");
});

// ---- one set of change rules: GraphWidget's answers (change_cases.json, `python -m gradviz.cases changes`) ----
const CHANGES = JSON.parse(readFileSync(new URL("./change_cases.json", import.meta.url), "utf8"));

test("a step moves the same leaves by the same amounts, and is named, as GraphWidget's", () => {
  const g = CHANGES.graph;
  const steps = CHANGES.changes.filter((c) => c.type === "step");
  assert.ok(steps.length >= 8 && steps.some((c) => c.lr < 0));
  for (const c of steps) {
    const moved = stepChanges(g.controls, g.data, g.grad, c.lr);
    assert.deepEqual(Object.keys(moved).map(Number), g.controls);
    for (const id of g.controls) assert.equal(moved[id], c.data[id], `lr ${c.lr}, node ${id}`);
    assert.equal(stepText(c.lr), c.what);
  }
});

test("a set is named as GraphWidget names it", () => {
  const sets = CHANGES.changes.filter((c) => c.type === "set");
  assert.ok(sets.length >= 4);
  for (const c of sets) assert.equal(changeText(c.values, CHANGES.graph.labels), c.what, JSON.stringify(c.values));
});

test("a reset returns every leaf, constants too, to its first value", () => {
  const leaf = [1, 1, 0, 1];
  assert.deepEqual(resetChanges(leaf, [5, 6, 7, 8]), { 0: 5, 1: 6, 3: 8 });
});

test("the standalone page's engine answers every change as GraphWidget did", () => {
  const g = CHANGES.graph, n = g.labels.length;
  const state = {
    _structure: { n, root: n - 1, labels: g.labels, ops: g.ops, controls: g.controls, readonly: "", constants: { opErrors: OP_ERRORS } },
    _child_ptr: g.ptr, _child_idx: g.idx, _data: g.data, _grad: g.grad,
  };
  for (const c of CHANGES.changes) {
    const e = new PageEngine(state, Float64Array.from(g.data));
    if (c.first) e.handle(c.first);
    const p = e.handle(c);
    assert.equal(p.error, "");
    const where = JSON.stringify(c.lr ?? c.values ?? c.type);
    assert.deepEqual(Array.from(new Float64Array(p._data.buffer)), c.data, where);
    assert.deepEqual(Array.from(new Float64Array(p._grad.buffer)), c.grad, where);
    const { predicted, ...rest } = p.last_nudge;
    assert.deepEqual(rest, { kind: c.kind, what: c.what, before: c.before, after: c.after, actual: c.actual }, where);
    assert.ok(Math.abs(predicted - c.predicted) <= 1e-12 * Math.max(1, Math.abs(c.predicted)), where);
  }
});

// the lecture's L = (a*b + c) * f: a b c e=a*b d=e+c f L=d*f
function lecture() {
  const structure = {
    n: 7, root: 6, readonly: "", labels: ["a", "b", "c", "e", "d", "f", "L"], ops: ["", "", "", "*", "+", "", "*"],
    constants: { opErrors: OP_ERRORS },
  };
  const ptr = Int32Array.from([0, 0, 0, 0, 2, 4, 4, 6]);
  const idx = Int32Array.from([0, 1, 3, 2, 4, 5]);
  return localTape(structure, ptr, idx, true);
}

test("a change after a refresh that left the inside stale starts from the leaves (issue 22)", () => {
  const tape = lecture();
  // a.data = 4.0; w.refresh(): a moved, e, d and L (and the grads) are the old ones
  const data = Float64Array.from([4, -3, 10, -6, 4, -2, -8]);
  const grad = Float64Array.from([6, -4, -2, -2, -2, 4, 1]);
  const r = replayChange(tape, data, grad, { 5: 2 }, 6, "f = 2");
  assert.deepEqual([r.nudge.before, r.nudge.predicted, r.nudge.actual, r.nudge.after], [4, -8, -8, -4]);
  // a consistent picture is taken as shown, hand-set grads included (recompute=False)
  const fresh = Float64Array.from([2, -3, 10, -6, 4, -2, -8]);
  const handSet = Float64Array.from([0, 0, 0, 0, 0, 0.5, 1]);
  const s = replayChange(tape, fresh, handSet, { 5: 2 }, 6, "f = 2");
  assert.deepEqual([s.nudge.before, s.nudge.predicted], [-8, 2]);
  // a step starts from the same state
  const base = changeBase(tape, data, grad);
  assert.deepEqual(Array.from(base.grad.slice(0, 3)), [6, -8, -2]);
  assert.equal(base.data[6], 4);
});
