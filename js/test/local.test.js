import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { changeText, LOCAL_MAX, localTape, replayChange } from "../src/local.js";
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
