// gradviz Playground (anywidget front end): controls, loss curve, decision heatmap with points,
// and the network with every neuron's output over the input plane. The kernel trains and
// evaluates (gradviz/playground.py); this draws what it sends and asks for the next frame while
// playing. Traits read: config, _points, _net, _maps (uint8 heatmaps), _curve, _status, _report,
// error, _constants (colours and fonts from gradviz/theme.py, set once). Every string from the
// kernel goes in through textContent. The modules: shell.js (the elements), tiles.js (the
// network), heatmap.js (the decision heatmap and points), curve.js, play.js (the play loop).
import "./playground.css";
import { byteTable, labelColors, playgroundVars } from "./colors.js";
import { applyConstants } from "../theme.js";
import { CONTROLS, parseIndex, parseValue, showValue } from "./controls.js";
import { drawCurve, fmtLoss } from "./curve.js";
import { hitPoint, unpackPoints } from "./points.js";
import { MAIN, makePlaygroundShell } from "./shell.js";
import { NetTiles } from "./tiles.js";
import { drawPoints, mapHash, paintDecision } from "./heatmap.js";
import { PlayLoop } from "./play.js";

const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);

/** Paints the Playground from its traits: one repaint per frame at most (schedule()). */
class PlaygroundPainter {
  constructor(model, ui, constants) {
    const pal = constants.playground;
    Object.assign(this, { model, ui, lut: byteTable(pal), labelColors: labelColors(pal), light: constants.palette.light });
    this.tiles = new NetTiles(ui.netBox, ui.edgeCanvas, this.lut, pal,
      (layer, index) => model.send({ type: "select", what: "neuron", layer, index }));
    this.scratch = document.createElement("canvas");
    this.pts = [];
    this.repaints = 0;
    this.paintMax = 0;
    this.pending = null;
  }

  schedule() {
    if (this.pending === null) this.pending = requestAnimationFrame(() => this.paint());
  }

  cancel() {
    if (this.pending !== null) cancelAnimationFrame(this.pending);
  }

  paint() {
    this.pending = null;
    const t0 = performance.now(), m = this.model, d = this.ui.root.dataset;
    const points = m.get("_points") || {}, net = m.get("_net") || {}, grid = points.grid || 50;
    this.pts = unpackPoints(points);
    this.tiles.build(net, grid);
    this.tiles.paintEdges(net);
    d.edges = String(this.tiles.edges.length);
    this.paintMaps(points, grid);
    this.paintStatus();
    this.repaints += 1;
    d.repaints = String(this.repaints);
    const ms = performance.now() - t0;
    d.paintMs = ms.toFixed(1);
    this.paintMax = Math.max(this.paintMax, ms);
    d.paintMaxMs = this.paintMax.toFixed(1);
    d.ready = "1";
  }

  paintMaps(points, grid) {
    const v = this.model.get("_maps");
    if (!v) return;
    const bytes = new Uint8Array(v.buffer ? v.buffer : v, v.byteOffset || 0, v.byteLength);
    this.tiles.paintMaps(bytes, grid);
    const ctx = paintDecision(this.ui.mainCanvas, this.scratch, bytes, grid, this.lut, MAIN);
    drawPoints(ctx, this.pts, points.extent, MAIN, (this.model.get("_status") || {}).selected, this.labelColors, this.light.sel);
    this.ui.root.dataset.mapHash = String(mapHash(bytes, grid * grid));
  }

  paintStatus() {
    const s = this.model.get("_status") || {}, ui = this.ui;
    ui.buttons.stepText.textContent = `step ${s.step ?? 0}`;
    ui.trainLoss.textContent = fmtLoss(s.train_loss);
    ui.testLoss.textContent = fmtLoss(s.test_loss);
    ui.accText.textContent = `train ${pct(s.train_acc)}, test ${pct(s.test_acc)}`;
    ui.root.dataset.step = String(s.step ?? 0);
    ui.root.dataset.trainLoss = String(s.train_loss ?? "");
    const c = ui.curveCanvas;
    drawCurve(c.getContext("2d"), this.model.get("_curve") || {}, c.width, c.height, { train: this.light.fg, test: this.light.line });
  }

