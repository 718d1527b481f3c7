import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom } from "./fakedom.js";
import { gradsButton, makeToolbar, orientButton, stepRate } from "../src/toolbar.js";

installFakeDom();

test("the toolbar holds its controls in order, each named for assistive technology", () => {
  const t = makeToolbar();
  assert.equal(t.el.getAttribute("role"), "toolbar");
  const names = t.el.childNodes.map((e) => e.getAttribute("aria-label") || e.textContent);
  assert.deepEqual(names, ["search", "Fit", "Zoom in", "Zoom out", "Hide grads", "Orientation", "", "step size", "direction",
    "Step along gradient", "Reset", "Recompute", "Backprop", "", "Download SVG", "Download PNG"]);
  assert.equal(t.stepSize.value, "0.01");
  assert.deepEqual(t.direction.childNodes.map((o) => o.getAttribute("value")), ["down", "up"]);
});

test("the orientation switch says what a press turns the view to, and asks the kernel for it", () => {
  assert.deepEqual(orientButton("LR"), { text: "TB ↓", pressed: "false", next: "TB" });
  assert.deepEqual(orientButton("TB"), { text: "LR →", pressed: "true", next: "LR" });
  assert.deepEqual(orientButton("BT").next, "LR");
});

test("a step's rate: down subtracts size·grad, up adds it; zero and non-numbers are refused", () => {
  assert.deepEqual(stepRate("0.05", false, "down"), { lr: 0.05 });
  assert.deepEqual(stepRate("0.05", false, "up"), { lr: -0.05 });
  assert.match(stepRate("0", false, "down").error, /step size: zero does not move anything/);
  assert.match(stepRate("", true, "down").error, /^step size: .*type a finite non-zero number/);
  assert.match(stepRate("1e999", false, "down").error, /^step size: /);
});

test("the grads switch says what a click does and whether grads are shown", () => {
  assert.deepEqual(gradsButton(true), { text: "Hide grads", pressed: "true" });
  assert.deepEqual(gradsButton(false), { text: "Show grads", pressed: "false" });
});
