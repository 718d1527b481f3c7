import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom, Element } from "./fakedom.js";
import { boxMarks, markOf, readReference, referenceCell, referenceLines } from "../src/reference.js";
import { toFloat64 } from "../src/decode.js";
import { ValueTable } from "../src/table.js";
import { fmt4 } from "../src/format.js";
import { tipLines } from "../src/tooltip.js";
import { smallGraph } from "./fixture.js";

installFakeDom();

const bytes = (xs) => new Uint8Array(Float64Array.from(xs).buffer);

// the learner's b = a + a with '=' in its closure: a.grad 1 where gradviz's rule gives 2
function learner() {
  const g = smallGraph({ backward: [] });
  const ref = readReference(bytes([-648, 216, 108, 1]), { grad: [0], forward: [[2, "your forward gives -6, `*` gives -7"]] }, toFloat64);
  return { g, ref };
}

test("no reference bytes: the Values' grads are gradviz's own, nothing is marked", () => {
  assert.equal(readReference(new Uint8Array(0), { grad: [1] }, toFloat64), null);
  assert.equal(readReference(null, null, toFloat64), null);
  assert.equal(markOf(null, 0), "");
  assert.deepEqual(referenceLines(null, 0, [1]), []);
});

test("a node whose grad differs is marked 'grad', one whose forward is off 'forward'", () => {
  const { g, ref } = learner();
  assert.equal(markOf(ref, 0), "grad");
  assert.equal(markOf(ref, 2), "forward");
  assert.equal(markOf(ref, 1), "");
  assert.deepEqual(boxMarks(g.scene, ref), ["grad", "", "forward", ""]);
  assert.deepEqual(referenceLines(ref, 0, g.grad), ["≠ your grad -324.0, gradviz's rule -648.0"]);
  assert.deepEqual(referenceLines(ref, 2, g.grad), ["≠ your forward gives -6, `*` gives -7", "your grad 108.0, gradviz's rule 108.0"]);
  assert.equal(referenceCell(ref, 0, fmt4), "≠ -648.0000");
  assert.equal(referenceCell(ref, 1, fmt4), "216.0000");
});

test("the table gets a 'gradviz grad' column beside the Values' own, mismatches marked", () => {
  const { g, ref } = learner();
  const tbl = new Element("table");
  const t = new ValueTable(new Element("div"), tbl, new Element("div"));
  t.ref = ref;
  t.build(g.structure, -1, g.data, g.grad);
  const rows = tbl.byTag("tr");
  assert.deepEqual(rows[0].childNodes.map((c) => c.textContent), ["label", "op", "data", "grad", "gradviz grad"]);
  assert.deepEqual(rows[1].childNodes.map((c) => c.textContent), ["a", "", "2.0000", "-324.0000", "≠ -648.0000"]);
  assert.ok(rows[1].classList.contains("gv-mismatch"));
  assert.ok(!rows[2].classList.contains("gv-mismatch"));
  t.ref = null;
  t.build(g.structure, -1, g.data, g.grad);
  assert.equal(tbl.byTag("tr")[0].childNodes.length, 4, "gradviz's own Values: no extra column");
});

test("the tooltip shows the reference beside the Values' own grad", () => {
  const { g, ref } = learner();
  const lines = tipLines({ ...g, ref }, 0);
  assert.ok(lines.includes('<span class="gv-mark">≠ your grad -324.0, gradviz&#39;s rule -648.0</span>'), lines.join("\n"));
});
