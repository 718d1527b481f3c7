// gradviz explorer widget (anywidget front end): the wiring of the modules that do the work.
// The kernel owns the graph and its values (GraphWidget in gradviz/widget.py); the page draws them,
// lets the user nudge leaves, and times every answer. Traits read here:
//   _structure (labels, ops, kinds, scopes, controls, constants, ...), _child_ptr/_child_idx (int32
//   bytes), _data/_grad (float64 bytes), _view (layout of the drawn boxes), error, show_grads,
//   last_nudge, height, _ack (the request id answered by the last update), _stale (the Values
//   changed in Python since this picture).
// Modules: toolbar, controls (leaf sliders), table, panels (output, selection, status, legend),
// tooltip, find (search), pointer, camera (the viewport's moves), paint (scheduling), local (the
// page's replay), kernel (requests and answers), theme, export; the drawing is scene + svg/canvas.
import "./widget.css";
import { COMPUTED_HERE, viewDisconnected } from "./connection.js";
import { Kernel, kernelLiveness } from "./kernel.js";
import { fmtG, nodeName, nodeTitle } from "./format.js";
import { lodLevel, SpatialGrid } from "./geometry.js";
import { decodeColumn, decodeExponents, lineage, toFloat64, toInt32, viewAdjacency } from "./graph.js";
import { makeScene } from "./scene.js";
import { CanvasView } from "./canvas.js";
import { SvgView } from "./svg.js";
import { ReplayError } from "./replay.js";
import { Camera } from "./camera.js";
import { Minimap } from "./minimap.js";
import { h } from "./dom.js";
import { applyConstants, readTheme, settleTheme } from "./theme.js";
import { downloadPng, downloadSvg, svgFile } from "./export.js";
import { PAGE, ValueTable } from "./table.js";
import { LeafControls, MAX_CONTROLS } from "./controls.js";
import { gradsButton, makeToolbar, stepRate } from "./toolbar.js";
import { legendEntries, OutputPanel, outputCells, renderInfo, renderLegend, selectionInfo, showError, statusOf } from "./panels.js";
import { showTip, tipLines } from "./tooltip.js";
import { Finder } from "./find.js";
import { afterPaint, oncePerTask, visibleWorld } from "./paint.js";
import { attachPointer, localXY } from "./pointer.js";
import { changeText, localTape, replayChange } from "./local.js";
import { boxMarks, readReference } from "./reference.js";

const SVG_MAX_BOXES = 1500;   // above this the view is drawn on a canvas
const ACK_MS = 10000;         // a request unanswered this long stops blocking the next ones

