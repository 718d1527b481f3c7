import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom, Element } from "./fakedom.js";
import { cellTexts, PAGE, pageOf, pageWindow, ValueTable, visibleRows } from "../src/table.js";
import { smallGraph } from "./fixture.js";

installFakeDom();

test("up to two pages of values are shown whole; more are paged, the page clamped", () => {
  assert.deepEqual(pageWindow(150, 0), { paged: false, pages: 2, page: 0, lo: 0, hi: 150 });
  assert.deepEqual(pageWindow(2 * PAGE, 0), { paged: false, pages: 2, page: 0, lo: 0, hi: 200 });
  assert.deepEqual(pageWindow(250, 2), { paged: true, pages: 3, page: 2, lo: 200, hi: 250 });
  assert.deepEqual(pageWindow(250, 9), { paged: true, pages: 3, page: 2, lo: 200, hi: 250 });
  assert.deepEqual(pageWindow(0, 0), { paged: false, pages: 1, page: 0, lo: 0, hi: 0 });
  assert.equal(pageOf(234, 250), 2);
  assert.equal(pageOf(134, 150), 0, "an unpaged table has one page");
});

test("the rows in the scrolled view, with two rows of margin", () => {
  const box = { top0: 20, rowH: 10 };
  assert.deepEqual(visibleRows(box, [0, 100], 500), [0, 10]);
  assert.deepEqual(visibleRows(box, [1000, 100], 500), [96, 110]);
  assert.deepEqual(visibleRows(box, [4990, 100], 500), [495, 500]);
});

test("cells: four decimals, or a PyTorch graph's texts as Python wrote them", () => {
  const { structure } = smallGraph();
  assert.deepEqual(cellTexts(structure, 0, [2.5], [-1]), ["2.5000", "-1.0000"]);
  const blank = Float64Array.of(0);
  blank.blank = Uint8Array.of(1);  // the Backprop mode has not reached it
  assert.deepEqual(cellTexts(structure, 0, [2.5], blank), ["2.5000", ""]);
  const torch = { ...structure, cells: [["3×4", "μ0.1", "‖∇‖ 2"]] };
  assert.deepEqual(cellTexts(torch, 0, [NaN], [NaN]), ["μ0.1", "‖∇‖ 2"]);
});

test("the table lists every value and rewrites only the texts that change", () => {
  const g = smallGraph();
  const wrap = new Element("div"), tbl = new Element("table"), pager = new Element("div");
  const t = new ValueTable(wrap, tbl, pager);
  t.build(g.structure, 2, g.data, g.grad);
  const rows = tbl.byTag("tr").slice(1);
  assert.equal(rows.length, 4);
  assert.deepEqual(rows.map((r) => r.childNodes.map((c) => c.textContent)), [
    ["a", "", "2.0000", "-324.0000"], ["b", "", "-3.0000", "216.0000"],
    ["c", "*", "-6.0000", "108.0000"], ["d", "cube", "-216.0000", "1.0000"]]);
  assert.equal(rows[2].getAttribute("aria-selected"), "true");
  assert.equal(tbl.byTag("caption")[0].textContent, "4 values");
  assert.equal(pager.childNodes.length, 0);
  const cell = t.rows[0].d, untouched = t.rows[1].d;
  const data = Float64Array.from(g.data); data[0] = 2.5;
  t.update(data, g.grad);
  assert.equal(cell.data, "2.5000");
  assert.equal(t.rows[0].d, cell, "the same Text node, rewritten");
  assert.equal(untouched.data, "-3.0000");
});

test("unlabelled nodes are named by their id, so two unlabelled leaves can be told apart", () => {
  const g = smallGraph();
  const S = { ...g.structure, labels: ["", "", "c", ""] };
  const tbl = new Element("table");
  new ValueTable(new Element("div"), tbl, new Element("div")).build(S, -1, g.data, g.grad);
  const heads = tbl.byTag("th").filter((c) => c.getAttribute("scope") === "row");
  assert.deepEqual(heads.map((c) => c.textContent), ["#0", "#1", "c", "#3"]);
  assert.equal(heads[1].getAttribute("title"), "unlabelled node #1");
  assert.equal(heads[1].className, "gv-dim", "shown as a name the page gave, not a label");
  assert.equal(heads[2].className, "", "a label is shown as it is");
});

test("visible-only updates leave the rows out of view stale until flush", () => {
  const n = 40;
  const g = smallGraph();
  const S = { ...g.structure, n, labels: Array.from({ length: n }, (_, i) => `v${i}`), ops: new Array(n).fill("") };
  const data = new Float64Array(n), grad = new Float64Array(n);
  const t = new ValueTable(new Element("div"), new Element("table"), new Element("div"));
  t.build(S, -1, data, grad);
  t.box = { top0: 0, rowH: 10 };
  t.scroll = [0, 50];
  const next = Float64Array.from({ length: n }, (_, i) => i + 1);
  t.update(next, grad, true);
  assert.equal(t.rows[0].d.data, "1.0000");
  assert.equal(t.rows[30].d.data, "0.0000", "out of view: not yet");
  assert.equal(t.stale, true);
  t.flush();
  assert.equal(t.rows[30].d.data, "31.0000");
  assert.equal(t.stale, false);
});

test("a big table is paged; the pager turns pages and follow() finds a node's page", () => {
  const n = 250;
  const g = smallGraph();
  const S = { ...g.structure, n, labels: Array.from({ length: n }, (_, i) => `v${i}`), ops: new Array(n).fill("") };
  const tbl = new Element("table"), pager = new Element("div");
  const t = new ValueTable(new Element("div"), tbl, pager);
  t.build(S, -1, new Float64Array(n), new Float64Array(n));
  assert.equal(tbl.byTag("caption")[0].textContent, "values 1–100 of 250");
  const [prev, , next] = pager.childNodes;
  assert.equal(prev.disabled, true);
  next.click();
  assert.equal(tbl.byTag("caption")[0].textContent, "values 101–200 of 250");
  t.follow(240);
  t.build(S, 240, new Float64Array(n), new Float64Array(n));
  assert.equal(tbl.byTag("caption")[0].textContent, "values 201–250 of 250");
  assert.equal(pager.childNodes[2].disabled, true);
  assert.equal(t.rows.find((r) => r.i === 240).tr.getAttribute("aria-selected"), "true");
});
