import { test } from "node:test";
import assert from "node:assert/strict";
import { Element, installFakeDom } from "./fakedom.js";
import { makeShell } from "../src/shell.js";

installFakeDom();

test("the widget's elements, in page order, with their roles and names", () => {
  const el = new Element("div");
  const ui = makeShell(el);
  assert.equal(el.childNodes[0], ui.root);
  assert.deepEqual(ui.root.childNodes.map((c) => c.className), ["gv-toolbar", "gv-overlays", "gv-bp-slot", "gv-status", "gv-alert", "gv-stagewrap", "gv-legend", "gv-panels", "gv-tablewrap"]);
  assert.equal(ui.status.getAttribute("role"), "status");
  assert.equal(ui.alert.getAttribute("role"), "alert");
  assert.deepEqual([ui.status.hidden, ui.tip.hidden, ui.legend.hidden], [true, true, true]);
  assert.deepEqual(ui.stageWrap.childNodes, [ui.stage, ui.tip]);
  assert.equal(ui.stage.getAttribute("tabindex"), "0");
  assert.deepEqual(ui.root.childNodes[7].childNodes.map((c) => c.getAttribute("aria-label")), ["leaf controls", "last nudge", "selection"]);
  assert.deepEqual(ui.tableWrap.childNodes, [ui.tableEl, ui.pager]);
  assert.equal(ui.tableEl.getAttribute("aria-label"), "gradviz values");
  assert.ok(ui.tb.step && ui.tb.search, "the toolbar's parts (toolbar.js)");
});
