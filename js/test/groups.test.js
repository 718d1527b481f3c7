// The page's grouping rules (groups.js) and node names (format.js) against the kernel's: the
// answers gradviz.grouping and gradviz.names wrote into group_cases.json and name_cases.json
// (`python -m gradviz.cases groups`, `python -m gradviz.cases names`; tests/draw/test_grouping.py and
// tests/test_names.py check the files are current).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { expandedBounds, groupActions, groupHiding, hidingGroup, scopePrefixes, underScope } from "../src/groups.js";
import { nodeName } from "../src/format.js";

const read = (f) => JSON.parse(readFileSync(new URL(f, import.meta.url), "utf8"));
const GROUPS = read("./group_cases.json"), NAMES = read("./name_cases.json");

test("selecting a box offers what gradviz.grouping.offers says, on every case", () => {
  assert.ok(GROUPS.cases.length > 100);
  for (const c of GROUPS.cases) {
    const where = JSON.stringify([c.group, c.scope, c.collapsed, c.shown]);
    assert.deepEqual(groupActions(c.group, c.scope, c.collapsed, c.shown), c.offers, where);
    assert.deepEqual(scopePrefixes(c.scope), c.prefixes, where);
    assert.equal(hidingGroup(c.scope, c.collapsed), c.hiding, where);
    // the box a search brings into view: the hiding group's box in a scene of those groups
    const scene = { group: ["", ...c.collapsed], collapsed: c.collapsed };
    assert.equal(groupHiding(scene, c.scope), c.hiding ? 1 + c.collapsed.indexOf(c.hiding) : -1, where);
  }
  assert.ok(GROUPS.cases.some((c) => c.offers.expand.length && !c.group), "a folded-away value offers its group");
  assert.ok(GROUPS.cases.some((c) => c.offers.collapse.length > 1), "a drawn value offers several scopes");
});

test("a group's contents are what gradviz.grouping counts as under it", () => {
  for (const [k, key, under] of GROUPS.under) assert.equal(underScope(k, key), under, `${k} under ${key}`);
});

test("nodes are named as gradviz.names.node_name names them, with and without an id", () => {
  assert.ok(NAMES.length > 40);
  for (const [label, op, id, name] of NAMES) assert.equal(nodeName(label, op, id ?? undefined), name, JSON.stringify([label, op, id]));
});

test("group actions: expand a group, open the group hiding a node, collapse scopes", () => {
  assert.deepEqual(scopePrefixes("MLP#7/layers.1/neurons.3"), ["MLP#7", "MLP#7/layers.1", "MLP#7/layers.1/neurons.3"]);
  assert.deepEqual(groupActions("MLP#7", "", []), { expand: ["MLP#7"], collapse: [] });
  assert.deepEqual(groupActions("", "MLP#7/layers.1/neurons.3", ["MLP#1", "MLP#7/layers.0"]),
    { expand: [], collapse: ["MLP#7/layers.1/neurons.3", "MLP#7/layers.1", "MLP#7"] });
  assert.deepEqual(groupActions("", "layers.0/neurons.0", ["layers.0"], false), { expand: ["layers.0"], collapse: [] });
  assert.deepEqual(groupActions("", "", []), { expand: [], collapse: [] });
});

test("the group hiding a node, and where an expanded group went", () => {
  const scene = { group: ["", "MLP#7", "fold:3"], collapsed: ["MLP#7", "fold:3", "MLP#7/layers.1"] };
  assert.equal(groupHiding(scene, "MLP#7/layers.1/neurons.0"), 1);
  assert.equal(groupHiding(scene, "MLP#70"), -1);
  assert.equal(groupHiding(scene, ""), -1);
  const s = { n: 3, group: ["MLP#7/layers.0", "", ""], node: [9, 1, 2],
    x: [100, 300, 500], y: [50, 60, 70], w: [40, 20, 20], h: [10, 10, 10] };
  const scopes = { 1: "MLP#7/layers.1/neurons.0", 2: "" };
  assert.deepEqual(expandedBounds(s, scopes, "MLP#7").slice(0, 4), [80, 45, 310, 65]);
  assert.equal(expandedBounds(s, scopes, "MLP#9"), null);
});