  paintConfig() {
    const c = this.model.get("config") || {}, inputs = this.ui.settings.inputs;
    for (const k of Object.keys(inputs)) {
      if (document.activeElement === inputs[k]) continue;
      if (k in c) inputs[k].value = showValue(k, c[k]);
    }
  }

  paintReport() {
    const r = this.model.get("_report") || {}, report = this.ui.report;
    if (r.note) {  // the standalone page: what needs Python, said where its answer would be
      report.textContent = r.text;
      report.className = "gvp-report gvp-note";
      return;
    }
    report.textContent = r.text ? `PyTorch check at step ${r.step}: ${r.text}` : "";
    report.className = "gvp-report" + (r.text ? (r.ok ? " gvp-ok" : " gvp-bad") : "");
  }

  showError(msg) {
    this.ui.errorBox.textContent = msg || "";
    this.ui.errorBox.hidden = !msg;
  }
}

/** The user's moves (buttons, settings, clicks) to the kernel. */
function wireInput(model, ui, painter, loop) {
  const send = (msg) => model.send(msg);
  for (const c of CONTROLS) {
    const input = ui.settings.inputs[c.key];
    input.addEventListener("change", () => {
      const value = parseValue(c.key, input.value);
      if (value === null) return painter.showError(`${c.label}: enter a number`);
      send({ type: "config", key: c.key, value: c.key === "batch_size" && value === 0 ? null : value });
    });
  }
  const b = ui.buttons;
  b.play.addEventListener("click", () => loop.toggle());
  b.step.addEventListener("click", () => { if (!loop.playing) send({ type: "step", n: 1 }); });
  b.reset.addEventListener("click", () => { loop.set(false); send({ type: "reset" }); });
  b.compare.addEventListener("click", () => { ui.report.textContent = "checking with PyTorch…"; send({ type: "compare" }); });
  ui.pickBtn.addEventListener("click", () => {
    const index = parseIndex(ui.pickIndex.value);
    if (index === null) return painter.showError("point number: enter a whole number");
    send({ type: "select", what: "sample", split: ui.pickSplit.value, index });
  });
  ui.mainCanvas.addEventListener("click", (ev) => {
    const r = ui.mainCanvas.getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * MAIN, py = ((ev.clientY - r.top) / r.height) * MAIN;
    const hit = hitPoint(painter.pts, (model.get("_points") || {}).extent, MAIN, px, py);
    if (hit) send({ type: "select", what: "sample", split: hit.split, index: hit.index });
  });
}

function render({ model, el }) {
  const constants = model.get("_constants");
  const ui = makePlaygroundShell(el);
  applyConstants(ui.root, constants);
  for (const [k, v] of Object.entries(playgroundVars(constants.playground))) ui.root.style.setProperty(k, v);
  ui.root.dataset.repaints = "0";
  const painter = new PlaygroundPainter(model, ui, constants);
  const loop = new PlayLoop((msg) => model.send(msg), (on) => {
    const b = ui.buttons.play;
    b.textContent = on ? "❚❚ Pause" : "▶ Play";
    b.setAttribute("aria-label", on ? "pause" : "play");
    b.setAttribute("aria-pressed", on ? "true" : "false");
    ui.root.dataset.playing = on ? "1" : "0";
  });
  wireInput(model, ui, painter, loop);

  const schedule = () => painter.schedule();
  const onStatus = () => { schedule(); loop.frame((model.get("_status") || {}).tick); };
  const onError = () => painter.showError(model.get("error"));
  // trait -> what repaints when it changes; the same pairs are unhooked when the view goes
  const listeners = [
    ["_status", onStatus], ["_maps", schedule], ["_net", schedule], ["_points", schedule],
    ["error", onError], ["config", () => painter.paintConfig()], ["_report", () => painter.paintReport()],
  ];
  for (const [key, fn] of listeners) model.on(`change:${key}`, fn);
  loop.set(false);
  painter.paintConfig();
  painter.paintReport();
  onError();
  painter.paint();
  return () => {
    loop.playing = false;
    painter.cancel();
    for (const [key, fn] of listeners) model.off(`change:${key}`, fn);
  };
}

export default { render };
