// The Backprop mode: backward's steps (computed in Python, gradviz.backprop_steps, sent as the
// `_steps` columns of gradviz/widget/steps.py) walked node by node, and the chain rule as a sum
// over paths. Pure functions decide what each step shows; BackpropBar (the buttons and the
// scrubber) and Overlay (labels over the drawing) write it into the page; widget.js wires them.

import { button, h } from "./dom.js";
import { fmt4, fmtG, shortLabel } from "./format.js";
import { typed } from "./decode.js";

export const MAX_PATHS = 10000;  // as gradviz.backprop.MAX_PATHS
export const PLAY_MS = 700;      // Play: one step every PLAY_MS

/** The `_steps` trait decoded: {k, node, grad, closure, ptr, child, slot, local, amount, notes (Map
 *  step -> text), templates, data}; {error} when Python could not compute them; null when absent. */
export function decodeSteps(raw) {
  if (!raw || !Object.keys(raw).length) return null;
  if (raw.error) return { error: raw.error };
  return {
    k: raw.k,
    node: typed(raw.node, Int32Array), grad: typed(raw.grad, Float64Array), closure: typed(raw.closure, Uint8Array),
    ptr: typed(raw.ptr, Int32Array), child: typed(raw.child, Int32Array), slot: typed(raw.slot, Int32Array),
    local: typed(raw.local, Float64Array), amount: typed(raw.amount, Float64Array),
    notes: new Map(raw.notes || []), templates: raw.templates || {}, data: typed(raw.data, Float64Array),
  };
}

/** Every node's gradient after the first `k` steps, as backward adds them (same order, same
 *  float additions, so the last step gives Python's grads bit for bit): {grad, blank}, where
 *  blank[i] is 1 for a node the pass has not reached yet (its grad is drawn empty; grad[i] is 0). */
export function gradsAt(steps, n, root, k) {
  const grad = new Float64Array(n), blank = new Uint8Array(n).fill(1);
  grad[root] = 1; blank[root] = 0;
  const end = Math.min(k, steps.k);
  for (let p = 0, s = 0; s < end; s++) {
    for (const q = steps.ptr[s + 1]; p < q; p++) {
      const c = steps.child[p];
      grad[c] += steps.amount[p];  // 0 + x is x: a first push stores the amount itself
      blank[c] = 0;
    }
  }
  return { grad, blank };
}

/** How the mode names node `i`: its label (shortened), else `#i` as the table does. */
export function shortName(labels, i) {
  return labels[i] ? shortLabel(labels[i], 24) : `#${i}`;
}

/** The local derivative of push `p` of step `s` as a formula over the node names, from the op's
 *  template (`{a}`, `{b}`, `{out}`, `{k}`, `{km1}`); "its _backward" for a closure. */
export function ruleText(steps, s, p, ctx) {
  if (steps.closure[s]) return "its _backward";
  const i = steps.node[s];
  const op = ctx.ops[i];
  const k = ctx.exponents && ctx.exponents.get ? ctx.exponents.get(i) : undefined;
  const t = steps.templates[k !== undefined ? "**k" : op];
  const slot = steps.slot[p];
  if (!t || !t[slot]) return "";
  const kids = ctx.kids(i);
  const name = (j) => (j === undefined ? "" : shortName(ctx.labels, j));
  const subs = { out: name(i), a: name(kids[0]), b: name(kids[1]), k: k === undefined ? "" : fmtG(k), km1: k === undefined ? "" : fmtG(k - 1) };
  return t[slot].replace(/\{(out|a|b|k|km1)\}/g, (_, key) => subs[key]);
}

/** What the picture after `k` steps shows: the node of the last step applied (the output at k =
 *  0), a title line, each incoming edge's label (`∂L/∂d = f = -2.0000`, one per child: a + a
 *  lists both slots) and each child's addition (`d.grad += -2 × 1 = -2`), and the note. */
