import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom, Element } from "./fakedom.js";
import { applyConstants, constantVars, hexIsDark, hostTheme, readTheme, THEME_VARS } from "../src/theme.js";
import { CONSTANTS } from "./fixture.js";

installFakeDom();

test("every palette entry becomes a light (--gvl-) and a dark (--gvd-) CSS variable, fonts too", () => {
  const v = constantVars(CONSTANTS);
  assert.equal(v["--gvl-bg"], "#fefefe");
  assert.equal(v["--gvd-bg"], "#101010");
  assert.equal(v["--gvl-sel"], "#aa0000");
  assert.equal(v["--gvd-sel"], "#ff8888");
  assert.equal(v["--gv-font-mono"], "test-mono, monospace");
  assert.equal(v["--gv-font-px"], "12px");
  const n = Object.keys(CONSTANTS.palette.light).length + Object.keys(CONSTANTS.palette.dark).length + 3;
  assert.equal(Object.keys(v).length, n);
});

test("a structure without constants is a clear error, not a page of grey boxes", () => {
  assert.throws(() => constantVars(undefined), /no `constants`.*restart the kernel/);
});

test("applyConstants sets the variables on the element, readTheme reads the resolved colours and font", () => {
  const root = new Element("div");
  applyConstants(root, CONSTANTS);
  assert.equal(root.style.getPropertyValue("--gvl-box"), "#ffffff");
  root.style.setProperty(THEME_VARS.bg, "#123456");  // as the CSS would resolve it
  const t = readTheme(root);
  assert.equal(t.bg, "#123456");
  assert.equal(t.sel, "#888", "an unresolved colour falls back to grey");
  assert.equal(t.font, "12px test-mono, monospace");
});

test("dark or light by perceived luminance", () => {
  assert.equal(hexIsDark("#0d1117"), true);
  assert.equal(hexIsDark("#ffffff"), false);
  assert.equal(hexIsDark("#1f6feb"), true);   // blue: dark by luminance (0.45)
  assert.equal(hexIsDark("#ffff00"), false);  // yellow: light
  assert.equal(hexIsDark("rgb(0, 0, 0)"), false, "only #rrggbb is read");
});

test("the host page's class: body first, then <html>; none says nothing", () => {
  const body = new Element("body"), html = new Element("html");
  assert.equal(hostTheme(body, html), "");
  html.classList.add("light");
  assert.equal(hostTheme(body, html), "light");
  body.classList.add("dark", "dark-theme");
  assert.equal(hostTheme(body, html), "dark");
});
