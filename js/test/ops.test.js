// The page's op table (replay.js) and the tooltip's derivatives (localDerivatives) against the kernel's:
// every case of op_cases.json (written by `python -m gradviz.cases ops`), in full. A constant
// power's exponent comes as data (the case's "k", as the widget's `exponents` column), never read
// out of the op's name by the page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileReplay, localDerivatives, OPS, replay, ReplayError } from "../src/replay.js";
import { fmtFull, pyStr } from "../src/format.js";

const FILE = JSON.parse(readFileSync(new URL("./op_cases.json", import.meta.url), "utf8"));

/** A float as the case file writes it (Python's repr: "2.0", "-inf", "nan", "1e-05"). */
function num(text) {
  const m = /^(-?)(inf|nan)$/.exec(text);
  if (m) return m[2] === "nan" ? NaN : m[1] ? -Infinity : Infinity;
  assert.match(text, /^-?(\d+\.\d*|\d+)(e[+-]\d+)?$/);
  return Number(text);
}
/** The exponent column of one node `i` with exponent `k` (a repr, or null: not a power). */
const column = (i, k) => ({ ids: Int32Array.from(k === null ? [] : [i]), k: Float64Array.from(k === null ? [] : [num(k)]) });

/** Run one case as a graph: operands (leaves), the op, a leaf carrying g, root = op * g (so the op
 *  receives g exactly and each operand's gradient is 0 + the pushed gradient). */
function run(c) {
  const ar = c.args.length, op = ar, gLeaf = ar + 1, root = ar + 2;
  const ops = [...c.args.map(() => ""), c.name, "", "*"];
  const labels = [...c.labels, "", "g", ""];
  const childPtr = Int32Array.from([...c.args.map(() => 0), 0, ar, ar, ar + 2]);
  const childIdx = Int32Array.from([...c.args.map((_, i) => i), op, gLeaf]);
  const tape = compileReplay(ops, labels, childPtr, childIdx, FILE.templates, column(op, c.k));
  assert.ok(tape, `${c.name} compiles`);
  const input = new Float64Array(root + 1);
  c.args.forEach((x, i) => { input[i] = num(x); });
  input[gLeaf] = num(c.g);
  return { ...replay(tape, input), op };
}

// The browser's Math.exp/log/tanh and ** are not always correctly rounded (V8's come from fdlibm),
// so results of these ops may be an ulp or two from the C library's: allowed here, and only here.
const ROUNDED_BY_THE_BROWSER = new Set(["exp", "log", "tanh", "sigmoid", "**k", "**"]);
const bitsOf = (x) => new BigInt64Array(new Float64Array([x]).buffer)[0];
function close(have, want, op) {
  if (fmtFull(have) === fmtFull(want)) return true;
  if (!ROUNDED_BY_THE_BROWSER.has(op) || !Number.isFinite(have) || !Number.isFinite(want) || have === 0 || want === 0 || (have < 0) !== (want < 0)) return false;
  const d = bitsOf(have) - bitsOf(want);
  return d >= -2n && d <= 2n;
}

test("the page's op table gives the kernel's value, pushed gradients and errors on every case", () => {
  assert.ok(FILE.cases.length > 1000);
  let inexact = 0, all = 0;
  for (const c of FILE.cases) {
    const s = { k: c.k === null ? null : num(c.k) }, op = OPS[c.op];
    const [a, b] = [num(c.args[0]), c.args.length > 1 ? num(c.args[1]) : 0];
    const where = `${c.name}(${c.args.join(", ")}) g=${c.g}`;
    const failing = (op.errors || []).find(([when]) => when(a, b, s.k ?? 0));
    assert.equal(failing ? failing[1] : null, c.error ? c.error.key : null, where);
    if (c.error) continue;
    const out = op.fwd(a, b, s.k ?? 0);
    const pushed = op.pushed(a, b, s.k ?? 0, num(c.out), num(c.g));  // at the kernel's value
    for (const [have, want] of [[out, c.out], ...pushed.map((p, i) => [p, c.pushed[i]])]) {
      assert.ok(close(have, num(want), c.op), `${where}: ${fmtFull(have)} != ${want}`);
      all += 1;
      inexact += fmtFull(have) === want ? 0 : 1;
    }
  }
  assert.ok(inexact < all / 50, `${inexact} of ${all} results differ in the last bits`);
});

test("the page's replay runs every case as its op table says, with the kernel's full errors", () => {
  const ops = new Set();
  for (const c of FILE.cases) {
    ops.add(c.op);
    const where = `${c.name}(${c.args.join(", ")}) g=${c.g}`;
    if (c.error) {
      assert.throws(() => run(c), (e) => e instanceof ReplayError && e.message === `${c.error.type}: ${c.error.message}`, where);
      continue;
    }
    const r = run(c), s = { k: c.k === null ? null : num(c.k) }, args = c.args.map(num);
    const out = OPS[c.op].fwd(args[0], args[1] ?? 0, s.k ?? 0);
    assert.equal(fmtFull(r.data[r.op]), fmtFull(out), `${where}: value`);
    assert.ok(close(r.data[r.op], num(c.out), c.op), `${where}: value ${fmtFull(r.data[r.op])} != ${c.out}`);
    const pushed = OPS[c.op].pushed(args[0], args[1] ?? 0, s.k ?? 0, out, num(c.g));
    pushed.forEach((p, i) => assert.equal(fmtFull(r.grad[i]), fmtFull(0 + p), `${where}: gradient of operand ${i}`));
    if (!ROUNDED_BY_THE_BROWSER.has(c.op)) {
      c.pushed.forEach((p, i) => assert.equal(fmtFull(r.grad[i]), fmtFull(0 + num(p)), `${where}: gradient of operand ${i}`));
    }
  }
  assert.equal(ops.size, 12);
});

