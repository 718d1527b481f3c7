// The Playground's elements, built once: the buttons, a field per setting (controls.js CONTROLS),
// the network box, the decision heatmap with its readout, loss curve and point picker, the PyTorch
// report and the error line. Only elements: index.js wires them.

import { h } from "../dom.js";
import { CONTROLS } from "./controls.js";

export const MAIN = 300;   // decision heatmap size (px)

function buttonRow() {
  const el = h("div", { class: "gvp-buttons" });
  const btn = (text, label) => {
    const b = h("button", { type: "button", "aria-label": label, text });
    el.append(b);
    return b;
  };
  const b = {
    el, play: btn("▶ Play", "play"), step: btn("Step", "step"), reset: btn("Reset", "reset"),
    compare: btn("Check with PyTorch", "check the current step with PyTorch"),
    stepText: h("span", { class: "gvp-step", "aria-label": "step", text: "step 0" }),
  };
  el.append(b.stepText);
  return b;
}

/** A field per setting: {el, inputs: {key: input}}. */
function settingFields() {
  const el = h("div", { class: "gvp-settings" });
  const inputs = {};
  for (const c of CONTROLS) {
    let input;
    if (c.kind === "select") {
      input = h("select", { "aria-label": c.label });
      for (const o of c.options) input.append(h("option", { value: o, text: o }));
    } else {
      input = h("input", {
        type: c.kind === "number" ? "number" : "text", "aria-label": c.label,
        step: c.step, min: c.min, max: c.max, size: c.kind === "text" ? 8 : undefined,
      });
    }
    inputs[c.key] = input;
    el.append(h("label", { class: "gvp-field" }, h("span", { text: c.label }), input));
  }
  return { el, inputs };
}

/** The output column: heatmap, readout, curve, and the point picker. */
function outputColumn(ui) {
  ui.mainCanvas = h("canvas", {
    class: "gvp-main", width: MAIN, height: MAIN, role: "img", tabindex: 0,
    "aria-label": "decision heatmap with the data points; click a point to open its scalar graph",
  });
  ui.curveCanvas = h("canvas", { class: "gvp-curve", width: MAIN, height: 90, role: "img", "aria-label": "loss curve: train and test loss by step" });
  ui.trainLoss = h("span", { class: "gvp-train-loss", text: "–" });
  ui.testLoss = h("span", { class: "gvp-test-loss", text: "–" });
  ui.accText = h("span", { class: "gvp-acc", text: "–" });
  const readout = h("div", { class: "gvp-readout", "aria-live": "polite", "aria-label": "losses and accuracy" },
    h("span", { class: "gvp-key gvp-key-train", text: "train loss " }), ui.trainLoss,
    h("span", { class: "gvp-key gvp-key-test", text: " test loss " }), ui.testLoss,
    h("span", { text: "  accuracy " }), ui.accText);
  const hint = h("div", { class: "gvp-hint", text: "Click a point (or a neuron) to open its scalar graph below, or:" });
  // the same by keyboard: which point, then open
  ui.pickSplit = h("select", { "aria-label": "point set" }, h("option", { value: "train", text: "train" }),
    h("option", { value: "test", text: "test" }));
  ui.pickIndex = h("input", { type: "number", min: 0, step: 1, value: 0, "aria-label": "point number" });
  ui.pickBtn = h("button", { type: "button", text: "Open graph", "aria-label": "open the point's scalar graph" });
  const picker = h("div", { class: "gvp-picker" }, h("span", { text: "point " }), ui.pickSplit, ui.pickIndex, ui.pickBtn);
  const legend = h("div", { class: "gvp-legend" },
    h("span", { class: "gvp-swatch gvp-neg" }), h("span", { text: "−1  " }),
    h("span", { class: "gvp-swatch gvp-pos" }), h("span", { text: "+1;  points: white ring train, black ring test" }));
  return h("div", { class: "gvp-output" }, h("div", { class: "gvp-title", text: "Output" }), legend,
    ui.mainCanvas, readout, ui.curveCanvas, hint, picker);
}

/** Build the Playground's elements into `el`; returns them by name. */
export function makePlaygroundShell(el) {
  const ui = { root: h("div", { class: "gvp-root", role: "region", "aria-label": "gradviz playground" }) };
  ui.buttons = buttonRow();
  ui.settings = settingFields();
  ui.netBox = h("div", { class: "gvp-net", role: "group", "aria-label": "network: every neuron's output over the input plane" });
  ui.edgeCanvas = h("canvas", { class: "gvp-edges", "aria-hidden": "true" });
  ui.netBox.append(ui.edgeCanvas);
  const right = outputColumn(ui);
  ui.report = h("div", { class: "gvp-report", role: "status", "aria-label": "PyTorch check" });
  ui.errorBox = h("div", { class: "gvp-error", role: "alert" });
  ui.root.append(ui.buttons.el, ui.settings.el, h("div", { class: "gvp-body" }, ui.netBox, right), ui.report, ui.errorBox);
  el.append(ui.root);
  return ui;
}
