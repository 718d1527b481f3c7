// gradviz explorer widget (anywidget front end): the wiring of the modules that do the work.
// The kernel owns the graph and its values (GraphWidget in gradviz/widget/graph_widget.py); the page draws them,
// lets the user nudge leaves, and times every answer. Traits read here:
//   _structure (labels, ops, kinds, scopes, controls, constants, ...), _child_ptr/_child_idx (int32
//   bytes), _data/_grad (float64 bytes), _view (the drawn view: the layout of the boxes), error,
//   show_grads, last_nudge, height, _ack (the request id answered by the last update), _stale (the
//   Values changed in Python since this picture).
// The state, each part owned by one module: the graph (decode.js), the session with the kernel and
// the values shown (session.js), the drawing (drawing.js: scene and renderer), the selection
// (selection.js), the camera (camera.js). The elements: shell.js; what fills them: toolbar,
// controls, table, panels, tooltip, find, minimap; painting is scheduled by paint.js.
import "./widget.css";
import { isDisconnected } from "./connection.js";
import { Kernel, kernelLiveness } from "./kernel.js";
import { escapeXml, nodeName, nodeTitle } from "./format.js";
import { lodLevel } from "./geometry.js";
import { decodeGraph, toFloat64 } from "./decode.js";
import { Drawing } from "./drawing.js";
import { Selection } from "./selection.js";
import { Session } from "./session.js";
import { Camera } from "./camera.js";
import { Minimap } from "./minimap.js";
import { makeShell, markEmpty } from "./shell.js";
import { applyConstants, readTheme, settleTheme } from "./theme.js";
import { downloadPng, downloadSvg, svgFile } from "./export.js";
import { PAGE, ValueTable } from "./table.js";
import { LeafControls, MAX_CONTROLS } from "./controls.js";
import { gradsButton, orientButton, stepRate } from "./toolbar.js";
import { legendEntries, OutputPanel, outputCells, renderInfo, renderLegend, selectionInfo, showError, statusOf } from "./panels.js";
import { showTip, tipLines } from "./tooltip.js";
import { Finder } from "./find.js";
import { oncePerTask, visibleWorld } from "./paint.js";
import { attachPointer, localXY } from "./pointer.js";
import { recordAnswer, recordLocal, recordReady } from "./probes.js";
import { boxMarks, readReference } from "./reference.js";
import { BackpropMode } from "./backprop.js";
import { childrenOf } from "./decode.js";
import { edgePoints } from "./scene.js";
import { afterPaint } from "./paint.js";
import { boxStyles, decodeOverlays, makeOverlayBar, overlayTip } from "./overlay.js";
import { groupHiding } from "./groups.js";

const ACK_MS = 10000;         // a request unanswered this long stops blocking the next ones

/** The explorer in one element (anywidget renders one per output): the named state, the
 *  elements, and the moves between them. */
class Explorer {
  constructor(model, el) {
    this.model = model;
    this.el = el;
    this.ui = makeShell(el);
    const ui = this.ui;
    this.camera = new Camera(() => this.frame());
    this.minimap = new Minimap(ui.stageWrap, (wx, wy) => this.camera.centreOn(wx, wy));
    this.drawing = new Drawing(ui.stage);
    this.selection = new Selection();
    this.kernel = new Kernel((msg) => model.send(msg), kernelLiveness(model, el, isDisconnected, () => this.showStatus()), {
      ackMs: ACK_MS,
      onNoAnswer: () => { this.session.noAnswer = true; this.showStatus(); },
      onSendFailed: () => this.lostKernel(),
    });
    this.session = new Session(this.kernel);
    this.graph = null;     // decodeGraph: {structure, childPtr, childIdx}
    this.ref = null;       // gradviz's reference beside another class's own grads (reference.js), or null
    this.fitted = false;   // the first frame was planned with the stage's size
    this.focusKey = null;  // a group asked to open: looked at when the kernel's new view comes
    this.reorient = false; // the orientation was switched: the next view opens afresh
    this.table = new ValueTable(ui.tableWrap, ui.tableEl, ui.pager);
    this.output = new OutputPanel(ui.outputEl);
    this.controls = new LeafControls(ui.controlsEl, {
      onSet: (id, v, t0) => this.setLeaf(id, v, t0),
      onError: (msg) => this.error(msg),
      valueOf: (id) => this.session.values.data[id],
    });
    this.finder = new Finder();
    this.backprop = new BackpropMode(backpropHost(this));  // the Backprop mode and the path view
    ui.bpSlot.append(this.backprop.bar.el, this.backprop.bar.paths);
    this.overlays = {};    // overlay.js decodeOverlays of the _overlay trait, by kind
    this.overlayBar = makeOverlayBar((kind) => { model.set("overlay", kind); model.save_changes(); }, (node) => this.jumpTo(node));
    ui.overlays.append(this.overlayBar.el);
    this.stepOk = ui.tb.stepSize.value;  // the last step size that was read: a bad one is put back to it
  }

