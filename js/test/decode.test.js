import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeColumn, decodeExponents, decodeGraph, exponentOf, toFloat64, toInt32 } from "../src/decode.js";

test("buffers decode to typed arrays, unaligned ones by copy", () => {
  const f = new Float64Array([2, -3, 6.5]);
  assert.deepEqual(Array.from(toFloat64(new DataView(f.buffer))), [2, -3, 6.5]);
  const shifted = new Uint8Array(25);
  shifted.set(new Uint8Array(f.buffer), 1);
  assert.deepEqual(Array.from(toFloat64(new DataView(shifted.buffer, 1, 24))), [2, -3, 6.5]);
  assert.deepEqual(Array.from(toInt32(new DataView(new Int32Array([0, 2, 5]).buffer))), [0, 2, 5]);
  assert.deepEqual(decodeColumn({ table: ["", "*", "+"], index: [0, 1, 2, 1] }), ["", "*", "+", "*"]);
  const idx = new DataView(new Int32Array([2, 0]).buffer);
  assert.deepEqual(decodeColumn({ table: ["a", "b", "c"], index: idx }), ["c", "a"]);
});

test("the exponent column: decoded from the kernel's bytes, looked up by node id", () => {
  const e = decodeExponents({ ids: new DataView(new Int32Array([1, 4, 9]).buffer), k: new DataView(new Float64Array([2, NaN, -0.5]).buffer) });
  assert.deepEqual([0, 1, 4, 5, 9, 10].map((i) => exponentOf(e, i)), [null, 2, NaN, null, -0.5, null]);
  const none = decodeExponents(undefined);  // a state saved before the column: no node is a power
  assert.equal(none.ids.length, 0);
  assert.equal(exponentOf(none, 0), null);
});

test("the graph trait decodes with its coded columns and child lists", () => {
  const raw = { n: 3, root: 2, source: "gradviz", labels: { table: ["", "a", "b"], index: [1, 2, 0] }, ops: ["", "", "*"],
    kinds: { table: ["input", "output"], index: [0, 0, 1] }, scopes: ["", "", ""], exponents: undefined, controls: [0, 1] };
  const g = decodeGraph(raw, new DataView(new Int32Array([0, 0, 0, 2]).buffer), [0, 1]);
  assert.deepEqual(g.structure.labels, ["a", "b", ""]);
  assert.deepEqual(g.structure.kinds, ["input", "input", "output"]);
  assert.deepEqual(g.structure.controls, [0, 1]);
  assert.equal(g.structure.exponents.ids.length, 0);
  assert.deepEqual(Array.from(g.childPtr), [0, 0, 0, 2]);
  assert.ok(g.childIdx instanceof Int32Array);
  assert.equal(raw.labels.table.length, 3, "the trait is left as it was");
});
