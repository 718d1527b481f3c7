import { test } from "node:test";
import assert from "node:assert/strict";
import { Finder, hitTarget, matchedBoxes, search, searchGroups, searchHits } from "../src/find.js";
import { smallGraph } from "./fixture.js";

function folded() {
  // boxes: a, b, a group "net/h1" (folding c), d
  const g = smallGraph();
  const scene = { ...g.scene, collapsed: ["net/h1"], group: ["", "", "net/h1", ""], title: ["a", "b", "hidden 1", "d"], boxOfNode: new Map([[0, 0], [1, 1], [3, 3]]) };
  const structure = { ...g.structure, labels: ["a", "ab", "c", "d"], scopes: ["", "", "net/h1/n0", ""] };
  return { scene, structure };
}

test("hits: group titles first, then labels (exact, prefix, substring)", () => {
  const { scene, structure } = folded();
  assert.deepEqual(searchHits(structure, scene, "a"), [{ b: 0, id: 0 }, { b: 1, id: 1 }]);
  assert.deepEqual(searchHits(structure, scene, "hidden"), [{ b: 2, id: undefined }]);
  assert.deepEqual(searchHits(structure, scene, "c"), [{ b: undefined, id: 2 }], "c is folded: no box of its own");
  assert.deepEqual(searchHits(structure, scene, "  "), []);
});

test("a hit folded into a group shows that group; a hit with a box selects it", () => {
  const { scene, structure } = folded();
  assert.deepEqual(hitTarget({ b: undefined, id: 2 }, scene, structure.scopes), { select: -1, node: 2, show: 2 });
  assert.deepEqual(hitTarget({ b: 3, id: 3 }, scene, structure.scopes), { select: 3, node: 3, show: 3 });
  assert.deepEqual([...matchedBoxes([{ b: undefined, id: 2 }, { b: 3, id: 3 }])], [3]);
});

test("Enter moves to the next hit and wraps; a new query starts at the first", () => {
  const { scene, structure } = folded();
  const f = new Finder();
  assert.equal(f.run(structure, scene, "a", false).target.node, 0);
  assert.equal(f.run(structure, scene, "a", true).target.node, 1);
  assert.equal(f.run(structure, scene, "a", true).target.node, 0);
  const none = f.run(structure, scene, "zzz", true);
  assert.equal(none.target, null);
  assert.equal(none.matches.size, 0);
});

test("search ranks exact, then prefix, then substring matches", () => {
  const labels = ["ab", "", "a", "ba", "abc", "A"];
  assert.deepEqual(search(labels, "a"), [2, 5, 0, 4, 3]);
  assert.deepEqual(search(labels, "  "), []);
  assert.deepEqual(search(labels, "zz"), []);
});

test("search finds group titles and keys", () => {
  const groups = ["", "MLP#7", "MLP#8", "layers.0"];
  const titles = ["x", "sample 7 (642 nodes)", "sample 8 (642 nodes)", "parameters of layer 0 (48)"];
  assert.deepEqual(searchGroups(groups, titles, "sample 7"), [1]);
  assert.deepEqual(searchGroups(groups, titles, "SAMPLE"), [1, 2]);
  assert.deepEqual(searchGroups(groups, titles, "layer 0"), [3]);
  assert.deepEqual(searchGroups(groups, titles, "mlp#8"), [2]);
  assert.deepEqual(searchGroups(groups, titles, "x"), [], "plain boxes are found by label search, not here");
});

test("searching 'sample 7' finds sample 7 first, not 70 to 79 (issue 22)", () => {
  const keys = [], titles = [];
  for (const k of [70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 7, 17]) { keys.push(`MLP#${k}`); titles.push(`sample ${k} (642 nodes)`); }
  keys.push("MLP#7/layers.1"); titles.push("sample 7, layer 1 (214 nodes)");
  const hits = searchGroups(keys, titles, "sample 7");
  assert.equal(keys[hits[0]], "MLP#7");
  assert.equal(keys[hits[1]], "MLP#7/layers.1");
  assert.deepEqual(hits.slice(2).map((b) => keys[b]), [70, 71, 72, 73, 74, 75, 76, 77, 78, 79].map((k) => `MLP#${k}`));
  assert.deepEqual(searchGroups(keys, titles, "mlp#7").map((b) => keys[b])[0], "MLP#7");
});