  error(msg) { showError(this.ui.alert, msg); }

  theme() { return readTheme(this.ui.root); }

  // ---- state from the kernel --------------------------------------------------------------------
  loadGraph() {
    const m = this.model;
    this.graph = decodeGraph(m.get("_structure"), m.get("_child_ptr"), m.get("_child_idx"));
    this.ui.root.dataset.source = this.graph.structure.source;
    applyConstants(this.ui.root, this.graph.structure.constants);
    this.setupReplay();
  }

  setupReplay() {
    const local = this.session.setupReplay(this.graph, this.model.get("local_replay") !== false);
    this.ui.root.dataset.replay = local ? "local" : "kernel";
  }

  loadValues() {
    this.session.take(toFloat64(this.model.get("_data")), toFloat64(this.model.get("_grad")));
    this.ref = readReference(this.model.get("_ref_grad"), this.model.get("_marks"), toFloat64);
    this.table.ref = this.ref;
    this.ui.root.dataset.mismatches = this.ref ? String(this.ref.grad.size + this.ref.forward.size) : "";
  }

  /** Outline the nodes whose grad (or forward) disagrees with gradviz's reference. */
  paintMarks() {
    const r = this.drawing.renderer;
    if (r && r.setMarks) r.setMarks(boxMarks(this.drawing.scene, this.ref));
  }

  applyTheme() {
    settleTheme(this.ui.root);
    this.drawing.retheme(() => this.theme());
    const s = this.drawing.scene, cam = this.camera;
    if (s) { this.minimap.setScene(s, this.theme()); this.minimap.update(cam.vp, cam.size[0], cam.size[1], s); }
  }

  buildDrawing() {
    const { ui, drawing, selection, graph } = this;
    ui.tip.hidden = true;  // a hover tip names a box of the drawing being replaced
    const s = drawing.build(this.model.get("_view"), graph, this.session.values, this.model.get("show_grads"), () => this.theme());
    ui.root.dataset.renderer = drawing.kind;
    this.minimap.setScene(s, this.theme());
    ui.root.dataset.boxes = String(s.n);
    renderLegend(ui.legend, legendEntries(s.opHow, graph.structure.constants.opMarks));
    this.paintMarks();
    selection.rebind(drawing);
    selection.show(drawing.renderer);
    this.showOverlay();
    this.frame();
    if (this.backprop.k >= 0) this.backprop.show(this.backprop.k);
  }

  // ---- overlays (overlay.js): health and diff as outlines, kept as data in the _overlay trait ----
  loadOverlays() {
    this.overlays = decodeOverlays(this.model.get("_overlay"), this.graph.structure.n);
  }

  showOverlay() {
    const active = this.model.get("overlay") || "", ov = this.overlays[active] || null, ui = this.ui;
    const compute = this.kernel.live ? (this.model.get("_overlay") || {}).compute || [] : [];
    this.overlayBar.update(this.overlays, active, compute);
    if (this.drawing.renderer) this.drawing.renderer.setOverlay(boxStyles(ov, this.drawing.scene));
    ui.root.dataset.overlay = ov ? active : "";
  }

  /** Select node `node` and bring it into view (its box, or the folded group holding it). */
  jumpTo(node) {
    const s = this.drawing.scene;
    if (!s || !(node >= 0)) return;
    let b = s.boxOfNode.get(node);
    if (b === undefined) b = groupHiding(s, this.graph.structure.scopes[node]);
    if (b < 0) return;
    this.camera.showBox(s, b);
    this.select(b, s.group[b] ? undefined : node);
  }