test("the tooltip's local derivatives are the kernel's on every case (0 ** b included)", () => {
  for (const c of FILE.cases) {
    if (c.error) continue;
    const loc = localDerivatives(c.name, c.k === null ? null : num(c.k), num(c.out), c.args.map(num));
    assert.equal(loc.length, c.local.length);
    loc.forEach((x, i) => assert.ok(close(x, num(c.local[i]), c.op), `${c.name}(${c.args.join(", ")}): ${fmtFull(x)} != ${c.local[i]}`));
  }
  // the cases issue 11 names: d/db of 0 ** 2 and 0 ** 0 is 0, as the engine's
  assert.deepEqual(localDerivatives("**", null, 0, [0, 2]), [0, 0]);
  assert.deepEqual(localDerivatives("**", null, 1, [0, 0]), [0, 0]);
  assert.equal(localDerivatives("MulBackward0", null, 1, [1, 1]), null);
});

test("a power's exponent is the column's, never the name's: without it the kernel answers", () => {
  // FILE.names: [op name, the table's op, k] as gradviz.ops reads them (the kernel's column)
  for (const [name, op, k] of FILE.names) {
    const graph = [["", name], [""], Int32Array.from([0, 0, 1]), Int32Array.from([0])];
    const tape = compileReplay(...graph, FILE.templates, column(1, k));
    assert.equal(!!tape, op !== null && OPS[op].arity === 1, name);
    if (tape) assert.equal(fmtFull(replay(tape, [3, 0]).data[1]), fmtFull(OPS[op].fwd(3, 0, k === null ? 0 : num(k))), name);
    // the same node without the column (a state saved before it existed): not a power, not replayed
    if (k !== null) {
      assert.equal(compileReplay(...graph, FILE.templates), null, name);
      assert.equal(localDerivatives(name, null, 9, [3]), null, name);
    }
  }
  // the exponent is the column's even where the name says otherwise
  const tape = compileReplay(["", "**2.0"], ["x", ""], Int32Array.from([0, 0, 1]), Int32Array.from([0]), FILE.templates, column(1, "3.0"));
  assert.equal(replay(tape, [2, 0]).data[1], 8);
  assert.deepEqual(localDerivatives("**2.0", 3, 8, [2]), [12]);
  // a column whose ids and exponents differ in length is refused (the kernel answers)
  assert.equal(compileReplay(["", "**2.0"], ["x", ""], Int32Array.from([0, 0, 1]), Int32Array.from([0]), FILE.templates, { ids: Int32Array.from([1]), k: new Float64Array(0) }), null);
  // an id outside the graph is refused (the kernel answers)
  assert.equal(compileReplay(["", "**2.0"], ["x", ""], Int32Array.from([0, 0, 1]), Int32Array.from([0]), FILE.templates, column(5, "2.0")), null);
});

test("without the kernel's error templates the page does not replay (the kernel answers)", () => {
  const args = [["", "", "+"], ["", "", ""], Int32Array.from([0, 0, 0, 2]), Int32Array.from([0, 1])];
  assert.equal(compileReplay(...args), null);
  assert.equal(compileReplay(...args, { div_zero: "x" }), null);
  assert.ok(compileReplay(...args, FILE.templates));
});

test("numbers and labels are worded as Python's repr", () => {
  for (const c of FILE.cases) for (const x of [...c.args, ...(c.k === null ? [] : [c.k])]) assert.equal(fmtFull(num(x)), x);
  const reprs = [[1e16, "1e+16"], [1e15, "1000000000000000.0"], [1e-5, "1e-05"], [0.0001, "0.0001"],
    [123456789012345680, "1.2345678901234568e+17"], [-2.5e-7, "-2.5e-07"], [5e-324, "5e-324"], [0.1, "0.1"]];
  for (const [x, s] of reprs) assert.equal(fmtFull(x), s);
  assert.equal(pyStr("a"), "'a'");
  assert.equal(pyStr("x'y"), `"x'y"`);
  assert.equal(pyStr(`a'b"c`), `'a\\'b"c'`);
  assert.equal(pyStr("b\\n\n\t\x01"), "'b\\\\n\\n\\t\\x01'");
});

test("local derivatives of every engine op", () => {
  assert.deepEqual(localDerivatives("*", null, -6, [2, -3]), [-3, 2]);
  assert.deepEqual(localDerivatives("+", null, 5, [2, 3]), [1, 1]);
  assert.deepEqual(localDerivatives("-", null, 1, [4, 3]), [1, -1]);
  assert.deepEqual(localDerivatives("/", null, 2, [4, 2]), [0.5, -1]);
  assert.deepEqual(localDerivatives("**2.0", 2, 9, [3]), [6]);
  assert.ok(Math.abs(localDerivatives("tanh", null, 0.7071, [0.8814])[0] - 0.5) < 1e-4);
  assert.deepEqual(localDerivatives("relu", null, 0, [-1]), [0]);
  assert.deepEqual(localDerivatives("exp", null, 2, [Math.log(2)]), [2]);
  assert.deepEqual(localDerivatives("log", null, 0, [4]), [0.25]);
  assert.equal(localDerivatives("MulBackward0", null, 1, [1, 1]), null);
});
