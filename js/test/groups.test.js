// The page's grouping rules (graph.js) and node names (format.js) against the kernel's: the
// answers gradviz.grouping and gradviz.names wrote into group_cases.json and name_cases.json
// (`python -m gradviz.cases groups`, `python -m gradviz.cases names`; tests/draw/test_grouping.py and
// tests/test_names.py check the files are current).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { groupActions, groupHiding, hidingGroup, scopePrefixes, underScope } from "../src/graph.js";
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
