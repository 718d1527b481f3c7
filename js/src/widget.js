// gradviz explorer widget (anywidget front end).
// The kernel owns the graph and its values (GraphWidget in gradviz/widget.py); this file draws them,
// lets the user nudge leaves, and times every answer. Traits read here:
//   _structure (labels, ops, kinds, scopes, controls, ...), _child_ptr/_child_idx (int32 bytes),
//   _data/_grad (float64 bytes), _view (layout of the drawn boxes), error, show_grads,
//   last_nudge, height, _ack (the request id answered by the last update), _stale (the Values
//   changed in Python since this picture).
import "./widget.css";
import { Coalescer, mergeSet } from "./coalesce.js";
import { AckWatch, COMPUTED_HERE, Link, NO_ANSWER, NOT_CONNECTED, viewDisconnected } from "./connection.js";
import { escapeXml, fmt4, fmtFull, fmtG, kindClass, nodeName, parseNumber, shortLabel } from "./format.js";
import { lodLevel, SpatialGrid, Viewport } from "./geometry.js";
import {
  childrenOf, decodeColumn, expandedBounds, groupActions, groupHiding, lineage, localDerivatives, search,
  searchGroups, sliderRange, toFloat64, toInt32, viewAdjacency,
} from "./graph.js";
import { makeScene } from "./scene.js";
import { CanvasView } from "./canvas.js";
import { SvgView, svgMarkup, textNode } from "./svg.js";
import { compileReplay, replay, ReplayError } from "./replay.js";
import { firstViewPlan, READABLE, tipPosition } from "./view.js";
import { Minimap } from "./minimap.js";

const SVG_MAX_BOXES = 1500;   // above this the view is drawn on a canvas
const MAX_CONTROLS = 20;      // above this only the selected leaf's controls are shown
const PAGE = 100;             // table rows per page
const LOCAL_MAX = 2000;       // graphs up to this many nodes are also replayed in the page (see onLocal)
const ACK_MS = 10000;         // a request unanswered this long stops blocking the next ones

function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids) if (c != null) e.append(c);
  if (tag === "input" || tag === "select" || tag === "textarea") e.setAttribute("data-lm-suppress-shortcuts", "true");
  return e;
}

const THEME_VARS = {
  bg: "--gv-bg", fg: "--gv-fg", line: "--gv-line", box: "--gv-box", input: "--gv-input",
  param: "--gv-param", constant: "--gv-constant", output: "--gv-output", group: "--gv-group",
  opFill: "--gv-op", pos: "--gv-pos", neg: "--gv-neg", zero: "--gv-zero", nan: "--gv-nan", sel: "--gv-sel",
};

function readTheme(root) {
  const cs = getComputedStyle(root);
  const t = {};
  for (const [k, v] of Object.entries(THEME_VARS)) t[k] = cs.getPropertyValue(v).trim() || "#888";
  return t;
}

function isDark(colour) {
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = "#fff";
  probe.fillStyle = colour;
  const m = /^#([0-9a-f]{6})$/i.exec(probe.fillStyle);
  if (!m) return false;
  const n = parseInt(m[1], 16);
  return 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) < 128;
}

/** CSS embedded in downloaded SVGs: the theme's colours, resolved. */
function exportStyle(t) {
  return `.gv-bg{fill:${t.bg}}text{font:12px ui-monospace,Menlo,Consolas,monospace;fill:${t.fg};` +
    `text-anchor:middle;dominant-baseline:central}.gv-box rect{fill:${t.box};stroke:${t.line}}` +
    `.gv-box line{stroke:${t.line}}.gv-input rect{fill:${t.input}}.gv-parameter rect{fill:${t.param}}` +
    `.gv-constant rect{fill:${t.constant};stroke-dasharray:4 2}.gv-output rect{fill:${t.output};stroke-width:2}` +
    `.gv-group rect{fill:${t.group};stroke-width:2}.gv-op ellipse{fill:${t.opFill};stroke:${t.line}}` +
    `.gv-edge,.gv-opedge{fill:none;stroke:${t.zero}}.gv-pos{stroke:${t.pos}}.gv-neg{stroke:${t.neg}}` +
    `.gv-nan{stroke:${t.nan};stroke-dasharray:4 3}`;
}

function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function fmtChange(x) {
  if (!Number.isFinite(x)) return fmtFull(x);
  return Math.abs(x) >= 1e-4 || x === 0 ? x.toFixed(6) : x.toExponential(4);
}