  // ---- the camera ---------------------------------------------------------------------------------
  frame() {
    const { drawing, camera: cam } = this;
    if (drawing.renderer) drawing.renderer.setTransform(cam.vp, lodLevel(cam.vp.scale, drawing.scene.fontPx));
    if (drawing.scene) this.minimap.update(cam.vp, cam.size[0], cam.size[1], drawing.scene);
    this.backprop.place();
  }

  // First frame: the whole graph if readable that way, else the output at a readable zoom. `height`
  // is the most the drawing takes: a short graph gets a shorter stage (see framing.js).
  firstFrame() {
    const p = this.camera.first(this.drawing.scene, this.graph.structure.root, this.model.get("height"));
    if (!p) return;
    this.ui.stageWrap.style.height = `${p.stageH}px`;
    this.ui.root.dataset.firstView = p.whole ? "whole" : "output";
  }

  pointerMoves() {
    const { ui, camera: cam, drawing } = this;
    return {
      pan: (dx, dy) => cam.pan(dx, dy),
      zoomAt: (px, py, k) => cam.zoomAt(px, py, k),
      fit: () => cam.userFit(drawing.scene),
      select: (b) => this.select(b),
      expand: (b) => { if (drawing.scene.group[b]) this.expand(drawing.scene.group[b]); },
      boxAt: (ev) => { const [px, py] = localXY(ui.stage, ev); const [wx, wy] = cam.vp.toWorld(px, py); return drawing.boxAt(wx, wy); },
      hover: (ev, b) => {
        if (b < 0) { ui.tip.hidden = true; return; }
        const [px, py] = localXY(ui.stage, ev);
        const lines = tipLines({ scene: drawing.scene, ...this.graph, ...this.session.values, ref: this.ref }, b, this.graph.structure.constants.opMarks);
        lines.push(...overlayTip(this.overlays[this.model.get("overlay")], drawing.scene.node[b]).map(escapeXml));
        showTip(ui.tip, lines, px, py, cam.size[0], cam.size[1]);
      },
      leave: () => { ui.tip.hidden = true; },
      size: () => cam.size,
    };
  }

  // ---- changes --------------------------------------------------------------------------------------
  lostKernel() {
    const revert = this.session.lost();
    this.showStatus();
    if (revert) this.controls.revert(this.session.values.data);  // nothing computed the change
  }

  /** A message to the kernel that needs no answer (expand, collapse): dropped without a kernel. */
  tell(msg) {
    if (!this.kernel.tell(msg)) this.showStatus();
  }

  setLeaf(id, value, t0) {
    const S = this.graph.structure;
    if (!Number.isFinite(value)) return this.error(`not a number: type a finite number for ${nodeName(S.labels[id], "", id)}`);
    if (!this.session.set({ [id]: value }, t0, S.labels, S.root, (r) => this.shownHere(r, t0))) this.lostKernel();
  }

  step(ev) {
    const tb = this.ui.tb;
    const r = stepRate(tb.stepSize.value, tb.stepSize.validity.badInput, tb.direction.value, tb.stepDropped());
    tb.stepDropped.clear();
    if (r.error) { tb.stepSize.value = this.stepOk; return this.error(r.error); }
    this.stepOk = tb.stepSize.value;
    const S = this.graph.structure;
    const out = this.session.step(r.lr, ev.timeStamp, S.controls, S.root);
    if (out === null) return this.showStatus();
    if (!out.sent) this.shownHere(out, ev.timeStamp);
  }

  recompute(ev) {
    const out = this.session.recompute(ev.timeStamp, this.graph.structure.root);
    if (out === null) return this.showStatus();
    if (!out.sent) this.shownHere(out, ev.timeStamp);
  }

  reset(ev) {
    if (this.session.reset(ev.timeStamp)) return;
    this.loadValues();  // no kernel: back to the saved picture
    this.error(this.model.get("error"));
    this.paintValues();
    this.showStatus();
  }

  expand(key) {
    this.focusKey = key;
    this.tell({ type: "expand", key });
  }

  // Local replay: the page repaints at once; a domain error shows at once and leaves every value.
  shownHere(r, t0) {
    if (r.shown) { this.error(""); this.paintValues(); } else this.error(r.error);
    recordLocal(this.ui.root, t0, this.session, () => this.flushDeferred());
  }

