// The toolbar: search, camera buttons (fit, zoom), the grads switch, gradient step and reset, downloads. It only
// builds the elements; widget.js wires them.

import { button, h } from "./dom.js";
import { parseNumber, watchDropped } from "./format.js";

/** The toolbar's elements: {el, search, fit, zoomIn, zoomOut, grads, reset, stepSize, direction,
 *  step, recompute, svg, png, backprop}. */
export function makeToolbar() {
  const t = {
    search: h("input", { type: "search", "aria-label": "search", placeholder: "search…", class: "gv-search" }),
    fit: button("Fit", "fit the graph to the view (or double-click the background)"),
    zoomIn: button("+", "zoom in", "Zoom in"),
    zoomOut: button("−", "zoom out", "Zoom out"),
    grads: button("Hide grads", "show or hide the grad cell of every record"),
    orient: button("TB ↓", "lay the graph out top to bottom (TB) or left to right (LR)", "Orientation"),
    reset: button("Reset", "back to the values at construction"),
    recompute: button("Recompute", "run forward and backward from the leaves now and write every data and grad (the widget never does it by itself)"),
    stepSize: h("input", { type: "number", "aria-label": "step size", value: "0.01", step: "any", class: "gv-num" }),
    direction: h("select", { "aria-label": "direction", title: "down: data −= size·grad; up: data += size·grad" },
      h("option", { value: "down", text: "down" }), h("option", { value: "up", text: "up" })),
    step: button("Step", "move every input and parameter along its gradient by the step size", "Step along gradient"),
    svg: button("SVG", "download the whole current view as SVG", "Download SVG"),
    png: button("PNG", "download the whole current view as PNG", "Download PNG"),
    backprop: button("Backprop", "step through backward, node by node (again: the full picture)"),
  };
  t.backprop.setAttribute("aria-pressed", "false");
  t.stepDropped = watchDropped(t.stepSize);
  t.el = h("div", { class: "gv-toolbar", role: "toolbar", "aria-label": "gradviz tools" },
    t.search, t.fit, t.zoomIn, t.zoomOut, t.grads, t.orient, h("span", { class: "gv-sep" }), t.stepSize, t.direction, t.step, t.reset, t.recompute, t.backprop,
    h("span", { class: "gv-sep" }), t.svg, t.png);
  return t;
}

/** The learning rate of a Step: `text` in the step-size box (`badInput`: the browser could not read
 *  it), `direction` "down" (data −= size·grad) or "up". Returns {lr} or {error} (a message). */
export function stepRate(text, badInput, direction, dropped = "") {
  const r = parseNumber(text, badInput, dropped);
  const why = r.error || (r.value === 0 ? "zero does not move anything" : "");
  if (why) return { error: `step size: ${why}; type a finite non-zero number, e.g. 0.01` };
  return { lr: direction === "down" ? r.value : -r.value };
}

/** The orientation switch for a view laid out `rankdir`: its text (what a press turns it to, in
 *  Graphviz's words: the toolbar must fit a 900 px output on one line),
 *  pressed state (pressed: top to bottom) and the rankdir a press asks for. */
export function orientButton(rankdir) {
  const vertical = rankdir === "TB" || rankdir === "BT";
  return { text: vertical ? "LR →" : "TB ↓", pressed: vertical ? "true" : "false", next: vertical ? "LR" : "TB" };
}

/** The grads switch's text and pressed state. */
export function gradsButton(show) {
  return { text: show ? "Hide grads" : "Show grads", pressed: show ? "true" : "false" };
}
