// The widget's elements, built once: toolbar, status and error lines, the stage (the drawing and
// its tooltip), the legend, the side panels (leaf controls, output, selection) and the value table.
// Only elements: widget.js wires them to the modules that fill them.

import { h } from "./dom.js";
import { makeToolbar } from "./toolbar.js";

/** Build the widget's elements into `el`. Returns them by name: {root, tb (toolbar.js), overlays
 *  (the overlay bar's place, overlay.js), alert, status, stage, tip, stageWrap, legend, outputEl,
 *  info, controlsEl, tableEl, pager, tableWrap, bpSlot (the Backprop mode's bar, backprop.js)}. */
export function makeShell(el) {
  const ui = {
    root: h("div", { class: "gradviz-root" }),
    tb: makeToolbar(),
    overlays: h("div", { class: "gv-overlays" }),
    alert: h("div", { role: "alert", class: "gv-alert" }),
    status: h("div", { role: "status", class: "gv-status" }),
    stage: h("div", { class: "gv-stage", tabindex: "0", "aria-label": "graph view: drag to pan, wheel to zoom, click a node to select it" }),
    tip: h("div", { class: "gv-tip", role: "tooltip" }),
    legend: h("p", { class: "gv-legend", role: "note" }),
    outputEl: h("section", { class: "gv-output", "aria-label": "last nudge" }),
    info: h("section", { class: "gv-info", "aria-label": "selection" }),
    controlsEl: h("section", { class: "gv-controls", "aria-label": "leaf controls" }),
    tableEl: h("table", { "aria-label": "gradviz values", class: "gv-table" }),
    pager: h("div", { class: "gv-pager" }),
    bpSlot: h("div", { class: "gv-bp-slot" }),  // the Backprop mode's bar and path list (backprop.js)
  };
  ui.status.hidden = true;
  ui.tip.hidden = true;
  ui.legend.hidden = true;
  ui.stageWrap = h("div", { class: "gv-stagewrap" }, ui.stage, ui.tip);
  ui.tableWrap = h("div", { class: "gv-tablewrap" }, ui.tableEl, ui.pager);
  const side = h("div", { class: "gv-panels" }, ui.controlsEl, ui.outputEl, ui.info);
  ui.root.append(ui.tb.el, ui.overlays, ui.bpSlot, ui.status, ui.alert, ui.stageWrap, ui.legend, side, ui.tableWrap);
  el.appendChild(ui.root);
  return ui;
}

/** An empty graph (no values): the stage says so instead of staying blank. */
export function markEmpty(ui) {
  ui.stageWrap.append(h("p", { class: "gv-empty", role: "note", text: "this graph is empty: it has no values to draw" }));
}