function render({ model, el }) {
  const tStart = performance.now();
  const st = {
    structure: null, childPtr: null, childIdx: null, data: null, grad: null,
    scene: null, view: null, adj: null, grid: null, sel: -1, masks: null, matches: null,
    selNode: -1, fitted: false, ready: false, nudges: 0,
    local: null, localNudge: null, localT0: new Set(), locals: 0, noAnswer: false, focusKey: null,
    ref: null,  // gradviz's reference beside another class's own grads (reference.js), or null
  };

  // ---- DOM ------------------------------------------------------------------------------------
  const root = h("div", { class: "gradviz-root" });
  const tb = makeToolbar();
  const alert = h("div", { role: "alert", class: "gv-alert" });
  const status = h("div", { role: "status", class: "gv-status" });
  status.hidden = true;
  const stage = h("div", { class: "gv-stage", tabindex: "0", "aria-label": "graph view: drag to pan, wheel to zoom, click a node to select it" });
  const tip = h("div", { class: "gv-tip", role: "tooltip" });
  tip.hidden = true;
  const stageWrap = h("div", { class: "gv-stagewrap" }, stage, tip);
  const legend = h("p", { class: "gv-legend", role: "note" });
  legend.hidden = true;
  const cam = new Camera(() => applyTransform());
  const minimap = new Minimap(stageWrap, (wx, wy) => cam.centreOn(wx, wy));
  const outputEl = h("section", { class: "gv-output", "aria-label": "last nudge" });
  const info = h("section", { class: "gv-info", "aria-label": "selection" });
  const controlsEl = h("section", { class: "gv-controls", "aria-label": "leaf controls" });
  const side = h("div", { class: "gv-panels" }, controlsEl, outputEl, info);
  const tableEl = h("table", { "aria-label": "gradviz values", class: "gv-table" });
  const pager = h("div", { class: "gv-pager" });
  const tableWrap = h("div", { class: "gv-tablewrap" }, tableEl, pager);
  root.append(tb.el, status, alert, stageWrap, legend, side, tableWrap);
  el.appendChild(root);

  const table = new ValueTable(tableWrap, tableEl, pager);
  const output = new OutputPanel(outputEl);
  const controls = new LeafControls(controlsEl, {
    onSet: (id, v, t0) => setLeaf(id, v, t0),
    onError: (msg) => error(msg),
    valueOf: (id) => st.data[id],
  });
  const finder = new Finder();
  const error = (msg) => showError(alert, msg);
  const theme = () => readTheme(root);

  // ---- state from the kernel --------------------------------------------------------------------
  function loadStructure() {
    const raw = model.get("_structure");
    st.structure = { ...raw, labels: decodeColumn(raw.labels), ops: decodeColumn(raw.ops), exponents: decodeExponents(raw.exponents), kinds: decodeColumn(raw.kinds), scopes: decodeColumn(raw.scopes) };
    st.childPtr = toInt32(model.get("_child_ptr"));
    st.childIdx = toInt32(model.get("_child_idx"));
    root.dataset.source = st.structure.source;
    applyConstants(root, st.structure.constants);
    setupReplay();
  }
  function setupReplay() {
    st.local = localTape(st.structure, st.childPtr, st.childIdx, model.get("local_replay") !== false);
    root.dataset.replay = st.local ? "local" : "kernel";
  }
  function loadValues() {
    st.data = toFloat64(model.get("_data"));
    st.grad = toFloat64(model.get("_grad"));
    st.ref = readReference(model.get("_ref_grad"), model.get("_marks"), toFloat64);
    table.ref = st.ref;
    root.dataset.mismatches = st.ref ? String(st.ref.grad.size + st.ref.forward.size) : "";
  }
  function paintMarks() {
    if (st.view && st.view.setMarks) st.view.setMarks(boxMarks(st.scene, st.ref));
  }
  function applyTheme() {
    settleTheme(root);
    if (st.view instanceof CanvasView) { st.view.theme = theme(); st.view.draw(); }
    if (st.scene) { minimap.setScene(st.scene, theme()); minimap.update(cam.vp, cam.size[0], cam.size[1], st.scene); }
  }

  function buildView() {
    if (st.view) st.view.destroy();
    const s = (st.scene = makeScene(model.get("_view"), st.structure, st.childPtr, st.childIdx));
    st.adj = viewAdjacency(s.n, s.esrc, s.edst);
    st.grid = new SpatialGrid(s.x, s.y, s.w, s.h);
    const show = model.get("show_grads");
    st.view = s.n > SVG_MAX_BOXES
      ? new CanvasView(stage, s, st.data, st.grad, show, theme())
      : new SvgView(stage, s, st.data, st.grad, show);
    root.dataset.renderer = s.n > SVG_MAX_BOXES ? "canvas" : "svg";
    minimap.setScene(s, theme());
    root.dataset.boxes = String(s.n);
    renderLegend(legend, legendEntries(s.opHow, st.structure.constants.opMarks));
    paintMarks();
    const b = st.selNode >= 0 ? s.boxOfNode.get(st.selNode) : undefined;
    st.sel = b ?? -1;
    st.masks = st.sel >= 0 ? lineage(st.adj, st.sel) : null;
    st.view.setHighlight(st.sel, st.masks, st.matches);
    applyTransform();
  }

  // ---- the viewport -------------------------------------------------------------------------------
  function applyTransform() {
    if (st.view) st.view.setTransform(cam.vp, lodLevel(cam.vp.scale, st.scene.fontPx));
    if (st.scene) minimap.update(cam.vp, cam.size[0], cam.size[1], st.scene);
  }
  // First view: the whole graph if readable that way, else the output at a readable zoom. `height`
  // is the most the drawing takes: a short graph gets a shorter stage (see view.js).
  function firstView() {
    const p = cam.first(st.scene, st.structure.root, model.get("height"));
    if (!p) return;
    stageWrap.style.height = `${p.stageH}px`;
    root.dataset.firstView = p.whole ? "whole" : "output";
  }
  const nav = {
    pan: (dx, dy) => cam.pan(dx, dy),
    zoomAt: (px, py, k) => cam.zoomAt(px, py, k),
    fit: () => cam.userFit(st.scene),
    select: (b) => select(b),
    expand: (b) => { if (st.scene.group[b]) expand(st.scene.group[b]); },
    boxAt: (ev) => { const [px, py] = localXY(stage, ev); const [wx, wy] = cam.vp.toWorld(px, py); return st.grid.hit(wx, wy); },
    hover: (ev, b) => {
      if (b < 0) { tip.hidden = true; return; }
      const [px, py] = localXY(stage, ev);
      showTip(tip, tipLines(st, b, st.structure.constants.opMarks), px, py, cam.size[0], cam.size[1]);
    },
    leave: () => { tip.hidden = true; },
    size: () => cam.size,
  };
  attachPointer(stage, nav);

  // ---- the kernel ---------------------------------------------------------------------------------
  const kernel = new Kernel((msg) => model.send(msg), kernelLiveness(model, el, viewDisconnected, () => updateStatus()), {
    ackMs: ACK_MS,
    onNoAnswer: () => { st.noAnswer = true; updateStatus(); },
    onSendFailed: () => lostKernel(),
  });
  function lostKernel() {
    kernel.lost();
    updateStatus();
    if (st.local) return;  // the page's own replay still shows the change, labelled as such
    controls.revert(st.data);  // nothing computed the change: the boxes show the picture's values again
  }
  /** A message to the kernel that needs no answer (expand, collapse): dropped without a kernel. */
  function tell(msg) {
    if (!kernel.tell(msg)) updateStatus();
  }
  function setLeaf(id, value, t0) {
    if (!Number.isFinite(value)) {
      error(`not a number: type a finite number for ${nodeName(st.structure.labels[id], "", id)}`);
      return;
    }
    if (!kernel.live && !st.local) return lostKernel();
    if (st.local) onLocal({ [id]: value }, t0);
    kernel.request({ type: "set", values: { [id]: value } }, t0);
  }
  function expand(key) {
    st.focusKey = key;
    tell({ type: "expand", key });
  }

  // ---- panels -------------------------------------------------------------------------------------
  function updateOutput() {
    const n = st.localNudge || model.get("last_nudge") || {};
    const s = st.structure;
    const where = st.localNudge && !kernel.live ? COMPUTED_HERE : "";
    output.update(outputCells(nodeTitle(s.labels[s.root], s.ops[s.root], s.root), st.data[s.root], n, where));
  }
  /** The line above the drawing: no kernel, no answer, or a picture older than the Values. */
  function updateStatus() {
    const live = kernel.live;
    const { text, state } = statusOf(live, st.noAnswer, model.get("_stale"), ACK_MS / 1000);
    root.dataset.connection = live ? "live" : "saved";
    root.dataset.status = state;
    if (status.textContent !== text) status.textContent = text;
    status.hidden = !text;
    const noCompute = !live && !st.local;
    for (const b of [tb.step, tb.stepSize, tb.direction]) b.disabled = !!st.structure.readonly || noCompute;
    tb.reset.disabled = !!st.structure.readonly;
    tb.recompute.disabled = !!st.structure.readonly || noCompute;
    tb.reset.title = live ? "back to the values last taken from Python" : "back to the saved picture (in this page)";
  }
  function updateInfo() {
    renderInfo(info, selectionInfo(st.scene, st.structure, st.sel, st.selNode), {
      expand,
      collapse: (key) => tell({ type: "collapse", key }),
      collapseAll: () => tell({ type: "reset_view" }),
    });
  }
  function buildControls() {
    controls.build(st.structure, st.data, st.selNode);
    if (st.structure.readonly) for (const b of [tb.reset, tb.step, tb.stepSize, tb.direction, tb.recompute]) b.disabled = true;
  }
  function select(box, node) {
    st.sel = box;
    st.selNode = node ?? (box >= 0 && !st.scene.group[box] ? st.scene.node[box] : -1);
    st.masks = box >= 0 ? lineage(st.adj, box) : null;
    st.view.setHighlight(st.sel, st.masks, st.matches);
    if (st.selNode >= 0 && st.structure.n > 2 * PAGE) table.follow(st.selNode);
    table.build(st.structure, st.selNode, st.data, st.grad);
    if (st.structure.controls.length > MAX_CONTROLS) buildControls();
    updateInfo();
  }

  // ---- painting ---------------------------------------------------------------------------------
  /** Repaint the values: what can be seen now, the rest in flushDeferred() after the frame. */
  function paintValues() {
    st.view.setValues(st.data, st.grad, visibleWorld(cam.size[0], cam.size[1], cam.vp));
    paintMarks();
    table.update(st.data, st.grad, true);
    controls.update(st.data);
    updateOutput();
  }
  /** After a repaint's frame: measure what is needed for the next one, then update what it left out
   *  (out of view). While a request is in flight this waits for its answer, so the layout of the
   *  left-out texts does not delay the frame that paints the kernel's answer. */
  function flushDeferred() {
    table.measure();
    if (kernel.busy) return;
    st.view.flush();
    table.flush();
  }

  // The kernel's answer: authoritative. With local replay, the page already shows this nudge (and
  // maybe later ones); an answer to a request that later ones have superseded is not painted.
  function onValues() {
    const t0 = kernel.answered(model.get("_ack"));
    if (st.noAnswer) { st.noAnswer = false; updateStatus(); }
    const superseded = st.local && t0 !== null && kernel.busy;
    if (!superseded) {
      loadValues();
      st.localNudge = null;
      error(model.get("error"));
      paintValues();
    }
    const local = t0 !== null && st.localT0.delete(t0);
    afterPaint(() => {
      if (t0 !== null) {
        const ms = (performance.now() - t0).toFixed(2);
        st.nudges += 1;
        root.dataset.lastConfirmMs = ms;
        if (!local) root.dataset.lastNudgeMs = ms;
        root.dataset.nudgeCount = String(st.nudges);
        // a change made here reaches the kernel as a state update too, which is what makes marimo
        // re-run the cells that read the widget (messages alone do not)
        model.set("nudges", (model.get("nudges") || 0) + 1);
        model.save_changes();
      }
      flushDeferred();
    });
  }

  // Local replay: the page repaints at once; a domain error shows at once and leaves every value.
  function onLocal(changes, t0, what = null) {
    try {
      const r = replayChange(st.local, st.data, st.grad, changes, st.structure.root, what || changeText(changes, st.structure.labels));
      st.localNudge = r.nudge;
      st.data = r.data;
      st.grad = r.grad;
      error("");
      paintValues();
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
      error(e.message);
    }
    st.localT0.add(t0);
    afterPaint(() => {
      st.locals += 1;
      root.dataset.lastNudgeMs = (performance.now() - t0).toFixed(2);
      root.dataset.localCount = String(st.locals);
      flushDeferred();
    });
  }

  // ---- toolbar ------------------------------------------------------------------------------------
  // Search finds value labels and group titles ("sample 7"); each hit is brought into view.
  function runSearch(advance) {
    const r = finder.run(st.structure, st.scene, tb.search.value, advance);
    st.matches = r.matches;
    root.dataset.searchHits = String(r.hits.length);
    if (!r.target) { st.view.setHighlight(st.sel, st.masks, st.matches); return; }
    if (r.target.show >= 0) cam.showBox(st.scene, r.target.show);
    select(r.target.select, r.target.node);
  }
  tb.search.addEventListener("input", () => runSearch(false));
  tb.search.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); runSearch(true); } });

  tb.fit.onclick = () => cam.userFit(st.scene);
  tb.zoomIn.onclick = () => cam.zoom(1.25);
  tb.zoomOut.onclick = () => cam.zoom(0.8);
  tb.grads.onclick = () => { model.set("show_grads", !model.get("show_grads")); model.save_changes(); };
  tb.reset.onclick = (ev) => {
    if (kernel.request({ type: "reset" }, ev.timeStamp)) return;
    loadValues();  // no kernel: back to the saved picture
    st.localNudge = null;
    error(model.get("error"));
    paintValues();
    updateStatus();
  };
  tb.recompute.onclick = (ev) => {
    if (kernel.request({ type: "recompute" }, ev.timeStamp)) return;
    if (!st.local) return updateStatus();
    onLocal({}, ev.timeStamp, "recomputed forward and backward");  // no kernel: the page's replay
  };
  let stepOk = tb.stepSize.value;
  tb.step.onclick = (ev) => {
    const r = stepRate(tb.stepSize.value, tb.stepSize.validity.badInput, tb.direction.value);
    if (r.error) { tb.stepSize.value = stepOk; return error(r.error); }
    stepOk = tb.stepSize.value;
    const lr = r.lr;
    if (kernel.request({ type: "step", lr }, ev.timeStamp)) return;
    if (!st.local) return updateStatus();
    const changes = {};
    for (const id of st.structure.controls) changes[id] = st.data[id] - lr * st.grad[id];
    onLocal(changes, ev.timeStamp, `step ${lr >= 0 ? "down" : "up"}, size ${fmtG(Math.abs(lr))}`);
  };
  const exportSvg = () => svgFile(st.scene, st.data, st.grad, model.get("show_grads"), theme());
  tb.svg.onclick = () => downloadSvg(exportSvg());
  tb.png.onclick = () => downloadPng(exportSvg(), st.scene.width, st.scene.height);
  function syncGradsButton() {
    const g = gradsButton(model.get("show_grads"));
    tb.grads.textContent = g.text;
    tb.grads.setAttribute("aria-pressed", g.pressed);
  }

  // ---- kernel → page ----------------------------------------------------------------------------
  const onValuesOnce = oncePerTask(onValues);  // one kernel message can change _data, _grad and _ack
  const handlers = {
    "change:error": () => error(model.get("error")),
    "change:_stale": () => updateStatus(),
    comm_live_update: () => { kernel.revive(); if (!kernel.live) lostKernel(); else updateStatus(); },
    "change:show_grads": () => { syncGradsButton(); buildView(); },
    "change:_view": () => {
      buildView();
      updateInfo();
      if (st.focusKey) { const k = st.focusKey; st.focusKey = null; cam.showExpanded(st.scene, st.structure.scopes, k); }
    },
    "change:_structure": () => { loadStructure(); loadValues(); buildView(); table.build(st.structure, st.selNode, st.data, st.grad); buildControls(); cam.fit(st.scene); },
    "change:local_replay": setupReplay,
    "change:height": () => { stageWrap.style.height = `${model.get("height")}px`; },
    "change:_ack": onValuesOnce,
    "change:_data": onValuesOnce,
    "change:_marks": onValuesOnce,
  };
  for (const [ev, fn] of Object.entries(handlers)) model.on(ev, fn);

  // ---- first render -----------------------------------------------------------------------------
  stageWrap.style.height = `${model.get("height")}px`;
  loadStructure();
  loadValues();
  applyTheme();
  syncGradsButton();
  error(model.get("error"));
  buildView();
  table.build(st.structure, st.selNode, st.data, st.grad);
  buildControls();
  updateOutput();
  updateStatus();

  const ro = new ResizeObserver(() => {
    const r = stage.getBoundingClientRect();
    const first = !cam.size[0] && r.width > 0;
    cam.size = [r.width, r.height];
    if (!r.width || !r.height) return;
    if (first) { applyTheme(); updateStatus(); }  // attached now: the notebook's CSS variables resolve
    if (first || !st.fitted || !cam.userMoved) { firstView(); st.fitted = true; } else applyTransform();
    if (!st.ready) {
      st.ready = true;
      afterPaint(() => {
        root.dataset.renderMs = (performance.now() - tStart).toFixed(2);
        root.dataset.nudgeCount = String(st.nudges);
        root.dataset.gradvizReady = "1";
      });
    }
  });
  ro.observe(stage);
  const unwatchTable = table.watch();  // the table's scrolled view, tracked so painting never reads layout
  const mo = new MutationObserver(applyTheme);
  mo.observe(document.body, { attributes: true, attributeFilter: ["class", "data-jp-theme-light", "data-jp-theme-name"] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
  mq?.addEventListener?.("change", applyTheme);

  return () => {
    for (const [ev, fn] of Object.entries(handlers)) model.off(ev, fn);
    ro.disconnect();
    unwatchTable();
    mo.disconnect();
    mq?.removeEventListener?.("change", applyTheme);
    if (st.view) st.view.destroy();
    minimap.destroy();
  };
}

export default { render };
