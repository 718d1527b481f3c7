import { test } from "node:test";
import assert from "node:assert/strict";
import { boxTexts, cellEdges, makeScene, opMarks } from "../src/scene.js";
import { svgMarkup } from "../src/svg.js";

// Two boxes: a parameter (labelled) and an op node without a label, as a PyTorch graph sends them.
const view = {
  width: 300, height: 40, box_x: [50, 200], box_y: [20, 20], box_w: [90, 160], box_h: [26, 26],
  box_node: [0, 1], box_group: ["", ""], box_size: [1, 1], box_title: ["fc.weight", ""], box_multi: [0, 0],
  op_box: [1], op_x: [120], op_y: [20], op_w: [40], op_h: [26], op_name: ["addmm"],
  edge_src: [0], edge_dst: [1], edge_ptr: [0, 4], edge_pts: [95, 20, 100, 20], collapsed: [], expanded: [],
};
const kinds = ["parameter", "intermediate"];
const constants = { charWidth: 7.2, fontSize: 12 };

test("a PyTorch graph's records read title | shape | value | grad from the texts Python sent", () => {
  const cells = [["4×3", "μ0.1 σ0.5", "‖∇‖ 0.02"], ["8×4", "—", "‖∇‖ 1.5"]];
  const s = makeScene(view, { kinds, cells, constants });
  const nan = [NaN, NaN];
  assert.deepEqual(boxTexts(s, 0, nan, nan, true), ["fc.weight", "4×3", "μ0.1 σ0.5", "‖∇‖ 0.02"]);
  assert.deepEqual(boxTexts(s, 1, nan, nan, true), ["addmm", "8×4", "—", "‖∇‖ 1.5"]);  // no label: the op
  assert.deepEqual(boxTexts(s, 1, nan, nan, false), ["addmm", "8×4", "—"]);
  const svg = svgMarkup(s, nan, nan);
  assert.ok(!/>nan</.test(svg) && svg.includes(">μ0.1 σ0.5<") && svg.includes('class="gv-s"'));
});

test("a gradviz graph's records still read label | data | grad", () => {
  const s = makeScene(view, { kinds, constants });
  assert.deepEqual(boxTexts(s, 0, [2, 3], [-4, 1], true), ["fc.weight", "data 2.0000", "grad -4.0000"]);
  const g = Float64Array.of(0, 1);
  g.blank = Uint8Array.of(1, 0);  // not reached yet in the Backprop mode: the grad cell is empty
  assert.deepEqual(boxTexts(s, 0, [2, 3], g, true), ["fc.weight", "data 2.0000", "grad"]);
});

test("records are sized with the character width Python sent (constants.charWidth)", () => {
  const narrow = makeScene(view, { kinds, constants: { charWidth: 5, fontSize: 12 } });
  const wide = makeScene(view, { kinds, constants: { charWidth: 10, fontSize: 12 } });
  const texts = ["ab", "data 1.0000"];
  // same box width: the cut between the cells moves with the ratio of text widths + padding
  const cut = (s) => cellEdges(s, 0, texts)[1] - (s.x[0] - s.w[0] / 2);
  assert.ok(Math.abs(cut(narrow) - (90 * (2 * 5 + 12)) / (2 * 5 + 12 + 11 * 5 + 12)) < 1e-9);
  assert.ok(Math.abs(cut(wide) - (90 * (2 * 10 + 12)) / (2 * 10 + 12 + 11 * 10 + 12)) < 1e-9);
  assert.throws(() => makeScene(view, { kinds }), /no constants\.charWidth/);
});

test("the record font size is the one Python sent (constants.fontSize), and required", () => {
  assert.equal(makeScene(view, { kinds, constants: { charWidth: 7.2, fontSize: 15 } }).fontPx, 15);
  assert.throws(() => makeScene(view, { kinds, constants: { charWidth: 7.2 } }), /no constants\.fontSize/);
});

test("ops whose gradient is not a built-in rule are marked, from the structure's backward pairs", () => {
  const s = makeScene(view, { kinds, constants, backward: [[1, "custom"]] });
  assert.deepEqual(opMarks(s, [[1, "custom"]]), ["custom"]);
  assert.deepEqual(s.opHow, ["custom"]);
  assert.deepEqual(opMarks(s, [[0, "none"]]), [""], "node 0 has no op ellipse");
  assert.deepEqual(makeScene(view, { kinds, constants }).opHow, [""]);
  const svg = svgMarkup(s, [1, 2], [0, 0]);
  assert.ok(svg.includes('<g class="gv-op gv-op-custom" data-op="0">'));
});
