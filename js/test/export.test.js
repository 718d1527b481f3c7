import { test } from "node:test";
import assert from "node:assert/strict";
import { exportStyle, pngSize, svgFile } from "../src/export.js";
import { smallGraph } from "./fixture.js";

const theme = {
  bg: "#010101", fg: "#020202", line: "#030303", box: "#040404", input: "#050505", param: "#060606",
  constant: "#070707", output: "#080808", group: "#090909", opFill: "#0a0a0a", pos: "#0b0b0b",
  neg: "#0c0c0c", zero: "#0d0d0d", nan: "#0e0e0e", sel: "#0f0f0f", custom: "#101010", nograd: "#111111",
  font: "12px test-mono",
};

test("the exported style holds every colour of the theme and its font, resolved", () => {
  const css = exportStyle(theme);
  for (const [k, v] of Object.entries(theme)) {
    if (k === "sel") continue;  // selection is not part of a downloaded picture
    assert.ok(css.includes(v), `${k} (${v}) missing from the exported style`);
  }
  assert.ok(!css.includes("var("), "a file has no CSS variables to resolve");
  assert.match(css, /\.gv-op-custom ellipse\{stroke:#101010;stroke-dasharray:3 2\}/);
  assert.match(css, /\.gv-op-none ellipse\{stroke:#111111;stroke-dasharray:3 2\}/);
});

test("the SVG file embeds the style and marks the custom op", () => {
  const g = smallGraph();
  const svg = svgFile(g.scene, g.data, g.grad, true, theme);
  assert.ok(svg.startsWith("<svg") && svg.includes(`<style>${exportStyle(theme)}</style>`));
  assert.equal((svg.match(/class="gv-op gv-op-custom"/g) || []).length, 1);
  assert.equal((svg.match(/class="gv-op"/g) || []).length, 1, "the * op is a plain op");
  assert.ok(svg.includes("grad 1.0000"));
  assert.ok(!svgFile(g.scene, g.data, g.grad, false, theme).includes("grad 1.0000"), "hidden grads stay hidden");
});

test("the PNG is twice the size, with no side over 8000 px", () => {
  assert.deepEqual(pngSize(600, 100), { k: 2, w: 1200, h: 200 });
  const big = pngSize(20000, 500);
  assert.equal(big.w, 8000);
  assert.equal(big.h, 200);
  assert.deepEqual(pngSize(0, 0), { k: 2, w: 1, h: 1 });
});
