// gradviz Playground (anywidget front end): controls, loss curve, decision heatmap with points,
// and the network with every neuron's output over the input plane. The kernel trains and
// evaluates (gradviz/playground.py); this draws what it sends and asks for the next frame while
// playing. Traits read: config, _points, _net, _maps (uint8 heatmaps), _curve, _status, _report,
// error, _constants (colours and fonts from gradviz/theme.py, set once). Every string from the
// kernel goes in through textContent.
import "./playground.css";
import { byteTable, labelColors, paintBytes, playgroundVars, weightStroke } from "./colors.js";
import { applyConstants } from "../theme.js";
import { CONTROLS, parseIndex, parseValue, showValue } from "./controls.js";
import { drawCurve, fmtLoss } from "./curve.js";
import { edgeCurve, layoutNetwork, mapRow, networkEdges } from "./network.js";
import { hitPoint, toPixel, unpackPoints } from "./points.js";

const MAIN = 300;   // decision heatmap size (px)
const TILE = 30;    // neuron tile size (px)

function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, String(v));
  }
  for (const c of kids) e.append(c);
  return e;
}

function render({ model, el }) {
  const constants = model.get("_constants");
  const pal = constants.playground, light = constants.palette.light;
  const lut = byteTable(pal);
  const LABEL_COLORS = labelColors(pal);
  const root = h("div", { class: "gvp-root", role: "region", "aria-label": "gradviz playground" });
  applyConstants(root, constants);
  for (const [k, v] of Object.entries(playgroundVars(pal))) root.style.setProperty(k, v);
  el.append(root);

  // ---- controls -------------------------------------------------------------------------------
  const buttons = h("div", { class: "gvp-buttons" });
  const btn = (text, label) => {
    const b = h("button", { type: "button", "aria-label": label, text });
    buttons.append(b);
    return b;
  };
  const playBtn = btn("▶ Play", "play");
  const stepBtn = btn("Step", "step");
  const resetBtn = btn("Reset", "reset");
  const compareBtn = btn("Check with PyTorch", "check the current step with PyTorch");
  const stepText = h("span", { class: "gvp-step", "aria-label": "step", text: "step 0" });
  buttons.append(stepText);

  const settings = h("div", { class: "gvp-settings" });
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
    input.addEventListener("change", () => {
      const value = parseValue(c.key, input.value);
      if (value === null) {
        showError(`${c.label}: enter a number`);
        return;
      }
      model.send({ type: "config", key: c.key, value: c.key === "batch_size" && value === 0 ? null : value });
    });
    inputs[c.key] = input;
    settings.append(h("label", { class: "gvp-field" }, h("span", { text: c.label }), input));
  }

  // ---- panels ---------------------------------------------------------------------------------
  const netBox = h("div", { class: "gvp-net", role: "group", "aria-label": "network: every neuron's output over the input plane" });
  const edgeCanvas = h("canvas", { class: "gvp-edges", "aria-hidden": "true" });
  netBox.append(edgeCanvas);

  const mainCanvas = h("canvas", {
    class: "gvp-main", width: MAIN, height: MAIN, role: "img", tabindex: 0,
    "aria-label": "decision heatmap with the data points; click a point to open its scalar graph",
  });
  const gridCanvas = document.createElement("canvas");
  const curveCanvas = h("canvas", { class: "gvp-curve", width: MAIN, height: 90, role: "img", "aria-label": "loss curve: train and test loss by step" });
  const readout = h("div", { class: "gvp-readout", "aria-live": "polite", "aria-label": "losses and accuracy" });
  const trainLoss = h("span", { class: "gvp-train-loss", text: "–" });
  const testLoss = h("span", { class: "gvp-test-loss", text: "–" });
  const accText = h("span", { class: "gvp-acc", text: "–" });
  readout.append(h("span", { class: "gvp-key gvp-key-train", text: "train loss " }), trainLoss,
    h("span", { class: "gvp-key gvp-key-test", text: " test loss " }), testLoss,
    h("span", { text: "  accuracy " }), accText);
  const report = h("div", { class: "gvp-report", role: "status", "aria-label": "PyTorch check" });
  const errorBox = h("div", { class: "gvp-error", role: "alert" });
  const hint = h("div", { class: "gvp-hint", text: "Click a point (or a neuron) to open its scalar graph below, or:" });
  // the same by keyboard: which point, then open
  const pickSplit = h("select", { "aria-label": "point set" }, h("option", { value: "train", text: "train" }),
    h("option", { value: "test", text: "test" }));
  const pickIndex = h("input", { type: "number", min: 0, step: 1, value: 0, "aria-label": "point number" });
  const pickBtn = h("button", { type: "button", text: "Open graph", "aria-label": "open the point's scalar graph" });
  const picker = h("div", { class: "gvp-picker" }, h("span", { text: "point " }), pickSplit, pickIndex, pickBtn);

  const legend = h("div", { class: "gvp-legend" },
    h("span", { class: "gvp-swatch gvp-neg" }), h("span", { text: "−1  " }),
    h("span", { class: "gvp-swatch gvp-pos" }), h("span", { text: "+1;  points: white ring train, black ring test" }));
  const right = h("div", { class: "gvp-output" }, h("div", { class: "gvp-title", text: "Output" }), legend,
    mainCanvas, readout, curveCanvas, hint, picker);
  const body = h("div", { class: "gvp-body" }, netBox, right);
  root.append(buttons, settings, body, report, errorBox);

  // ---- state ------------------------------------------------------------------------------------
  let playing = false;
  let tick = 0;
  let tiles = [];          // {canvas, row, ctx, img}
  let edges = [];
  let netKey = "";
  let pts = [];
  let repaints = 0;
  let paintMax = 0;
  root.dataset.repaints = "0";

  function showError(msg) {
    errorBox.textContent = msg || "";
    errorBox.hidden = !msg;
  }

  function buildNet() {
    const net = model.get("_net") || {};
    const sizes = net.sizes || [];
    const key = sizes.join("-") + `|${(model.get("_points") || {}).grid}`;
    if (key === netKey) return;
    netKey = key;
    for (const t of tiles) t.el.remove();
    tiles = [];
    edges = [];
    if (!sizes.length) return;
    const lay = layoutNetwork(sizes, TILE);
    netBox.style.width = `${lay.width}px`;
    netBox.style.height = `${lay.height}px`;
    const dpr = window.devicePixelRatio || 1;
    edgeCanvas.width = Math.ceil(lay.width * dpr);
    edgeCanvas.height = Math.ceil(lay.height * dpr);
    edgeCanvas.style.width = `${lay.width}px`;
    edgeCanvas.style.height = `${lay.height}px`;
    edges = networkEdges(sizes, net.w || [], lay).map((e) => ({ e, c: edgeCurve(e) }));
    const grid = (model.get("_points") || {}).grid || 50;
    for (const n of lay.nodes) {
      const last = n.layer === sizes.length - 1;
      // named as in Python: the neuron's parameters are labelled layers.L.neurons.J.w.K
      const name = n.layer === 0 ? `input x${n.index}`
        : `layers.${n.layer - 1}.neurons.${n.index}${last ? " (output)" : ""}`;
      const c = h("canvas", {
        class: "gvp-tile" + (n.layer === 0 ? " gvp-input" : ""), width: grid, height: grid,
        role: n.layer === 0 ? "img" : "button", tabindex: n.layer === 0 ? undefined : 0,
        "aria-label": n.layer === 0 ? name : `${name}: open its scalar graph`,
      });
      c.style.left = `${n.x}px`;
      c.style.top = `${n.y}px`;
      c.style.width = c.style.height = `${TILE}px`;
      const tile = { el: c, row: mapRow(sizes, n.layer, n.index), ctx: c.getContext("2d"), node: n };
      if (n.layer === 0) paintInput(tile, grid);
      if (n.layer > 0) {
        const open = () => model.send({ type: "select", what: "neuron", layer: n.layer - 1, index: n.index });
        c.addEventListener("click", open);
        c.addEventListener("keydown", (ev) => {
          if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            open();
          }
        });
      }
      netBox.append(c);
      tiles.push(tile);
    }
  }

  function paintInput(tile, grid) {
    // an input neuron's "output" is the coordinate itself, scaled to [-1, 1] over the plane
    const img = tile.ctx.createImageData(grid, grid);
    const bytes = new Uint8Array(grid * grid);
    for (let r = 0; r < grid; r++) {
      for (let c = 0; c < grid; c++) {
        const v = tile.node.index === 0 ? c / (grid - 1) : 1 - r / (grid - 1);
        bytes[r * grid + c] = Math.round(v * 255);
      }
    }
    paintBytes(img.data, bytes, 0, grid * grid, lut);
    tile.ctx.putImageData(img, 0, 0);
  }

  function paintMaps() {
    const bytesView = model.get("_maps");
    if (!bytesView) return;
    const bytes = new Uint8Array(bytesView.buffer ? bytesView.buffer : bytesView,
      bytesView.byteOffset || 0, bytesView.byteLength);
    const grid = (model.get("_points") || {}).grid || 50;
    const size = grid * grid;
    for (const t of tiles) {
      if (t.row < 0 || (t.row + 1) * size > bytes.length) continue;
      if (!t.img) t.img = t.ctx.createImageData(grid, grid);
      paintBytes(t.img.data, bytes, t.row * size, size, lut);
      t.ctx.putImageData(t.img, 0, 0);
    }
    // the decision heatmap: row 0, scaled up, then the points
    gridCanvas.width = gridCanvas.height = grid;
    const gctx = gridCanvas.getContext("2d");
    const img = gctx.createImageData(grid, grid);
    paintBytes(img.data, bytes, 0, size, lut);
    gctx.putImageData(img, 0, 0);
    const ctx = mainCanvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(gridCanvas, 0, 0, MAIN, MAIN);
    drawPoints(ctx);
    // checksum of the decision map, so tests can tell the picture changed
    let sum = 0;
    for (let k = 0; k < size; k++) sum = (sum * 31 + bytes[k]) >>> 0;
    root.dataset.mapHash = String(sum);
  }

  function drawPoints(ctx) {
    const p = model.get("_points") || {};
    const sel = (model.get("_status") || {}).selected;
    for (const q of pts) {
      const [x, y] = toPixel(p.extent, MAIN, q.x, q.y);
      ctx.beginPath();
      ctx.arc(x, y, q.split === "test" ? 3.5 : 4, 0, 2 * Math.PI);
      ctx.fillStyle = LABEL_COLORS[String(q.label)] || "#888";
      ctx.fill();
      ctx.lineWidth = q.split === "test" ? 1.5 : 1;
      ctx.strokeStyle = q.split === "test" ? "#000" : "#fff";
      ctx.stroke();
      if (sel && sel[0] === "sample" && sel[1] === q.split && sel[2] === q.index) {
        ctx.beginPath();
        ctx.arc(x, y, 8, 0, 2 * Math.PI);
        ctx.lineWidth = 2;
        ctx.strokeStyle = light.sel;
        ctx.stroke();
      }
    }
  }

  function paintEdges() {
    // one canvas for all edges: a few hundred strokes cost far less than as many SVG paths
    const net = model.get("_net") || {};
    const sizes = net.sizes || [];
    const ctx = edgeCanvas.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, edgeCanvas.width, edgeCanvas.height);
    for (const { e, c } of edges) {
      const nin = sizes[e.layer - 1];
      const w = net.w && net.w[e.layer - 1] ? net.w[e.layer - 1][e.out * nin + e.in] : NaN;
      const s = weightStroke(w, pal);
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width;
      ctx.beginPath();
      ctx.moveTo(c[0], c[1]);
      ctx.bezierCurveTo(c[2], c[3], c[4], c[5], c[6], c[7]);
      ctx.stroke();
    }
    root.dataset.edges = String(edges.length);
  }

  function paintStatus() {
    const s = model.get("_status") || {};
    stepText.textContent = `step ${s.step ?? 0}`;
    trainLoss.textContent = fmtLoss(s.train_loss);
    testLoss.textContent = fmtLoss(s.test_loss);
    const pct = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);
    accText.textContent = `train ${pct(s.train_acc)}, test ${pct(s.test_acc)}`;
    root.dataset.step = String(s.step ?? 0);
    root.dataset.trainLoss = String(s.train_loss ?? "");
    const ctx = curveCanvas.getContext("2d");
    drawCurve(ctx, model.get("_curve") || {}, curveCanvas.width, curveCanvas.height,
      { train: light.fg, test: light.line });
  }

  function paintConfig() {
    const c = model.get("config") || {};
    for (const k of Object.keys(inputs)) {
      if (document.activeElement === inputs[k]) continue;
      if (k in c) inputs[k].value = showValue(k, c[k]);
    }
  }

  function paintReport() {
    const r = model.get("_report") || {};
    report.textContent = r.text ? `PyTorch check at step ${r.step}: ${r.text}` : "";
    report.className = "gvp-report" + (r.text ? (r.ok ? " gvp-ok" : " gvp-bad") : "");
  }

  let pending = null;
  function paint() {
    pending = null;
    const t0 = performance.now();
    pts = unpackPoints(model.get("_points") || {});
    buildNet();
    paintEdges();
    paintMaps();
    paintStatus();
    repaints += 1;
    root.dataset.repaints = String(repaints);
    const ms = performance.now() - t0;
    root.dataset.paintMs = ms.toFixed(1);
    paintMax = Math.max(paintMax, ms);
    root.dataset.paintMaxMs = paintMax.toFixed(1);
    root.dataset.ready = "1";
  }
  function schedule() {
    if (pending === null) pending = requestAnimationFrame(paint);
  }

  // ---- play loop: one frame asked for at a time ---------------------------------------------------
  // Two frames are asked for ahead, so the kernel trains the next one while this one travels
  // and paints; pausing waits for at most one extra frame.
  const AHEAD = 2;
  let answered = 0;
  function askFrames() {
    while (playing && tick - answered < AHEAD) {
      tick += 1;
      model.send({ type: "tick", tick });
    }
  }
  function setPlaying(on) {
    playing = on;
    playBtn.textContent = on ? "❚❚ Pause" : "▶ Play";
    playBtn.setAttribute("aria-label", on ? "pause" : "play");
    playBtn.setAttribute("aria-pressed", on ? "true" : "false");
    root.dataset.playing = on ? "1" : "0";
  }
  playBtn.addEventListener("click", () => {
    if (playing) {
      setPlaying(false);
      model.send({ type: "pause" });
    } else {
      setPlaying(true);
      model.send({ type: "play" });
      answered = tick;
      askFrames();
    }
  });
  stepBtn.addEventListener("click", () => {
    if (playing) return;
    model.send({ type: "step", n: 1 });
  });
  resetBtn.addEventListener("click", () => {
    setPlaying(false);
    model.send({ type: "reset" });
  });
  compareBtn.addEventListener("click", () => {
    report.textContent = "checking with PyTorch…";
    model.send({ type: "compare" });
  });
  pickBtn.addEventListener("click", () => {
    const index = parseIndex(pickIndex.value);
    if (index === null) {
      showError("point number: enter a whole number");
      return;
    }
    model.send({ type: "select", what: "sample", split: pickSplit.value, index });
  });
  mainCanvas.addEventListener("click", (ev) => {
    const r = mainCanvas.getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * MAIN;
    const py = ((ev.clientY - r.top) / r.height) * MAIN;
    const p = model.get("_points") || {};
    const hit = hitPoint(pts, p.extent, MAIN, px, py);
    if (hit) model.send({ type: "select", what: "sample", split: hit.split, index: hit.index });
  });

  const onStatus = () => {
    schedule();
    const s = model.get("_status") || {};
    if (playing && s.tick > answered) {
      answered = s.tick;
      askFrames();
    }
  };
  const onError = () => showError(model.get("error"));
  const onConfig = () => paintConfig();
  // trait -> what repaints when it changes; the same pairs are unhooked when the view goes
  const listeners = [
    ["_status", onStatus],
    ["_maps", schedule],
    ["_net", schedule],
    ["_points", schedule],
    ["error", onError],
    ["config", onConfig],
    ["_report", paintReport],
  ];
  for (const [key, fn] of listeners) model.on(`change:${key}`, fn);
  setPlaying(false);
  paintConfig();
  paintReport();
  onError();
  paint();
  return () => {
    playing = false;
    if (pending !== null) cancelAnimationFrame(pending);
    for (const [key, fn] of listeners) model.off(`change:${key}`, fn);
  };
}

export default { render };
