import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom, Element } from "./fakedom.js";
import { NOT_CONNECTED } from "../src/connection.js";
import {
  fmtChange, legendEntries, OUT_ROWS, OutputPanel, outputCells, renderInfo, renderLegend, selectionInfo, showError, statusOf,
} from "../src/panels.js";
import { smallGraph } from "./fixture.js";

installFakeDom();

test("changes: six decimals, tiny ones in exponent form, non-finite in words", () => {
  assert.equal(fmtChange(0.5), "0.500000");
  assert.equal(fmtChange(0), "0.000000");
  assert.equal(fmtChange(-3e-7), "-3.0000e-7");
  assert.equal(fmtChange(NaN), "nan");
});

test("the output panel: the output alone, then the last nudge with prediction and effect", () => {
  const idle = outputCells("L", -8, {}, "");
  assert.deepEqual(idle, ["L = -8.0000", null, null, null, null, null, null]);
  const n = { kind: "set", what: "'a' = 2.5", before: -8, after: "NaN", predicted: 0.3, actual: 1e-6 };
  const cells = outputCells("L", NaN, n, "computed in this page");
  assert.equal(cells.length, OUT_ROWS.length);
  assert.deepEqual(cells, ["L = nan", "'a' = 2.5", "-8.0000", "nan", "0.300000", "1.0000e-6", "computed in this page"]);
  assert.deepEqual(outputCells("L", 1, { kind: "reset" }, ""), ["L = 1.0000", "reset", null, null, null, null, null]);
});

test("the output panel hides empty rows and rewrites its Text nodes in place", () => {
  const sec = new Element("section");
  const p = new OutputPanel(sec);
  p.update(outputCells("L", -8, {}, ""));
  const rows = sec.byTag("tr");
  assert.deepEqual(rows.map((r) => r.hidden), [false, true, true, true, true, true, true]);
  const t = p.rows[0].text;
  p.update(outputCells("L", -7, {}, ""));
  assert.equal(p.rows[0].text, t);
  assert.equal(t.data, "L = -7.0000");
});

test("status: no kernel, no answer, stale picture, or nothing to say", () => {
  assert.deepEqual(statusOf(false, true, "stale", 10), { text: NOT_CONNECTED, state: "saved" });
  assert.equal(statusOf(true, true, "", 10).state, "waiting");
  assert.match(statusOf(true, true, "", 10).text, /10/);
  assert.deepEqual(statusOf(true, false, "the Values changed", 10), { text: "the Values changed", state: "stale" });
  assert.deepEqual(statusOf(true, false, "", 10), { text: "", state: "live" });
});

test("selection: a value's kind, op and scope; a group's size and its actions", () => {
  const g = smallGraph();
  assert.equal(selectionInfo(g.scene, g.structure, -1, -1), null);
  const c = selectionInfo(g.scene, g.structure, 2, 2);
  assert.equal(c.title, "c");
  assert.equal(c.text, "intermediate, op *");
  assert.deepEqual([c.expand, c.collapse, c.collapseAll], [[], [], false]);
  const scene = { ...g.scene, group: ["", "", "layer1", ""], size: Int32Array.from([1, 1, 12, 1]), expanded: ["layer0"], collapsed: ["layer1"] };
  const grp = selectionInfo(scene, g.structure, 2, -1);
  assert.equal(grp.title, "group layer1");
  assert.equal(grp.text, "12 values; shows its output's data and grad");
  assert.deepEqual(grp.expand, ["layer1"]);
  assert.equal(grp.collapseAll, true);
});

test("the selection panel's buttons call back with the group's key", () => {
  const sec = new Element("section");
  const calls = [];
  renderInfo(sec, { title: "group L1", text: "t", expand: ["L1"], collapse: ["net"], collapseAll: true },
    { expand: (k) => calls.push(["expand", k]), collapse: (k) => calls.push(["collapse", k]), collapseAll: () => calls.push(["all"]) });
  const buttons = sec.byTag("button");
  assert.deepEqual(buttons.map((b) => b.textContent), ["Expand L1", "Collapse net", "Collapse all"]);
  buttons.forEach((b) => b.click());
  assert.deepEqual(calls, [["expand", "L1"], ["collapse", "net"], ["all"]]);
  renderInfo(sec, null, {});
  assert.equal(sec.childNodes.length, 0);
});

test("errors show and clear", () => {
  const a = new Element("div");
  showError(a, "ValueError: math domain error");
  assert.equal(a.textContent, "ValueError: math domain error");
  assert.equal(a.hidden, false);
  showError(a, "");
  assert.equal(a.hidden, true);
});

test("the legend explains each kind of marked op the drawing has, and hides when there is none", () => {
  const marks = { custom: "its own closure", none: "no gradient" };
  assert.deepEqual(legendEntries(["", "custom", "custom"], marks), [["custom", "its own closure"]]);
  assert.deepEqual(legendEntries(["none", "", "custom"], marks), [["custom", "its own closure"], ["none", "no gradient"]]);
  const el = new Element("p");
  renderLegend(el, legendEntries(["none"], marks));
  assert.equal(el.hidden, false);
  assert.equal(el.textContent, "dashed op: no gradient");
  assert.equal(el.childNodes[0].className, "gv-swatch gv-swatch-none");
  renderLegend(el, legendEntries(["", ""], marks));
  assert.equal(el.hidden, true);
});
