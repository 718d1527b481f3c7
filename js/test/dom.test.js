import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom } from "./fakedom.js";
import { button, h } from "../src/dom.js";

installFakeDom();

test("h sets class, text and attributes, leaves out null/undefined/false, appends children", () => {
  const e = h("div", { class: "x y", title: "t", hidden: false, "data-a": null, "aria-label": undefined, open: true }, h("span", { text: "hi" }), null, "tail");
  assert.equal(e.className, "x y");
  assert.equal(e.getAttribute("title"), "t");
  assert.equal(e.getAttribute("open"), "");
  assert.ok(!e.hasAttribute("hidden") && !e.hasAttribute("data-a") && !e.hasAttribute("aria-label"));
  assert.equal(e.textContent, "hitail");
  assert.equal(e.childNodes.length, 2);
});

test("form fields keep JupyterLab's shortcuts off their keys; other elements do not get the mark", () => {
  for (const tag of ["input", "select", "textarea"]) assert.equal(h(tag).getAttribute("data-lm-suppress-shortcuts"), "true");
  assert.equal(h("button").getAttribute("data-lm-suppress-shortcuts"), null);
});

test("button: a plain button with text, title and accessible name", () => {
  const b = button("+", "zoom in", "Zoom in");
  assert.equal(b.tagName, "BUTTON");
  assert.equal(b.getAttribute("type"), "button");
  assert.equal(b.textContent, "+");
  assert.equal(b.getAttribute("aria-label"), "Zoom in");
  assert.equal(button("Fit", "fit").getAttribute("aria-label"), null);
});
