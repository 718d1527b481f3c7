import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeXml, fmt4, fmtFull, nodeName } from "../src/format.js";

test("fmt4 prints like Python's %.4f (the lecture's labels)", () => {
  assert.equal(fmt4(2), "2.0000");
  assert.equal(fmt4(-7.94), "-7.9400");
  assert.equal(fmt4(0.70710678), "0.7071");
  assert.equal(fmt4(-0.00001), "-0.0000");
  assert.equal(fmt4(-0), "-0.0000");
  assert.equal(fmt4(NaN), "nan");
  assert.equal(fmt4(Infinity), "inf");
  assert.equal(fmt4(-Infinity), "-inf");
  assert.equal(fmt4(1e22), "10000000000000000000000.0000");
});

test("fmtFull gives Python's repr of a float", () => {
  assert.equal(fmtFull(2), "2.0");
  assert.equal(fmtFull(-7.940000000000001), "-7.940000000000001");
  assert.equal(fmtFull(1e-7), "1e-07");
  assert.equal(fmtFull(1.5e300), "1.5e+300");
  assert.equal(fmtFull(NaN), "nan");
});

test("escapeXml and nodeName", () => {
  assert.equal(escapeXml(`<a & "b">`), "&lt;a &amp; &quot;b&quot;&gt;");
  assert.equal(nodeName("a", "", 3), "a");
  assert.equal(nodeName("", "*", 4), "(*) #4");
  assert.equal(nodeName("", "", 5), "#5");
});