export function stepView(steps, k, ctx) {
  const root = ctx.root;
  const name = (j) => shortName(ctx.labels, j);
  if (k <= 0 || steps.k === 0) {
    const next = steps.k ? `; next: ${name(steps.node[0])} pushes its grad to its operands` : "; no op node: nothing to push";
    return { node: root, title: `step 0 of ${steps.k}: ${name(root)}.grad = 1 (d${name(root)}/d${name(root)})${next}`, edges: [], adds: [], note: "" };
  }
  const s = Math.min(k, steps.k) - 1;
  const i = steps.node[s], g = steps.grad[s];
  const edges = new Map(), adds = [];
  for (let p = steps.ptr[s]; p < steps.ptr[s + 1]; p++) {
    const c = steps.child[p];
    const rule = ruleText(steps, s, p, ctx);
    const text = `∂${name(i)}/∂${name(c)} = ${rule && rule !== fmtG(steps.local[p]) ? rule + " = " : ""}${fmt4(steps.local[p])}`;
    const e = edges.get(c);
    if (e) e.text += `, ${text}`; else edges.set(c, { child: c, parent: i, slot: steps.slot[p], text });
    adds.push({ child: c, text: `${name(c)}.grad += ${fmtG(steps.local[p])} × ${fmtG(g)} = ${fmtG(steps.amount[p])}` });
  }
  const title = `step ${s + 1} of ${steps.k}: ${name(i)} (grad ${fmtG(g)}) pushes to ${[...edges.keys()].map(name).join(", ") || "no operand"}`;
  return { node: i, title, edges: [...edges.values()], adds, note: steps.notes.get(s) || "" };
}

/** Every path from `root` down to `leaf` over the steps' pushes (each push an edge with its local
 *  derivative), as gradviz.chain_paths finds them: {paths: [{nodes, locals, product}], total,
 *  grad}; {error} past `limit` paths or when the pass does not reach the leaf. */
export function chainPaths(steps, n, root, leaf, limit = MAX_PATHS) {
  const count = new Float64Array(n);
  count[leaf] = 1;
  for (let s = steps.k - 1; s >= 0; s--) {
    const i = steps.node[s];
    if (i === leaf) continue;
    let c = 0;
    for (let p = steps.ptr[s]; p < steps.ptr[s + 1]; p++) c += count[steps.child[p]];
    count[i] = c;
  }
  if (!count[root]) return { error: `the backward pass does not reach ${leaf === root ? "it" : "that node"} from the output` };
  if (count[root] > limit) return { error: `${count[root]} paths lead from the output to that node, more than ${limit} to show: pick a node nearer the output` };
  const stepOf = new Int32Array(n).fill(-1);
  for (let s = 0; s < steps.k; s++) stepOf[steps.node[s]] = s;
  const paths = [], nodes = [root], locals = [], its = [];
  const open = (i) => ({ p: i === leaf || stepOf[i] < 0 ? 0 : steps.ptr[stepOf[i]], q: i === leaf || stepOf[i] < 0 ? 0 : steps.ptr[stepOf[i] + 1] });
  if (root === leaf) paths.push({ nodes: [root], locals: [], product: 1 });
  else its.push(open(root));
  while (its.length) {
    const it = its[its.length - 1];
    if (it.p >= it.q) { its.pop(); nodes.pop(); locals.pop(); continue; }
    const p = it.p++;
    const c = steps.child[p];
    if (!count[c]) continue;
    nodes.push(c); locals.push(steps.local[p]);
    if (c === leaf) {
      let prod = 1;
      for (const x of locals) prod *= x;
      paths.push({ nodes: nodes.slice(), locals: locals.slice(), product: prod });
      nodes.pop(); locals.pop();
    } else its.push(open(c));
  }
  let total = 0;
  for (const q of paths) total += q.product;
  return { paths, total, grad: gradsAt(steps, n, root, steps.k).grad[leaf] };
}

/** A path as the lecture writes it, leaf first: `-3 × 1 × 1 × 0.5 = -1.5  (x1 → x1*w1 → … → o)`. */
export function pathText(path, labels) {
  const factors = path.locals.slice().reverse().map(fmtG).join(" × ") || "1";
  return `${factors} = ${fmtG(path.product)}   (${path.nodes.slice().reverse().map((i) => shortName(labels, i)).join(" → ")})`;
}

/** The box that shows node `i` in scene `s`: its own record, or the folded group hiding it; for
 *  a value drawn by neither (folded into a chain), the box of the nearest value it feeds, going
 *  up `parent` (parentOf). -1 when none is drawn. */
export function boxShowing(s, i, scopes, hidingBox, parent = null) {
  for (let j = i, hops = 0; j >= 0 && hops <= (parent ? parent.length : 0); j = parent ? parent[j] : -1, hops++) {
    const b = s.boxOfNode.get(j) ?? groupOutputs(s).get(j);
    if (b !== undefined) return b;
    const g = hidingBox ? hidingBox(scopes[j] || "") : -1;
    if (g >= 0) return g;
    if (!parent) break;
  }
  return -1;
}