  // The kernel's answer: authoritative. With local replay, the page already shows this nudge (and
  // maybe later ones); an answer to a request that later ones have superseded is not painted.
  onValues() {
    const a = this.session.answered(this.model.get("_ack"));
    if (a.wasWaiting) this.showStatus();
    if (a.show) {
      this.loadValues();
      this.error(this.model.get("error"));
      this.paintValues();
    }
    recordAnswer(this.ui.root, a.t0, a.ahead, this.session, () => {
      // a change made here reaches the kernel as a state update too, which is what makes marimo
      // re-run the cells that read the widget (messages alone do not)
      this.model.set("nudges", (this.model.get("nudges") || 0) + 1);
      this.model.save_changes();
    }, () => this.flushDeferred());
  }

  // ---- panels -------------------------------------------------------------------------------------
  /** Repaint the values: what can be seen now, the rest in flushDeferred() after the frame. */
  paintValues() {
    if (this.backprop.k >= 0) return this.backprop.show(this.backprop.k);  // the mode shows its steps' picture
    const { data, grad } = this.session.values, cam = this.camera;
    this.drawing.renderer.setValues(data, grad, visibleWorld(cam.size[0], cam.size[1], cam.vp));
    this.paintMarks();
    this.table.update(data, grad, true);
    this.controls.update(data);
    this.showOutput();
  }

  /** Paint `data` and `grad` (the Backprop mode's picture: grad.blank marks the values not reached). */
  paintPicture(data, grad) {
    const cam = this.camera;
    this.drawing.renderer.setValues(data, grad, visibleWorld(cam.size[0], cam.size[1], cam.vp));
    this.table.update(data, grad, true);
    afterPaint(() => this.flushDeferred());
  }

  /** After a repaint's frame: measure what is needed for the next one, then update what it left out
   *  (out of view). While a request is in flight this waits for its answer, so the layout of the
   *  left-out texts does not delay the frame that paints the kernel's answer. */
  flushDeferred() {
    this.table.measure();
    if (this.kernel.busy) return;
    this.drawing.renderer.flush();
    this.table.flush();
  }

  showOutput() {
    const s = this.graph.structure;
    const { nudge, where } = this.session.lastChange(this.model.get("last_nudge"));
    this.output.update(outputCells(nodeTitle(s.labels[s.root], s.ops[s.root], s.root), this.session.values.data[s.root], nudge, where));
  }

  /** The line above the drawing: no kernel, no answer, or a picture older than the Values. */
  showStatus() {
    const { ui, session } = this, tb = ui.tb, live = this.kernel.live;
    const { text, state } = statusOf(live, session.noAnswer, this.model.get("_stale"), ACK_MS / 1000);
    ui.root.dataset.connection = live ? "live" : "saved";
    this.syncOrientButton();
    ui.root.dataset.status = state;
    if (ui.status.textContent !== text) ui.status.textContent = text;
    ui.status.hidden = !text;
    const readonly = !!this.graph.structure.readonly;
    for (const b of [tb.step, tb.stepSize, tb.direction, tb.recompute]) b.disabled = readonly || !session.canCompute;
    tb.reset.disabled = readonly;
    tb.reset.title = live ? "back to the values last taken from Python" : "back to the saved picture (in this page)";
  }

  showSelection() {
    renderInfo(this.ui.info, selectionInfo(this.drawing.scene, this.graph.structure, this.selection.box, this.selection.node), {
      expand: (key) => this.expand(key),
      collapse: (key) => this.tell({ type: "collapse", key }),
      collapseAll: () => this.tell({ type: "reset_view" }),
    });
  }

  buildControls() {
    const S = this.graph.structure, tb = this.ui.tb;
    this.controls.build(S, this.session.values.data, this.selection.node);
    if (S.readonly) for (const b of [tb.reset, tb.step, tb.stepSize, tb.direction, tb.recompute]) b.disabled = true;
  }

  buildTable() {
    const { data, grad } = this.session.values;
    this.table.build(this.graph.structure, this.selection.node, data, grad);
  }

  select(box, node) {
    const { selection, drawing } = this, S = this.graph.structure;
    const before = selection.node;
    selection.select(drawing, box, node);
    selection.show(drawing.renderer);
    if (selection.node >= 0 && S.n > 2 * PAGE) this.table.follow(selection.node);
    this.buildTable();
    if (S.controls.length > MAX_CONTROLS) this.buildControls();
    this.showSelection();
    this.backprop.onSelect(before, selection.node);
  }

