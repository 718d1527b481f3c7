import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom, Element } from "./fakedom.js";
import { showTip, tipLines } from "../src/tooltip.js";
import { CONSTANTS, smallGraph } from "./fixture.js";

installFakeDom();

test("a value's tooltip: name and kind, data and grad in full, its op and the local derivatives", () => {
  const g = smallGraph();
  assert.deepEqual(tipLines(g, 2, CONSTANTS.opMarks), [
    "<b>c</b> <i>intermediate</i>", "data -6.0", "grad 108.0", "op *", "∂/∂a = -3.0", "∂/∂b = 2.0"]);
  assert.deepEqual(tipLines(g, 0, CONSTANTS.opMarks), ["<b>a</b> <i>input</i>", "data 2.0", "grad -324.0"]);
});

test("a custom op's tooltip says so, and makes up no local derivative", () => {
  const g = smallGraph();
  const lines = tipLines(g, 3, CONSTANTS.opMarks);
  assert.deepEqual(lines.slice(3), ["op cube", '<span class="gv-mark">custom op: its own closure</span>', "∂/∂c = ?"]);
  const none = smallGraph({ backward: [[3, "none"]] });
  assert.ok(tipLines(none, 3, CONSTANTS.opMarks).includes('<span class="gv-mark">passes no gradient</span>'));
  const plain = smallGraph({ backward: [] });
  assert.ok(!tipLines(plain, 3, CONSTANTS.opMarks).some((l) => l.includes("gv-mark")));
});

test("labels, ops, kinds and scopes are escaped", () => {
  const g = smallGraph();
  g.structure.labels[2] = "<img src=x onerror=alert(1)>";
  g.structure.ops[3] = "<b>";
  g.structure.scopes[2] = "a&b";
  const html = tipLines(g, 2).join("\n") + tipLines(g, 3).join("\n");
  assert.ok(!html.includes("<img") && html.includes("&lt;img src=x"));
  assert.ok(html.includes("op &lt;b&gt;") && html.includes("a&amp;b"));
});

test("a PyTorch graph's tooltip shows the lines Python wrote", () => {
  const g = smallGraph();
  g.structure.tips = [["shape 3×4", "mean <0.1>"], [], [], []];
  assert.deepEqual(tipLines(g, 0), ["<b>a</b> <i>input</i>", "shape 3×4", "mean &lt;0.1&gt;"]);
});

test("showTip places the tooltip beside the pointer, inside the stage", () => {
  const tip = new Element("div");
  tip.offsetWidth = 100; tip.offsetHeight = 40;
  showTip(tip, ["x", "y"], 10, 10, 500, 300);
  assert.equal(tip.innerHTML, "x<br>y");
  assert.equal(tip.hidden, false);
  assert.deepEqual([tip.style.left, tip.style.top], ["24px", "24px"]);
  showTip(tip, ["x"], 490, 290, 500, 300);
  assert.deepEqual([tip.style.left, tip.style.top], ["376px", "236px"]);
});

test("a folded group's tooltip names it, its size and output, and says how to open it", () => {
  const g = smallGraph();
  g.scene.group = ["", "", "Net#1/<conv>", ""];
  g.scene.size = [1, 1, 3, 1];
  const lines = tipLines(g, 2, CONSTANTS.opMarks);
  assert.equal(lines[0], "<b>Net#1/&lt;conv&gt;</b> (3 values)");
  assert.equal(lines[1], "output: c");
  assert.equal(lines.at(-1), '<span class="gv-dim">double-click to open</span>');
  assert.ok(!tipLines(g, 0, CONSTANTS.opMarks).some((l) => l.includes("double-click")));
});