const GROUP_OUTPUTS = new WeakMap();
/** {node id: group box} of the group boxes of scene `s`, by the value each shows (its output). */
function groupOutputs(s) {
  let m = GROUP_OUTPUTS.get(s);
  if (!m) {
    m = new Map();
    for (let b = 0; b < s.n; b++) if (s.group && s.group[b] && s.node) m.set(s.node[b], b);
    GROUP_OUTPUTS.set(s, m);
  }
  return m;
}

/** Each node's parent in the backward pass: the node of the first step that pushes into it (-1
 *  for the root and for nodes the pass does not reach). */
export function parentOf(steps, n) {
  const parent = new Int32Array(n).fill(-1);
  for (let s = 0; s < steps.k; s++) {
    for (let p = steps.ptr[s]; p < steps.ptr[s + 1]; p++) if (parent[steps.child[p]] < 0) parent[steps.child[p]] = steps.node[s];
  }
  return parent;
}

/** The Backprop bar: Previous, Next, Play, the scrubber, the step's text and its note. It only
 *  builds the elements and reports the position wanted (`onStep(k)`); the widget shows it. */
export class BackpropBar {
  constructor(onStep) {
    this.onStep = onStep;
    this.k = 0; this.max = 0; this.timer = null;
    this.prev = button("Previous", "undo the last step of backward", "Previous step");
    this.next = button("Next", "apply the next step of backward", "Next step");
    this.play = button("Play", "step through backward", "Play");
    this.scrub = h("input", { type: "range", min: "0", max: "0", step: "1", value: "0", "aria-label": "backprop step", class: "gv-scrub" });
    this.text = h("span", { class: "gv-bp-text", role: "status" });
    this.note = h("span", { class: "gv-bp-note", role: "note" });
    this.paths = h("div", { class: "gv-bp-paths", role: "region", "aria-label": "chain rule paths" });
    this.paths.hidden = true;
    this.el = h("div", { class: "gv-bp", role: "group", "aria-label": "backprop steps" },
      this.prev, this.next, this.play, this.scrub, this.text, this.note);
    this.el.hidden = true;
    this.prev.onclick = () => this.go(this.k - 1);
    this.next.onclick = () => this.go(this.k + 1);
    this.play.onclick = () => (this.timer ? this.stop() : this.start());
    this.scrub.addEventListener("input", () => this.go(Number(this.scrub.value)));
  }

  /** Show position `k` of `max` steps with its texts (from stepView). */
  show(k, max, view) {
    this.k = k; this.max = max;
    this.el.hidden = false;
    this.scrub.max = String(max);
    if (this.scrub.value !== String(k)) this.scrub.value = String(k);
    this.prev.disabled = k <= 0;
    this.next.disabled = k >= max;
    this.text.textContent = view.title;
    this.note.textContent = view.note ? `⚠ ${view.note}` : "";
    this.note.hidden = !view.note;
  }

  go(k) {
    const to = Math.max(0, Math.min(this.max, k));
    if (to !== this.k) this.onStep(to);
  }

  start() {
    if (this.k >= this.max) this.onStep(0);
    this.play.textContent = "Pause";
    this.play.setAttribute("aria-label", "Pause");
    this.timer = setInterval(() => { if (this.k >= this.max) this.stop(); else this.onStep(this.k + 1); }, PLAY_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = "Play";
    this.play.setAttribute("aria-label", "Play");
  }

  hide() {
    this.stop();
    this.el.hidden = true;
  }

  /** The path view's list: each path with its product, and the sum beside the leaf's grad. */
  showPaths(r, leafName, labels) {
    this.paths.hidden = false;
    if (r.error) { this.paths.replaceChildren(h("p", { text: r.error })); return; }
    const items = r.paths.slice(0, 50).map((p) => h("li", { text: pathText(p, labels) }));
    const more = r.paths.length > 50 ? h("p", { text: `… and ${r.paths.length - 50} more paths` }) : null;
    this.paths.replaceChildren(...[
      h("h4", { text: `${r.paths.length} path${r.paths.length === 1 ? "" : "s"} from the output to ${leafName}` }),
      h("ol", {}, ...items), more,
      h("p", { class: "gv-bp-sum", text: `sum of the products = ${fmtG(r.total)} = ${leafName}.grad (${fmtG(r.grad)})` }),
    ].filter(Boolean));
  }

  hidePaths() {
    this.paths.hidden = true;
    this.paths.replaceChildren();
  }
}

/** Labels over the drawing (edge derivatives, grad additions, path products), placed in world
 *  coordinates and moved with the view: HTML over both renderers (SVG and canvas). */
export class Overlay {
  constructor(container) {
    this.el = h("div", { class: "gv-bp-labels", "aria-hidden": "true" });
    container.append(this.el);
    this.items = [];
  }

