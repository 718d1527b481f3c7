import { test } from "node:test";
import assert from "node:assert/strict";
import { lineage, viewAdjacency } from "../src/lineage.js";

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
