import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeXml, fmt4, fmtFull, nodeName, nodeTitle } from "../src/format.js";

test("fmt4 prints like Python's %.4f (the lecture's labels)", () => {
  assert.equal(fmt4(2), "2.0000");
  assert.equal(fmt4(-7.94), "-7.9400");
  assert.equal(fmt4(0.70710678), "0.7071");
  assert.equal(fmt4(-0.00001), "-0.0000");
  assert.equal(fmt4(-0), "-0.0000");
  assert.equal(fmt4(NaN), "nan");
  assert.equal(fmt4(Infinity), "inf");
  assert.equal(fmt4(-Infinity), "-inf");
  assert.equal(fmt4(9999999999999998), "9999999999999998.0000");
  assert.equal(fmt4(1e22), "1.0000e+22");  // from HUGE on, Python's "%.4e"
  assert.equal(fmt4(-1e308), "-1.0000e+308");
});

test("fmtFull gives Python's repr of a float", () => {
  assert.equal(fmtFull(2), "2.0");
  assert.equal(fmtFull(-7.940000000000001), "-7.940000000000001");
  assert.equal(fmtFull(1e-7), "1e-07");
  assert.equal(fmtFull(1.5e300), "1.5e+300");
  assert.equal(fmtFull(NaN), "nan");
});

test("escapeXml, and nodeTitle: a record's label as drawn, else the node's name", () => {
  assert.equal(escapeXml(`<a & "b">`), "&lt;a &amp; &quot;b&quot;&gt;");
  assert.equal(nodeTitle("a", "", 3), "a");
  assert.equal(nodeTitle("x'y", "*", 3), "x'y");
  assert.equal(nodeTitle("", "*", 4), nodeName("", "*", 4));
  assert.equal(nodeTitle("", "", 5), "unlabelled leaf node #5");
});

test("escapeXml leaves no markup and no character XML forbids", async () => {
  const { escapeXml } = await import("../src/format.js");
  assert.equal(escapeXml(`a"><img src=x onerror=alert(1)>'&`), "a&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&amp;");
  assert.equal(escapeXml("a\x00b\x1fc\td\ne"), "a\ufffdb\ufffdc\td\ne");
  assert.equal(escapeXml("x\ud800y\udc00z"), "x\ufffdy\ufffdz");
  assert.equal(escapeXml("😀"), "😀"); // a whole surrogate pair is kept
  assert.equal(escapeXml("\ufffe\uffff"), "\ufffd\ufffd");
});

test("shortLabel cuts long labels with an ellipsis, never inside a surrogate pair", async () => {
  const { shortLabel, LABEL_MAX } = await import("../src/format.js");
  assert.equal(shortLabel("abc"), "abc");
  assert.equal(shortLabel("x".repeat(LABEL_MAX)), "x".repeat(LABEL_MAX));
  const long = shortLabel("y".repeat(100000));
  assert.equal(long.length, LABEL_MAX);
  assert.ok(long.endsWith("…"));
  const emoji = shortLabel("a".repeat(LABEL_MAX - 3) + "😀".repeat(5));
  assert.ok(!/[\ud800-\udbff]…$/.test(emoji), emoji);
  assert.ok(emoji.length <= LABEL_MAX);
});

test("kindClass only ever gives one of the known classes", async () => {
  const { kindClass } = await import("../src/format.js");
  assert.equal(kindClass("parameter"), "gv-parameter");
  assert.equal(kindClass("group"), "gv-group");
  assert.equal(kindClass('input"><image href=x onerror="1'), "gv-intermediate");
  assert.equal(kindClass(undefined), "gv-intermediate");
});

test("parseNumber accepts finite numbers and says 'not a number' for the rest", async () => {
  const { parseNumber } = await import("../src/format.js");
  assert.deepEqual(parseNumber("2.5"), { value: 2.5 });
  assert.deepEqual(parseNumber(" -1e-3 "), { value: -0.001 });
  assert.deepEqual(parseNumber(".5"), { value: 0.5 });
  assert.deepEqual(parseNumber("0"), { value: 0 });
  for (const bad of ["abc", "NaN", "Infinity", "-inf", "1e400", "-1e400", "", "  ", "1,5", "0x10", "1e", null]) {
    const r = parseNumber(bad);
    assert.equal(r.value, undefined, String(bad));
    assert.ok(r.error.startsWith("not a number"), `${bad}: ${r.error}`);
  }
  assert.match(parseNumber("1e400").error, /float range/);
  assert.match(parseNumber("").error, /empty/);
  assert.equal(parseNumber("", true).error, "not a number"); // the browser could not read the text
});

test("parseNumber names text the box dropped ('abc' leaves a number input empty) (issue 22)", async () => {
  const { parseNumber } = await import("../src/format.js");
  assert.deepEqual(parseNumber("", false, "abc"), { error: 'not a number: "abc"' });
  assert.deepEqual(parseNumber("", false, ""), { error: "not a number: the box is empty" });
  assert.deepEqual(parseNumber("2.5", false, ""), { value: 2.5 });
});