  /** `labels`: [{x, y, text, cls}] in world units. */
  set(labels, vp) {
    this.el.replaceChildren(...labels.map((l) => h("span", { class: `gv-bp-label ${l.cls || ""}`, text: l.text })));
    this.items = labels;
    this.place(vp);
  }

  place(vp) {
    if (!vp) return;
    const kids = this.el.childNodes;
    for (let j = 0; j < this.items.length; j++) {
      const l = this.items[j];
      kids[j].style.transform = `translate(${(l.x * vp.scale + vp.tx).toFixed(1)}px, ${(l.y * vp.scale + vp.ty).toFixed(1)}px)`;
    }
  }

  clear() {
    this.set([], null);
  }
}

/** The overlay labels of a step view over scene `s`: one block beside each operand's record,
 *  right of it where its edge into the node starts, with the edge's derivative and the addition
 *  to its grad (a + a: both of each). Operands hidden in a folded group get none (the group box is
 *  marked instead); neither does the node's own record. */
export function stepLabels(s, view) {
  const lines = new Map();
  const add = (c, t) => { if (!lines.has(c)) lines.set(c, []); lines.get(c).push(t); };
  for (const ed of view.edges) add(ed.child, ed.text);
  for (const a of view.adds) add(a.child, a.text);
  const out = [];
  for (const [c, texts] of lines) {
    const b = s.boxOfNode.get(c);
    if (b === undefined) continue;
    out.push({ x: s.x[b] + s.w[b] / 2 + 4, y: s.y[b], text: texts.join("\n"), cls: "gv-bp-label-step" });
  }
  return out;
}

/** The labels of a path view: each path edge's local derivative (`×-3`) at the middle of its route. */
export function pathLabels(s, r, edgePoints) {
  const out = [], seen = new Set();
  const edgeOf = new Map();
  for (let e = 0; e < s.esrc.length; e++) edgeOf.set(`${s.esrc[e]},${s.edst[e]}`, e);
  for (const p of r.paths || []) {
    for (let j = 1; j < p.nodes.length; j++) {
      const cb = s.boxOfNode.get(p.nodes[j]), pb = s.boxOfNode.get(p.nodes[j - 1]);
      const e = cb === undefined || pb === undefined ? undefined : edgeOf.get(`${cb},${pb}`);
      if (e === undefined || seen.has(e)) continue;
      seen.add(e);
      const q = edgePoints(s, e);
      const m = (q.length >> 2) << 1;
      out.push({ x: q.length > 4 ? q[m] : (q[0] + q[2]) / 2, y: q.length > 4 ? q[m + 1] : (q[1] + q[3]) / 2, text: `× ${fmtG(p.locals[j - 1])}`, cls: "gv-bp-label-edge" });
    }
  }
  return out;
}

/** The Backprop mode and the path view over a widget. The widget (the host) gives:
 *  model (get/set/on/save_changes), root (the widget's root element), structure(), scene(),
 *  kids(i), vp(), paint(data, grad) (repaint drawing and table with these values; grad.blank
 *  marks the nodes to draw blank), restore() (the full picture again), highlight(box, masks)
 *  (lineage-style masks: the operands as `dependsOn`),
 *  select(node), request(msg) (false without a kernel), error(msg), hidingBox(scope),
 *  edgePoints(s, e), afterPaint(fn). State lives in the model (`backprop_step`, `paths_leaf`),
 *  so Python's w.backprop(k) and the page's buttons drive the same picture. */
export class BackpropMode {
  constructor(host) {
    this.host = host;
    this.steps = null; this.k = -1; this.t0 = null; this.leaf = -1;
    this.bar = new BackpropBar((k) => this.want(k));
    this.overlay = null;
  }

  /** The steps as the model has them now (decoded once per change). */
  load() {
    this.steps = decodeSteps(this.host.model.get("_steps"));
    this.parent = this.steps && !this.steps.error ? parentOf(this.steps, this.host.structure().n) : null;
  }