  // Search finds value labels and group titles ("sample 7"); each hit is brought into view.
  search(advance) {
    const { ui, drawing, selection } = this;
    const r = this.finder.run(this.graph.structure, drawing.scene, ui.tb.search.value, advance);
    selection.matches = r.matches;
    ui.root.dataset.searchHits = String(r.hits.length);
    if (!r.target) { selection.show(drawing.renderer); return; }
    if (r.target.show >= 0) this.camera.showBox(drawing.scene, r.target.show);
    this.select(r.target.select, r.target.node);
  }

  syncGradsButton() {
    const g = gradsButton(this.model.get("show_grads"));
    this.ui.tb.grads.textContent = g.text;
    this.ui.tb.grads.setAttribute("aria-pressed", g.pressed);
  }

  // Orientation: the kernel lays the view out again and its new _view opens afresh; a saved page
  // (gradviz.to_html) carries the other layout in _view_other (null: too big to carry both).
  turn() {
    const model = this.model, next = orientButton(model.get("rankdir")).next, other = model.get("_view_other");
    if (other === null || (other === undefined && !this.kernel.live)) return this.showStatus();
    this.reorient = true;
    if (other) { model.set("_view_other", model.get("_view")); model.set("rankdir", next); model.set("_view", other); return; }
    model.set("rankdir", next);
    model.save_changes();
  }

  syncOrientButton() {
    const o = orientButton(this.model.get("rankdir")), other = this.model.get("_view_other"), b = this.ui.tb.orient;
    b.textContent = o.text;
    b.setAttribute("aria-pressed", o.pressed);
    b.disabled = other === null || (other === undefined && !this.kernel.live);
  }
}

/** What the Backprop mode (backprop.js) asks of the explorer `x`. */
function backpropHost(x) {
  const scene = () => x.drawing.scene;
  const hidingBox = (scope) => groupHiding(scene(), scope);
  return {
    model: x.model, root: x.ui.root, stageWrap: x.ui.stageWrap, edgePoints, afterPaint, hidingBox,
    structure: () => x.graph.structure,
    scene,
    kids: (i) => childrenOf(x.graph.childPtr, x.graph.childIdx, i),
    vp: () => x.camera.vp,
    paint: (data, grad) => x.paintPicture(data, grad),
    restore: () => { x.paintValues(); x.selection.show(x.drawing.renderer); },
    highlight: (box, masks) => x.drawing.renderer.setHighlight(box, masks, null),
    select: (node) => x.select(scene().boxOfNode.get(node) ?? hidingBox(x.graph.structure.scopes[node] || ""), node),
    request: (msg) => x.kernel.tell(msg),
    error: (msg) => x.error(msg),
  };
}

/** The toolbar's buttons to the explorer `x`. */
function wireToolbar(x) {
  const { tb } = x.ui, cam = x.camera, model = x.model;
  tb.search.addEventListener("input", () => x.search(false));
  tb.search.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); x.search(true); } });
  tb.fit.onclick = () => cam.userFit(x.drawing.scene);
  tb.zoomIn.onclick = () => cam.zoom(1.25);
  tb.zoomOut.onclick = () => cam.zoom(0.8);
  tb.grads.onclick = () => { model.set("show_grads", !model.get("show_grads")); model.save_changes(); };
  tb.orient.onclick = () => x.turn();
  tb.reset.onclick = (ev) => x.reset(ev);
  tb.step.onclick = (ev) => x.step(ev);
  tb.recompute.onclick = (ev) => x.recompute(ev);
  tb.backprop.onclick = () => x.backprop.toggle();
  const exportSvg = () => svgFile(x.drawing.scene, x.session.values.data, x.session.values.grad, model.get("show_grads"), x.theme());
  tb.svg.onclick = () => downloadSvg(exportSvg());
  tb.png.onclick = () => downloadPng(exportSvg(), x.drawing.scene.width, x.drawing.scene.height);
}