function render({ model, el }) {
  const tStart = performance.now();
  const st = {
    structure: null, childPtr: null, childIdx: null, data: null, grad: null,
    scene: null, view: null, adj: null, vp: new Viewport(), sel: -1, masks: null, matches: null,
    selNode: -1, page: 0, fitted: false, ready: false, size: [0, 0], nudges: 0, rows: [],
    local: null, localNudge: null, localT0: new Set(), locals: 0, tableBox: null, tableScroll: [0, 0],
    controls: new Map(), // leaf id -> {num, slider}
  };

  // ---- DOM ------------------------------------------------------------------------------------
  const root = h("div", { class: "gradviz-root" });

  const search_ = h("input", { type: "search", "aria-label": "search", placeholder: "search…", class: "gv-search" });
  const btn = (text, title, name) => h("button", { type: "button", title, text, "aria-label": name });
  const bFit = btn("Fit", "fit the graph to the view (or double-click the background)");
  const bIn = btn("+", "zoom in"); bIn.setAttribute("aria-label", "Zoom in");
  const bOut = btn("−", "zoom out"); bOut.setAttribute("aria-label", "Zoom out");
  const bGrads = btn("Hide grads", "show or hide the grad cell of every record");
  const bReset = btn("Reset", "back to the values at construction");
  const stepSize = h("input", { type: "number", "aria-label": "step size", value: "0.01", step: "any", class: "gv-num" });
  const direction = h("select", { "aria-label": "direction", title: "down: data −= size·grad; up: data += size·grad" },
    h("option", { value: "down", text: "down" }), h("option", { value: "up", text: "up" }));
  const bStep = btn("Step", "move every input and parameter along its gradient by the step size", "Step along gradient");
  const bSvg = btn("SVG", "download the whole current view as SVG", "Download SVG");
  const bPng = btn("PNG", "download the whole current view as PNG", "Download PNG");
  const toolbar = h("div", { class: "gv-toolbar", role: "toolbar", "aria-label": "gradviz tools" },
    search_, bFit, bIn, bOut, bGrads, h("span", { class: "gv-sep" }), stepSize, direction, bStep, bReset,
    h("span", { class: "gv-sep" }), h("span", { class: "gv-dim", text: "download" }), bSvg, bPng);
  const alert = h("div", { role: "alert", class: "gv-alert" });
  const status = h("div", { role: "status", class: "gv-status" });
  status.hidden = true;
  const stage = h("div", { class: "gv-stage", tabindex: "0", "aria-label": "graph view: drag to pan, wheel to zoom, click a node to select it" });
  const tip = h("div", { class: "gv-tip", role: "tooltip" });
  tip.hidden = true;
  const stageWrap = h("div", { class: "gv-stagewrap" }, stage, tip);
  const minimap = new Minimap(stageWrap, (wx, wy) => {
    moved();
    st.vp.centreOn(wx, wy, st.size[0], st.size[1]);
    applyTransform();
  });
  const output = h("section", { class: "gv-output", "aria-label": "last nudge" });
  const info = h("section", { class: "gv-info", "aria-label": "selection" });
  const controls = h("section", { class: "gv-controls", "aria-label": "leaf controls" });
  const side = h("div", { class: "gv-panels" }, controls, output, info);
  const table = h("table", { "aria-label": "gradviz values", class: "gv-table" });
  const pager = h("div", { class: "gv-pager" });
  const tableWrap = h("div", { class: "gv-tablewrap" }, table, pager);
  root.append(toolbar, status, alert, stageWrap, side, tableWrap);
  el.appendChild(root);

  // ---- state from the kernel --------------------------------------------------------------------
  function loadStructure() {
    const raw = model.get("_structure");
    st.structure = { ...raw, labels: decodeColumn(raw.labels), ops: decodeColumn(raw.ops), kinds: decodeColumn(raw.kinds), scopes: decodeColumn(raw.scopes) };
    st.childPtr = toInt32(model.get("_child_ptr"));
    st.childIdx = toInt32(model.get("_child_idx"));
    root.dataset.source = st.structure.source;
    setupReplay();
  }
  function setupReplay() {
    const S = st.structure;
    st.local = model.get("local_replay") !== false && !S.readonly && S.n <= LOCAL_MAX ? compileReplay(S.ops, S.labels, st.childPtr, st.childIdx, S.opErrors ?? S.constants?.opErrors) : null;
    root.dataset.replay = st.local ? "local" : "kernel";
  }
  function loadValues() {
    st.data = toFloat64(model.get("_data"));
    st.grad = toFloat64(model.get("_grad"));
  }
  const theme = () => readTheme(root);
  function applyTheme() {
    // a page that states its theme as a class on <body> or <html> (marimo: "dark" / "light") wins over the OS setting
    const cls = (e) => e.classList.contains("dark") ? "dark" : e.classList.contains("light") ? "light" : "";
    root.dataset.host = cls(document.body) || cls(document.documentElement);
    root.dataset.theme = "light";
    root.dataset.theme = isDark(getComputedStyle(root).getPropertyValue("--gv-bg").trim()) ? "dark" : "light";
    if (st.view instanceof CanvasView) { st.view.theme = theme(); st.view.draw(); }
    if (st.scene) { minimap.setScene(st.scene, theme()); minimap.update(st.vp, st.size[0], st.size[1], st.scene); }
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
    const b = st.selNode >= 0 ? s.boxOfNode.get(st.selNode) : undefined;
    st.sel = b ?? -1;
    st.masks = st.sel >= 0 ? lineage(st.adj, st.sel) : null;
    st.view.setHighlight(st.sel, st.masks, st.matches);
    applyTransform();
  }

  // Until the user moves the view, a resize re-plans the first view (the output stays in view).
  function moved() { st.userMoved = true; }
  function applyTransform() {
    if (st.view) st.view.setTransform(st.vp, lodLevel(st.vp.scale));
    if (st.scene) minimap.update(st.vp, st.size[0], st.size[1], st.scene);
  }

  function fit() {
    const [W, H] = st.size;
    if (!W || !H || !st.scene) return;
    st.vp.fit(st.scene.width, st.scene.height, W, H);
    applyTransform();
  }

  // First view: the whole graph if its text is readable that way, else the output at a readable
  // zoom (Fit or a double-click on the background shows everything).
  function firstView() {
    // `height` is the most the drawing takes: a short graph gets a shorter stage (see view.js)
    const s = st.scene, W = st.size[0];
    if (!s.n) return fit();
    const b = s.boxOfNode.get(st.structure.root) ?? s.n - 1;
    const p = firstViewPlan(s.width, s.height, W, model.get("height"), { x: s.x[b], y: s.y[b], w: s.w[b], h: s.h[b] });
    stageWrap.style.height = `${p.stageH}px`;
    st.size = [W, p.stageH];
    st.vp.scale = p.scale; st.vp.tx = p.tx; st.vp.ty = p.ty;
    root.dataset.firstView = p.whole ? "whole" : "output";
    applyTransform();
  }

  // ---- table --------------------------------------------------------------------------------------
  function buildTable() {
    const n = st.structure.n;
    const pages = Math.ceil(n / PAGE);
    const paged = n > 2 * PAGE;
    st.page = Math.min(st.page, pages - 1);
    const lo = paged ? st.page * PAGE : 0, hi = paged ? Math.min(n, lo + PAGE) : n;
    const head = h("thead", {}, h("tr", {}, ...["label", "op", "data", "grad"].map((c) => h("th", { scope: "col", text: c }))));
    const body = h("tbody");
    st.rows = [];
    const { labels, ops } = st.structure;
    for (let i = lo; i < hi; i++) {
      const d = h("td", { class: "gv-n" }), g = h("td", { class: "gv-n" });
      const tr = h("tr", { "data-node": String(i) }, h("th", { scope: "row", text: shortLabel(labels[i]), title: labels[i] || null }), h("td", { text: shortLabel(ops[i]), title: ops[i] || null }), d, g);
      if (i === st.selNode) tr.setAttribute("aria-selected", "true");
      body.append(tr);
      st.rows.push({ i, tr, d: textNode(d), g: textNode(g) });
    }
    st.tableBox = null;
    table.replaceChildren(h("caption", { text: paged ? `values ${lo + 1}–${hi} of ${n}` : `${n} values` }), head, body);
    pager.replaceChildren();
    if (paged) {
      const prev = btn("Previous page", ""), next = btn("Next page", "");
      prev.disabled = st.page === 0; next.disabled = st.page >= pages - 1;
      prev.onclick = () => { st.page--; buildTable(); };
      next.onclick = () => { st.page++; buildTable(); };
      pager.append(prev, h("span", { text: ` page ${st.page + 1} of ${pages} ` }), next);
    }
    updateTable();
  }
  // Cells hold Text nodes; only the ones whose text changes are written (see textNode). With
  // `visibleOnly`, only the rows inside the table's scrolled view: each changed text costs a text
  // layout, so the answering frame lays out what can be seen and flushDeferred() does the rest.
  function updateTable(visibleOnly = false) {
    let lo = 0, hi = st.rows.length;
    const box = st.tableBox;
    if (visibleOnly && box) {
      const [top, h] = st.tableScroll;
      lo = Math.max(0, Math.floor((top - box.top0) / box.rowH) - 2);
      hi = Math.min(hi, Math.ceil((top + h - box.top0) / box.rowH) + 2);
      st.tableStale = lo > 0 || hi < st.rows.length;
    }
    for (let k = lo; k < hi; k++) {
      const r = st.rows[k];
      const c = st.structure.cells && st.structure.cells[r.i];  // a PyTorch graph: value, grad summaries
      const ds = c ? c[1] : fmt4(st.data[r.i]), gs = c ? c[2] : fmt4(st.grad[r.i]);
      if (r.d.data !== ds) r.d.data = ds;
      if (r.g.data !== gs) r.g.data = gs;
    }
  }
  /** Row geometry of the table, read once after a frame (when layout is clean), never while painting. */
  function measureTable() {
    if (st.tableBox || st.rows.length < 2) return;
    const wrap = tableWrap.getBoundingClientRect();
    const first = st.rows[0].tr.getBoundingClientRect(), last = st.rows[st.rows.length - 1].tr.getBoundingClientRect();
    const rowH = (last.top - first.top) / (st.rows.length - 1);
    if (rowH > 0) st.tableBox = { top0: first.top - wrap.top + tableWrap.scrollTop, rowH };
    st.tableScroll = [tableWrap.scrollTop, tableWrap.clientHeight];
  }

  // ---- leaf controls ------------------------------------------------------------------------------
  // ---- the kernel link: is anyone there? -------------------------------------------------------
  // ipywidgets knows whether the model's comm is live (false for a saved state, after a kernel
  // restart or a close); anywidget's model proxy does not say, so ask the widget manager for the
  // model itself, by the id the kernel wrote into `_self_id`.
  let backbone = null;
  const link = new Link((msg) => model.send(msg), () => !viewDisconnected(el) && backbone?.comm_live !== false);
  Promise.resolve(model.widget_manager?.get_model?.(model.get("_self_id") || ""))
    .then((m) => { if (m && "comm_live" in m) { backbone = m; updateStatus(); } })
    .catch(() => {});
  const ackWatch = new AckWatch(ACK_MS, () => {
    coalescer.clear();
    st.noAnswer = true;
    updateStatus();
  });
  const coalescer = new Coalescer((msg) => {
    if (link.send(msg)) ackWatch.arm(msg.req);
    else queueMicrotask(lostKernel);
  }, mergeSet, 1 + Math.floor(Math.random() * 2 ** 30));
  function lostKernel() {
    coalescer.clear();
    ackWatch.answered();
    updateStatus();
    if (st.local) return;  // the page's own replay still shows the change, labelled as such
    for (const c of st.controls.values()) c.shown = Number(c.num.value);
    updateControls();  // nothing computed the change: the boxes show the picture's values again
  }
  /** A message to the kernel that needs no answer (expand, collapse): dropped without a kernel. */
  function tell(msg) {
    if (!link.send(msg)) updateStatus();
  }
  function request(payload, t0 = performance.now()) {
    if (!link.live) return false;
    coalescer.push(payload, t0);
    return true;
  }
  function setLeaf(id, value, t0) {
    if (!Number.isFinite(value)) {
      showError(`not a number: type a finite number for ${nodeName(st.structure.labels[id], "", id)}`);
      return;
    }
    if (!link.live && !st.local) return lostKernel();
    if (st.local) onLocal({ [id]: value }, t0);
    request({ type: "set", values: { [id]: value } }, t0);
  }

  function controlRow(id) {
    const s = st.structure;
    const name = nodeName(s.labels[id], "", id);
    const v = st.data[id];
    const r = sliderRange(s.control_init[s.controls.indexOf(id)]);
    const slider = h("input", { type: "range", "aria-label": `${name} slider`, min: r.min, max: r.max, step: r.step, value: v });
    const num = h("input", { type: "number", "aria-label": name, step: "any", value: String(v), class: "gv-num" });
    const ctl = { num, slider, range: r, shown: v };
    slider.addEventListener("input", (ev) => {
      num.value = slider.value;
      ctl.shown = Number(slider.value);
      setLeaf(id, Number(slider.value), ev.timeStamp || performance.now());
    });
    let lastSent = null;
    const commit = (ev) => {
      const r = parseNumber(num.value, num.validity.badInput);
      if (r.error) { // say so, put the current value back, send nothing
        num.value = String(st.data[id]);
        ctl.shown = st.data[id];
        return showError(`${r.error}: type a finite number for ${shortLabel(name)} (it stays ${fmtFull(st.data[id])})`);
      }
      const x = r.value;
      if (x === lastSent && x === st.data[id]) return;
      lastSent = x;
      ctl.shown = x;
      setLeaf(id, x, ev.timeStamp || performance.now());
    };
    num.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); commit(ev); } });
    num.addEventListener("change", commit);
    st.controls.set(id, ctl);
    return h("div", { class: `gv-ctl ${kindClass(s.kinds[id])}` }, h("span", { class: "gv-ctl-name", text: shortLabel(name), title: name }), slider, num);
  }

  function buildControls() {
    const s = st.structure;
    st.controls.clear();
    if (s.readonly) {
      controls.replaceChildren(h("p", { class: "gv-note", text: s.readonly }));
      for (const b of [bReset, bStep, stepSize, direction]) b.disabled = true;
      return;
    }
    const ids = s.controls;
    let shown = ids;
    const head = h("h4", { text: ids.length ? `leaves (${ids.length})` : "no leaves to nudge" });
    const kids = [head];
    if (ids.length > MAX_CONTROLS) {
      shown = ids.includes(st.selNode) ? [st.selNode] : [];
      kids.push(h("p", { class: "gv-note", text: shown.length ? "" : `${ids.length} leaves: click a leaf in the graph or search its label to nudge it.` }));
    }
    for (const id of shown) kids.push(controlRow(id));
    controls.replaceChildren(...kids);
  }

  function updateControls() {
    for (const [id, c] of st.controls) {
      const v = st.data[id];
      // leave the box alone while the user is typing in it (focused, text not yet committed)
      const focused = c.num.getRootNode().activeElement === c.num;
      if (!(focused && Number(c.num.value) !== c.shown)) { c.num.value = String(v); c.shown = v; }
      if (v < Number(c.slider.min)) c.slider.min = String(v);
      if (v > Number(c.slider.max)) c.slider.max = String(v);
      if (Number(c.slider.value) !== v) c.slider.value = String(v);
    }
  }

  // ---- output, selection, errors --------------------------------------------------------------
  // The panel is built once; each repaint rewrites the Text nodes of its value cells.
  const OUT_ROWS = ["output", "last change", "before", "after", "predicted (grad × Δ)", "actual", "where"];
  const outRows = OUT_ROWS.map((k) => {
    const td = h("td", { class: "gv-n" });
    return { tr: h("tr", {}, h("th", { scope: "row", text: k }), td), text: textNode(td) };
  });
  output.append(h("h4", { text: "output" }), h("table", { "aria-label": "last nudge" }, ...outRows.map((r) => r.tr)));
  function updateOutput() {
    const n = st.localNudge || model.get("last_nudge") || {};
    const s = st.structure;
    const rootName = nodeName(s.labels[s.root], s.ops[s.root], s.root);
    const vals = [`${rootName} = ${fmt4(st.data[s.root])}`];
    const num = (x) => Number(x);  // NaN and infinities travel as strings ("NaN", "Infinity")
    if (n.kind) vals.push(n.what || n.kind);
    if (n.kind && "before" in n) vals.push(fmt4(num(n.before)), fmt4(num(n.after)), fmtChange(num(n.predicted)), fmtChange(num(n.actual)));
    const where = st.localNudge && !link.live ? COMPUTED_HERE : "";
    outRows.forEach((r, k) => {
      const shown = k === OUT_ROWS.length - 1 ? !!where : k < vals.length;
      if (k === OUT_ROWS.length - 1) vals[k] = where;
      if (r.tr.hidden === shown) r.tr.hidden = !shown;
      if (shown && r.text.data !== vals[k]) r.text.data = vals[k];
    });
  }

  function showError(msg) {
    alert.textContent = msg || "";
    alert.hidden = !msg;
  }

  /** The line above the drawing: no kernel, no answer, or a picture older than the Values. */
  function updateStatus() {
    const live = link.live;
    let text = "", state = "live";
    if (!live) { text = NOT_CONNECTED; state = "saved"; }
    else if (st.noAnswer) { text = NO_ANSWER(ACK_MS / 1000); state = "waiting"; }
    else if (model.get("_stale")) { text = model.get("_stale"); state = "stale"; }
    root.dataset.connection = live ? "live" : "saved";
    root.dataset.status = state;
    if (status.textContent !== text) status.textContent = text;
    status.hidden = !text;
    const noCompute = !live && !st.local;
    for (const b of [bStep, stepSize, direction]) b.disabled = !!st.structure.readonly || noCompute;
    bReset.disabled = !!st.structure.readonly;
    bReset.title = live ? "back to the values last taken from Python" : "back to the saved picture (in this page)";
  }

  function updateInfo() {
    const s = st.scene, S = st.structure;
    if (st.sel < 0 && st.selNode < 0) { info.replaceChildren(); return; }
    const b = st.sel;
    const id = b >= 0 ? s.node[b] : st.selNode;
    const group = b >= 0 ? s.group[b] : "";
    const kids = [h("h4", { text: group ? `group ${group}` : nodeName(S.labels[id], S.ops[id], id) })];
    kids.push(h("p", { text: group ? `${s.size[b]} values; shows its output's data and grad` : `${S.kinds[id]}${S.ops[id] ? ", op " + S.ops[id] : ""}${S.scopes[id] ? ", in " + S.scopes[id] : ""}` }));
    const acts = groupActions(group, group ? "" : S.scopes[id], s.collapsed, b >= 0);
    for (const key of acts.expand) {
      const e = btn(`Expand ${key}`, "show the values inside this group");
      e.onclick = () => expand(key);
      kids.push(e);
    }
    for (const key of acts.collapse) {
      const c = btn(`Collapse ${key}`, "fold this group into one box");
      c.onclick = () => tell({ type: "collapse", key });
      kids.push(c);
    }
    if (s.expanded.length) {
      const r = btn("Collapse all", "fold the groups as they were first shown");
      r.onclick = () => tell({ type: "reset_view" });
      kids.push(r);
    }
    info.replaceChildren(...kids);
  }

  function select(box, node) {
    st.sel = box;
    st.selNode = node ?? (box >= 0 && !st.scene.group[box] ? st.scene.node[box] : -1);
    st.masks = box >= 0 ? lineage(st.adj, box) : null;
    st.view.setHighlight(st.sel, st.masks, st.matches);
    if (st.selNode >= 0 && st.structure.n > 2 * PAGE) {
      const p = Math.floor(st.selNode / PAGE);
      if (p !== st.page) st.page = p;
    }
    buildTable();
    if (st.structure.controls.length > MAX_CONTROLS) buildControls();
    updateInfo();
  }

  // ---- painting ---------------------------------------------------------------------------------
  /** Repaint the values: what can be seen now, the rest in flushDeferred() after the frame. */
  function paintValues() {
    const [W, H] = st.size, vp = st.vp;
    const m = 40 / vp.scale;  // a margin, in world units
    const rect = W && H ? [-vp.tx / vp.scale - m, -vp.ty / vp.scale - m, (W - vp.tx) / vp.scale + m, (H - vp.ty) / vp.scale + m] : null;
    st.view.setValues(st.data, st.grad, rect);
    updateTable(true);
    updateControls();
    updateOutput();
  }

  /** After a repaint's frame: measure what is needed for the next one, then update what it left out
   *  (out of view). While a request is in flight this waits for its answer, so the layout of the
   *  left-out texts does not delay the frame that paints the kernel's answer. */
  function flushDeferred() {
    measureTable();
    if (coalescer.busy) return;
    st.view.flush();
    if (st.tableStale) { st.tableStale = false; updateTable(); }
  }

  // Runs `fn` after the next frame has been painted: rAF callbacks run before that frame's style,
  // layout and paint; a task queued from one runs after them.
  function afterPaint(fn) {
    requestAnimationFrame(() => setTimeout(fn, 0));
  }

  // The kernel's answer: authoritative. With local replay, the page already shows this nudge (and
  // maybe later ones); an answer to a request that later ones have superseded is not painted.
  function onValues() {
    const t0 = coalescer.ack(model.get("_ack"));
    if (t0 !== null) { ackWatch.answered(); link.revive(); }
    if (st.noAnswer) { st.noAnswer = false; updateStatus(); }
    const superseded = st.local && t0 !== null && coalescer.busy;
    if (!superseded) {
      loadValues();
      st.localNudge = null;
      showError(model.get("error"));
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

  // Local replay (graphs of gradviz ops up to LOCAL_MAX nodes): the page runs forward and backward
  // itself and repaints at once, without waiting for the kernel's round trip; the kernel's answer
  // repaints again where it differs. A domain error shows at once and leaves every value as it was.
  function onLocal(changes, t0, what = null) {
    const S = st.structure, r0 = S.root;
    const input = Float64Array.from(st.data);
    let predicted = 0;
    for (const [id, v] of Object.entries(changes)) { predicted += st.grad[id] * (v - st.data[id]); input[id] = v; }
    try {
      const out = replay(st.local, input);
      const ids = Object.keys(changes);
      what = what || (ids.length === 1 ? `${S.labels[ids[0]] ? `'${S.labels[ids[0]]}'` : "node " + ids[0]} = ${fmtG(changes[ids[0]])}` : `${ids.length} leaves set`);
      st.localNudge = { kind: "set", what, before: st.data[r0], after: out.data[r0], predicted, actual: out.data[r0] - st.data[r0] };
      st.data = out.data;
      st.grad = out.grad;
      showError("");
      paintValues();
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
      showError(e.message);
    }
    st.localT0.add(t0);
    afterPaint(() => {
      st.locals += 1;
      root.dataset.lastNudgeMs = (performance.now() - t0).toFixed(2);
      root.dataset.localCount = String(st.locals);
      flushDeferred();
    });
  }

  // ---- interaction ------------------------------------------------------------------------------
  function localXY(ev) {
    const r = stage.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }
  function boxAt(ev) {
    const [px, py] = localXY(ev);
    const [wx, wy] = st.vp.toWorld(px, py);
    return st.grid.hit(wx, wy);
  }

  let drag = null;
  stage.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, moved: false };
    stage.setPointerCapture?.(ev.pointerId);
  });
  stage.addEventListener("pointermove", (ev) => {
    if (drag) {
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.moved) { moved(); st.vp.pan(dx, dy); drag.x = ev.clientX; drag.y = ev.clientY; applyTransform(); }
      tip.hidden = true;
      return;
    }
    showTip(ev);
  });
  stage.addEventListener("pointerup", (ev) => {
    const d = drag;
    drag = null;
    if (d && !d.moved) select(boxAt(ev));
  });
  stage.addEventListener("pointerleave", () => { tip.hidden = true; });
  stage.addEventListener("dblclick", (ev) => {
    const b = boxAt(ev);
    if (b >= 0 && st.scene.group[b]) expand(st.scene.group[b]);
    else if (b < 0) { moved(); fit(); }
  });
  stage.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [px, py] = localXY(ev);
    moved();
    st.vp.zoomAt(px, py, Math.exp(-ev.deltaY * 0.0015));
    applyTransform();
  }, { passive: false });
  stage.addEventListener("keydown", (ev) => {
    const [W, H] = st.size;
    const k = { "+": 1.25, "=": 1.25, "-": 0.8 }[ev.key];
    if (k || ev.key === "f") moved();
    if (k) st.vp.zoomAt(W / 2, H / 2, k);
    else if (ev.key === "f") return fit();
    else if (ev.key === "Escape") return select(-1);
    else return;
    applyTransform();
  });

  function showTip(ev) {
    const b = boxAt(ev);
    if (b < 0) { tip.hidden = true; return; }
    const s = st.scene, S = st.structure, id = s.node[b];
    const lines = [];
    if (s.group[b]) lines.push(`<b>${escapeXml(s.group[b])}</b> (${s.size[b]} values)`, `output: ${escapeXml(nodeName(S.labels[id], S.ops[id], id))}`);
    else lines.push(`<b>${escapeXml(nodeName(S.labels[id], S.ops[id], id))}</b> <i>${escapeXml(S.kinds[id])}</i>`);
    if (S.tips) lines.push(...S.tips[id].map(escapeXml));  // a PyTorch graph: every statistic
    else lines.push(`data ${fmtFull(st.data[id])}`, `grad ${fmtFull(st.grad[id])}`);
    if (S.ops[id] && !S.tips) {
      lines.push(`op ${escapeXml(S.ops[id])}`);
      const kids = Array.from(childrenOf(st.childPtr, st.childIdx, id));
      const loc = localDerivatives(S.ops[id], st.data[id], kids.map((c) => st.data[c]));
      kids.forEach((c, k) => {
        const name = escapeXml(nodeName(S.labels[c], S.ops[c], c));
        lines.push(`∂/∂${name} = ${loc ? fmtFull(loc[k]) : "?"}`);
      });
    }
    if (S.scopes[id] && !s.group[b]) lines.push(`<span class="gv-dim">${escapeXml(S.scopes[id])}</span>`);
    tip.innerHTML = lines.join("<br>");
    const [px, py] = localXY(ev);
    tip.hidden = false;
    const [x, y] = tipPosition(px, py, tip.offsetWidth, tip.offsetHeight, st.size[0], st.size[1]);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }

  let matchIdx = 0;
  // Search finds value labels and group titles ("sample 7"); each hit is brought into view: a value
  // hidden in a folded group shows that group (select it to expand it).
  function runSearch(advance) {
    const q = search_.value;
    const s = st.scene;
    const ids = search(st.structure.labels, q);
    const groups = searchGroups(s.group, s.title, q);
    const hits = [...groups.map((b) => ({ b, id: undefined })), ...ids.map((id) => ({ b: s.boxOfNode.get(id), id }))];
    st.matches = new Set(hits.map((h) => h.b).filter((b) => b !== undefined));
    root.dataset.searchHits = String(hits.length);
    if (!hits.length) { st.view.setHighlight(st.sel, st.masks, st.matches); return; }
    matchIdx = advance ? (matchIdx + 1) % hits.length : 0;
    const { id } = hits[matchIdx];
    let { b } = hits[matchIdx];
    const shown = b !== undefined ? b : groupHiding(s.group, st.structure.scopes[id]);
    if (shown >= 0) showBox(shown);
    select(b ?? -1, id);
  }
  /** Centre box b, zoomed in to a readable size if the view is smaller than that. */
  function showBox(b) {
    const s = st.scene, [W, H] = st.size;
    moved();
    if (st.vp.scale < READABLE) st.vp.scale = Math.min(1, Math.max(READABLE, (W - 32) / s.w[b]));
    st.vp.centreOn(s.x[b], s.y[b], W, H);
    applyTransform();
  }
  /** After an expand: bring what the group opened into view, readable if it fits. */
  function showExpanded(key) {
    const r = expandedBounds(st.scene, st.structure.scopes, key);
    if (!r) return;
    const [W, H] = st.size;
    const k = Math.min(1, (W - 32) / (r[2] - r[0]), (H - 32) / (r[3] - r[1]));
    moved();
    st.vp.scale = Math.max(READABLE, k);
    // the whole group if it fits readable, else its end (where its outputs are)
    const cx = k >= READABLE ? (r[0] + r[2]) / 2 : r[2] - (W / 2 - 16) / st.vp.scale;
    st.vp.centreOn(cx, (r[1] + r[3]) / 2, W, H);
    applyTransform();
  }
  function expand(key) {
    st.focusKey = key;
    tell({ type: "expand", key });
  }
  search_.addEventListener("input", () => runSearch(false));
  search_.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); runSearch(true); } });

  bFit.onclick = () => { moved(); fit(); };
  bIn.onclick = () => { moved(); st.vp.zoomAt(st.size[0] / 2, st.size[1] / 2, 1.25); applyTransform(); };
  bOut.onclick = () => { moved(); st.vp.zoomAt(st.size[0] / 2, st.size[1] / 2, 0.8); applyTransform(); };
  bGrads.onclick = () => { model.set("show_grads", !model.get("show_grads")); model.save_changes(); };
  bReset.onclick = (ev) => {
    if (request({ type: "reset" }, ev.timeStamp)) return;
    loadValues();  // no kernel: back to the saved picture
    st.localNudge = null;
    showError(model.get("error"));
    paintValues();
    updateStatus();
  };
  let stepOk = stepSize.value;
  bStep.onclick = (ev) => {
    const r = parseNumber(stepSize.value, stepSize.validity.badInput);
    const why = r.error || (r.value === 0 ? "zero does not move anything" : "");
    if (why) { stepSize.value = stepOk; return showError(`step size: ${why}; type a finite non-zero number, e.g. 0.01`); }
    stepOk = stepSize.value;
    const lr = direction.value === "down" ? r.value : -r.value;
    if (request({ type: "step", lr }, ev.timeStamp)) return;
    if (!st.local) return updateStatus();
    const changes = {};
    for (const id of st.structure.controls) changes[id] = st.data[id] - lr * st.grad[id];
    onLocal(changes, ev.timeStamp, `step ${lr >= 0 ? "down" : "up"}, size ${fmtG(Math.abs(lr))}`);
  };
  const exportSvg = () => svgMarkup(st.scene, st.data, st.grad, { showGrads: model.get("show_grads"), style: exportStyle(theme()) });
  bSvg.onclick = () => download("gradviz.svg", new Blob([exportSvg()], { type: "image/svg+xml" }));
  bPng.onclick = () => {
    const s = st.scene;
    const k = Math.min(2, 8000 / Math.max(s.width, s.height, 1));
    const img = new Image();
    img.onload = () => {
      const c = document.createElement("canvas");
      c.width = Math.max(1, Math.round(s.width * k)); c.height = Math.max(1, Math.round(s.height * k));
      const ctx = c.getContext("2d");
      ctx.scale(k, k);
      ctx.drawImage(img, 0, 0);
      c.toBlob((blob) => blob && download("gradviz.png", blob), "image/png");
    };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(exportSvg());
  };

  function syncGradsButton() {
    const show = model.get("show_grads");
    bGrads.textContent = show ? "Hide grads" : "Show grads";
    bGrads.setAttribute("aria-pressed", show ? "true" : "false");
  }

  // ---- kernel → page ----------------------------------------------------------------------------
  const handlers = {
    "change:error": () => showError(model.get("error")),
    "change:_stale": () => updateStatus(),
    comm_live_update: () => { link.revive(); if (!link.live) lostKernel(); else updateStatus(); },
    "change:show_grads": () => { syncGradsButton(); buildView(); },
    "change:_view": () => {
      buildView();
      updateInfo();
      if (st.focusKey) { const k = st.focusKey; st.focusKey = null; showExpanded(k); }
    },
    "change:_structure": () => { loadStructure(); loadValues(); buildView(); buildTable(); buildControls(); fit(); },
    "change:local_replay": setupReplay,
    "change:height": () => { stageWrap.style.height = `${model.get("height")}px`; },
  };
  // One kernel message can change _data, _grad and _ack together; paint once for it.
  let queued = false;
  const onValuesOnce = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; onValues(); });
  };
  handlers["change:_ack"] = onValuesOnce;
  handlers["change:_data"] = onValuesOnce;
  for (const [ev, fn] of Object.entries(handlers)) model.on(ev, fn);

  // ---- first render -----------------------------------------------------------------------------
  stageWrap.style.height = `${model.get("height")}px`;
  loadStructure();
  loadValues();
  applyTheme();
  syncGradsButton();
  showError(model.get("error"));
  buildView();
  buildTable();
  buildControls();
  updateOutput();
  updateStatus();

  const ro = new ResizeObserver(() => {
    const r = stage.getBoundingClientRect();
    const first = !st.size[0] && r.width > 0;
    st.size = [r.width, r.height];
    if (!r.width || !r.height) return;
    if (first) { applyTheme(); updateStatus(); }  // attached now: the notebook's CSS variables resolve
    if (first || !st.fitted || !st.userMoved) { firstView(); st.fitted = true; } else applyTransform();
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
  // the table's scrolled view, tracked here so that painting never reads layout
  const rot = new ResizeObserver(([e]) => { st.tableScroll = [st.tableScroll[0], e.contentRect.height]; });
  rot.observe(tableWrap);
  tableWrap.addEventListener("scroll", () => {
    st.tableScroll = [tableWrap.scrollTop, st.tableScroll[1]];
    if (st.tableStale) { st.tableStale = false; updateTable(); }
  }, { passive: true });
  const mo = new MutationObserver(applyTheme);
  mo.observe(document.body, { attributes: true, attributeFilter: ["class", "data-jp-theme-light", "data-jp-theme-name"] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  const mq = window.matchMedia?.("(prefers-color-scheme: dark)");
  mq?.addEventListener?.("change", applyTheme);

  return () => {
    for (const [ev, fn] of Object.entries(handlers)) model.off(ev, fn);
    ro.disconnect();
    rot.disconnect();
    mo.disconnect();
    mq?.removeEventListener?.("change", applyTheme);
    if (st.view) st.view.destroy();
    minimap.destroy();
  };
}

export default { render };