  /** The toolbar's "Backprop" button: enter the mode (asking the kernel for the steps of a big
   *  graph), or leave it. */
  toggle() {
    if (this.k >= 0) return this.want(-1);
    if (!this.steps && !this.host.request({ type: "backprop", k: 0 })) {
      return this.host.error("Backprop needs the steps of backward, which Python computes: run the cell again with a kernel, or save the page with w.save_html(...) (it carries them)");
    }
    if (this.steps && this.steps.error) return this.host.error(this.steps.error);
    if (this.steps) this.want(0);
  }

  /** Ask for position `k` (-1: leave): through the model, so Python sees it. */
  want(k) {
    this.t0 = performance.now();
    const m = this.host.model;
    m.set("backprop_step", k);
    m.save_changes();
  }

  /** The model's position changed (the page's buttons, or Python's w.backprop). */
  onStep() {
    const k = Number(this.host.model.get("backprop_step"));
    if (k < 0 || !this.steps || this.steps.error) return this.leave();
    this.show(Math.min(k, this.steps.k));
  }

  /** New steps (the values changed): the mode shows them at the same position. */
  onSteps() {
    this.load();
    if (this.k >= 0) this.onStep();
    if (this.leaf >= 0) this.onPaths();
  }

  show(k) {
    const h = this.host, st = h.structure(), s = h.scene(), steps = this.steps;
    const t0 = this.t0 ?? performance.now();
    this.t0 = null;
    this.k = k;
    const { grad, blank } = gradsAt(steps, st.n, st.root, k);
    grad.blank = blank;
    h.paint(steps.data, grad);
    const ctx = { labels: st.labels, ops: st.ops, exponents: st.exponents, root: st.root, kids: h.kids };
    const view = stepView(steps, k, ctx);
    const box = boxShowing(s, view.node, st.scopes, h.hidingBox, this.parent);
    const dependsOn = new Uint8Array(s.n);  // the operands' boxes: lit with the edges into the node
    for (const a of view.adds) { const b = boxShowing(s, a.child, st.scopes, h.hidingBox); if (b >= 0 && b !== box) dependsOn[b] = 1; }
    h.highlight(box, { dependsOn, dependents: new Uint8Array(s.n) });
    this.labels(stepLabels(s, view));
    this.bar.show(k, steps.k, view);
    h.root.dataset.backprop = "on";
    h.root.dataset.bpStep = String(k);
    h.afterPaint(() => { h.root.dataset.bpMs = (performance.now() - t0).toFixed(2); });
  }

  labels(list) {
    if (!this.overlay) this.overlay = new Overlay(this.host.stageWrap);
    this.overlay.set(list, this.host.vp());
  }

  /** The viewport moved: the labels follow. */
  place() {
    if (this.overlay) this.overlay.place(this.host.vp());
  }

  leave() {
    if (this.k < 0) return;
    this.k = -1;
    this.bar.hide();
    if (this.overlay) this.overlay.clear();
    delete this.host.root.dataset.bpStep;
    this.host.root.dataset.backprop = "off";
    this.host.restore();
    if (this.leaf >= 0) this.onPaths();
  }

  /** A box was selected: the output, then another node, shows the paths between them. */
  onSelect(prevNode, node) {
    const root = this.host.structure().root;
    if (prevNode === root && node >= 0 && node !== root) this.wantPaths(node);
    else if (this.leaf >= 0 && node !== this.leaf) this.wantPaths(-1);
  }

  wantPaths(leaf) {
    const m = this.host.model;
    if (Number(m.get("paths_leaf")) === leaf) return;
    if (leaf >= 0 && !this.steps && !this.host.request({ type: "paths", leaf })) {
      return this.host.error("the path view needs the steps of backward, which Python computes: run the cell with a kernel, or save the page with w.save_html(...)");
    }
    m.set("paths_leaf", leaf);
    m.save_changes();
  }

  /** The model's path leaf changed (a selection here, or Python's w.paths). */
  onPaths() {
    const h = this.host, leaf = Number(h.model.get("paths_leaf"));
    this.leaf = leaf;
    if (leaf < 0 || !this.steps || this.steps.error) {
      this.bar.hidePaths();
      if (this.k < 0 && this.overlay) this.overlay.clear();
      return;
    }
    const st = h.structure();
    const r = chainPaths(this.steps, st.n, st.root, leaf);
    this.bar.showPaths(r, shortName(st.labels, leaf), st.labels);
    if (this.k < 0) {
      h.select(leaf);
      this.labels(pathLabels(h.scene(), r, h.edgePoints));
    }
    h.root.dataset.paths = String(r.paths ? r.paths.length : 0);
  }
}
