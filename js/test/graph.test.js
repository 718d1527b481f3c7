import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeColumn, decodeExponents, exponentOf, groupActions, lineage, localDerivatives, scopePrefixes, search, sliderRange,
  toFloat64, toInt32, viewAdjacency,
} from "../src/graph.js";

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

test("local derivatives of every engine op", () => {
  assert.deepEqual(localDerivatives("*", null, -6, [2, -3]), [-3, 2]);
  assert.deepEqual(localDerivatives("+", null, 5, [2, 3]), [1, 1]);
  assert.deepEqual(localDerivatives("-", null, 1, [4, 3]), [1, -1]);
  assert.deepEqual(localDerivatives("/", null, 2, [4, 2]), [0.5, -1]);
  assert.deepEqual(localDerivatives("**2.0", 2, 9, [3]), [6]);
  assert.ok(Math.abs(localDerivatives("tanh", null, 0.7071, [0.8814])[0] - 0.5) < 1e-4);
  assert.deepEqual(localDerivatives("relu", null, 0, [-1]), [0]);
  assert.deepEqual(localDerivatives("exp", null, 2, [Math.log(2)]), [2]);
  assert.deepEqual(localDerivatives("log", null, 0, [4]), [0.25]);
  assert.equal(localDerivatives("MulBackward0", null, 1, [1, 1]), null);
});

test("lineage: what a box depends on and what depends on it, iteratively on a deep chain", () => {
  // 0 -> 2, 1 -> 2, 2 -> 3, 4 -> 3  (child -> parent)
  const adj = viewAdjacency(5, [0, 1, 2, 4], [2, 2, 3, 3]);
  const m = lineage(adj, 2);
  assert.deepEqual(Array.from(m.dependsOn), [1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(m.dependents), [0, 0, 0, 1, 0]);
  const n = 100000, src = [], dst = [];
  for (let i = 0; i + 1 < n; i++) { src.push(i); dst.push(i + 1); }
  const deep = lineage(viewAdjacency(n, src, dst), n - 1);
  assert.equal(deep.dependsOn.reduce((a, b) => a + b, 0), n - 1);
});

test("search ranks exact, then prefix, then substring matches", () => {
  const labels = ["ab", "", "a", "ba", "abc", "A"];
  assert.deepEqual(search(labels, "a"), [2, 5, 0, 4, 3]);
  assert.deepEqual(search(labels, "  "), []);
  assert.deepEqual(search(labels, "zz"), []);
});

test("group actions: expand a group, open the group hiding a node, collapse scopes", () => {
  assert.deepEqual(scopePrefixes("MLP#7/layers.1/neurons.3"), ["MLP#7", "MLP#7/layers.1", "MLP#7/layers.1/neurons.3"]);
  assert.deepEqual(groupActions("MLP#7", "", []), { expand: ["MLP#7"], collapse: [] });
  assert.deepEqual(groupActions("", "MLP#7/layers.1/neurons.3", ["MLP#1", "MLP#7/layers.0"]),
    { expand: [], collapse: ["MLP#7/layers.1/neurons.3", "MLP#7/layers.1", "MLP#7"] });
  assert.deepEqual(groupActions("", "layers.0/neurons.0", ["layers.0"], false), { expand: ["layers.0"], collapse: [] });
  assert.deepEqual(groupActions("", "", []), { expand: [], collapse: [] });
});

test("slider range is centred on the starting value", () => {
  assert.deepEqual(sliderRange(2), { min: 0, max: 4, step: 0.02 });
  assert.deepEqual(sliderRange(0.1), { min: -0.9, max: 1.1, step: 0.01 });
  assert.deepEqual(sliderRange(NaN), { min: -1, max: 1, step: 0.01 });
});

import { expandedBounds, groupHiding, searchGroups } from "../src/graph.js";

test("search finds group titles and keys", () => {
  const groups = ["", "MLP#7", "MLP#8", "layers.0"];
  const titles = ["x", "sample 7 (642 nodes)", "sample 8 (642 nodes)", "parameters of layer 0 (48)"];
  assert.deepEqual(searchGroups(groups, titles, "sample 7"), [1]);
  assert.deepEqual(searchGroups(groups, titles, "SAMPLE"), [1, 2]);
  assert.deepEqual(searchGroups(groups, titles, "layer 0"), [3]);
  assert.deepEqual(searchGroups(groups, titles, "mlp#8"), [2]);
  assert.deepEqual(searchGroups(groups, titles, "x"), [], "plain boxes are found by label search, not here");
});

test("the group hiding a node, and where an expanded group went", () => {
  const scene = { group: ["", "MLP#7", "fold:3"], collapsed: ["MLP#7", "fold:3", "MLP#7/layers.1"] };
  assert.equal(groupHiding(scene, "MLP#7/layers.1/neurons.0"), 1);
  assert.equal(groupHiding(scene, "MLP#70"), -1);
  assert.equal(groupHiding(scene, ""), -1);
  const s = { n: 3, group: ["MLP#7/layers.0", "", ""], node: [9, 1, 2],
    x: [100, 300, 500], y: [50, 60, 70], w: [40, 20, 20], h: [10, 10, 10] };
  const scopes = { 1: "MLP#7/layers.1/neurons.0", 2: "" };
  assert.deepEqual(expandedBounds(s, scopes, "MLP#7"), [80, 45, 310, 65]);
  assert.equal(expandedBounds(s, scopes, "MLP#9"), null);
});

test("the exponent column: decoded from the kernel's bytes, looked up by node id", () => {
  const e = decodeExponents({ ids: new DataView(new Int32Array([1, 4, 9]).buffer), k: new DataView(new Float64Array([2, NaN, -0.5]).buffer) });
  assert.deepEqual([0, 1, 4, 5, 9, 10].map((i) => exponentOf(e, i)), [null, 2, NaN, null, -0.5, null]);
  const none = decodeExponents(undefined);  // a state saved before the column: no node is a power
  assert.equal(none.ids.length, 0);
  assert.equal(exponentOf(none, 0), null);
});