/** What the explorer `x` does when a trait changes (kernel → page). */
function traitHandlers(x) {
  const model = x.model;
  const onValuesOnce = oncePerTask(() => x.onValues());  // one kernel message can change _data, _grad and _ack
  return {
    "change:error": () => x.error(model.get("error")),
    "change:_stale": () => x.showStatus(),
    comm_live_update: () => { x.kernel.revive(); if (!x.kernel.live) x.lostKernel(); else x.showStatus(); },
    "change:show_grads": () => { x.syncGradsButton(); x.buildDrawing(); },
    "change:rankdir": () => x.syncOrientButton(),
    "change:_view": () => {
      x.buildDrawing();
      x.showSelection();
      if (x.reorient) { x.reorient = false; x.camera.userMoved = false; x.firstFrame(); }
      if (x.focusKey) { const k = x.focusKey; x.focusKey = null; x.camera.showExpanded(x.drawing.scene, x.graph.structure.scopes, k); }
    },
    "change:_structure": () => { x.loadGraph(); x.loadOverlays(); x.loadValues(); x.buildDrawing(); x.buildTable(); x.buildControls(); x.camera.fit(x.drawing.scene); },
    "change:local_replay": () => x.setupReplay(),
    "change:_overlay": () => { x.loadOverlays(); x.showOverlay(); },
    "change:overlay": () => x.showOverlay(),
    "change:_focus": () => x.jumpTo((model.get("_focus") || {}).node),
    "change:height": () => { x.ui.stageWrap.style.height = `${model.get("height")}px`; },
    "change:_steps": () => x.backprop.onSteps(),
    "change:backprop_step": () => {
      x.ui.tb.backprop.setAttribute("aria-pressed", String(Number(model.get("backprop_step")) >= 0));
      x.backprop.onStep();
    },
    "change:paths_leaf": () => x.backprop.onPaths(),
    "change:_ack": onValuesOnce,
    "change:_data": onValuesOnce,
    "change:_marks": onValuesOnce,
  };
}

/** Follow the stage's size (the first frame once it has one) and the page's theme; returns the
 *  function that stops. */
function watchPage(x, tStart) {
  const { stage, root } = x.ui, cam = x.camera;
  let ready = false;
  const ro = new ResizeObserver(() => {
    const r = stage.getBoundingClientRect();
    const first = !cam.size[0] && r.width > 0;
    cam.size = [r.width, r.height];
    if (!r.width || !r.height) return;
    if (first) { x.applyTheme(); x.showStatus(); }  // attached now: the notebook's CSS variables resolve
    if (first || !x.fitted || !cam.userMoved) { x.firstFrame(); x.fitted = true; } else x.frame();
    if (!ready) { ready = true; recordReady(root, tStart, x.session); }
  });
  ro.observe(stage);
  const unwatchTable = x.table.watch();  // the table's scroll position, tracked so painting never reads layout
  const applyTheme = () => x.applyTheme();
  const mo = new MutationObserver(applyTheme);
  mo.observe(document.body, { attributes: true, attributeFilter: ["class", "data-jp-theme-light", "data-jp-theme-name"] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
  mq?.addEventListener?.("change", applyTheme);
  return () => { ro.disconnect(); unwatchTable(); mo.disconnect(); mq?.removeEventListener?.("change", applyTheme); };
}

function render({ model, el }) {
  const tStart = performance.now();
  const x = new Explorer(model, el);
  attachPointer(x.ui.stage, x.pointerMoves());
  wireToolbar(x);
  const handlers = traitHandlers(x);
  for (const [ev, fn] of Object.entries(handlers)) model.on(ev, fn);

  // ---- first render -----------------------------------------------------------------------------
  x.ui.stageWrap.style.height = `${model.get("height")}px`;
  x.loadGraph();
  x.loadOverlays();
  x.loadValues();
  x.applyTheme();
  x.syncGradsButton();
  x.syncOrientButton();
  x.error(model.get("error"));
  x.buildDrawing();
  x.buildTable();
  x.buildControls();
  x.showOutput();
  x.showStatus();
  x.backprop.load();
  if (Number(model.get("backprop_step")) >= 0) handlers["change:backprop_step"]();  // a view opened in the mode
  if (Number(model.get("paths_leaf")) >= 0) x.backprop.onPaths();
  if (!x.graph.structure.n) markEmpty(x.ui);
  if (model.get("_focus") && model.get("_focus").node >= 0) x.jumpTo(model.get("_focus").node);
  const unwatch = watchPage(x, tStart);

  return () => {
    for (const [ev, fn] of Object.entries(handlers)) model.off(ev, fn);
    unwatch();
    x.drawing.destroy();
    x.minimap.destroy();
  };
}

export default { render };
