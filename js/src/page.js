// The kernel's part, played by the page itself, for a standalone HTML page (gradviz.to_html):
// a stand-in anywidget model over the saved state, and an engine that answers the widget's
// messages (set, step, reset) with the page's replay (replay.js: the engine's formulas) and the
// page's change rules (local.js), the way GraphWidget's message handlers (_HANDLERS in
// gradviz/widget/graph_widget.py) do in Python. No Python, no kernel, no network.
import { decodeColumn, decodeExponents, toFloat64, toInt32 } from "./decode.js";
import { nodeName } from "./format.js";
import { compileReplay, ReplayError } from "./replay.js";
import { changeBase, changeText, replayChange, resetChanges, stepChanges, stepText } from "./local.js";

/** Decode the page's JSON state: {"$bytes": base64} -> DataView, {"$float": "NaN"|...} -> number. */
export function decodeState(v) {
  if (Array.isArray(v)) return v.map(decodeState);
  if (!v || typeof v !== "object") return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === "$bytes") {
    const s = atob(v.$bytes);
    const u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    return new DataView(u.buffer);
  }
  if (keys.length === 1 && keys[0] === "$float") return Number(v.$float === "-Infinity" ? -Infinity : v.$float);
  return Object.fromEntries(keys.map((k) => [k, decodeState(v[k])]));
}

const GROUPS_NEED_PYTHON = "groups open and close in Python (w.expand(...), then save_html again): this page shows the view it was saved with";

/** The other orientation, as gradviz.widget.state's _turned: top to bottom <-> left to right. */
const turned = (rankdir) => (rankdir === "TB" || rankdir === "BT" ? "LR" : "TB");

/** Forward and backward of the saved graph, answering the widget's messages like GraphWidget does. */
export class PageEngine {
  /** `state`: decoded widget state; `init`: every node's data at construction (leaves are read). */
  constructor(state, init) {
    const s = state._structure;
    this.labels = decodeColumn(s.labels);
    const ops = (this.ops = decodeColumn(s.ops));
    const ptr = toInt32(state._child_ptr), idx = toInt32(state._child_idx);
    this.n = s.n;
    this.root = s.root;
    this.controls = s.controls;
    this.init = toFloat64(init);
    this.leaf = new Uint8Array(this.n);
    for (let i = 0; i < this.n; i++) this.leaf[i] = ptr[i + 1] === ptr[i] ? 1 : 0;
    this.tape = s.readonly ? null : compileReplay(ops, this.labels, ptr, idx, s.constants?.opErrors, decodeExponents(s.exponents));
    this.data = Float64Array.from(toFloat64(state._data));
    this.grad = Float64Array.from(toFloat64(state._grad));
    // A folded view saved with its every value drawn (_view_open, by rankdir): expand opens every
    // group at once (no Python here to lay out one), collapse and reset fold them back.
    this.views = state._view_open
      ? { open: state._view_open, folded: { [state.rankdir]: state._view, [turned(state.rankdir)]: state._view_other } }
      : null;
  }

  name(i) {
    return nodeName(this.labels[i], this.ops[i], Number(i));
  }

  /** Handle one message; returns the state keys to change (as the kernel's answer would).
   *  `state`: the page's state now (its rankdir picks the saved view a group message shows). */
  handle(msg, state = {}) {
    const patch = {};
    try {
      if (msg.type === "set") {
        const changes = {};
        for (const [k, v] of Object.entries(msg.values || {})) {
          const i = Number(k);
          if (!Number.isInteger(i) || i < 0 || i >= this.n) throw new ReplayError(`IndexError: node id ${k} out of range: the graph has ids 0..${this.n - 1}`);
          if (!this.leaf[i]) throw new ReplayError(`ValueError: ${this.name(i)} is computed by an op, not a leaf; nudge one of the leaves it depends on instead`);
          if (typeof v !== "number" || !Number.isFinite(v)) throw new ReplayError(`ValueError: value must be finite, got ${v}`);
          changes[i] = v;
        }
        this.apply(changes, "set", changeText(changes, this.labels), patch);
      } else if (msg.type === "step") {
        const lr = msg.lr ?? 0.01;
        if (typeof lr !== "number" || !Number.isFinite(lr)) throw new ReplayError(`ValueError: lr must be finite, got ${lr}`);
        if (!this.tape) throw new ReplayError("this page shows a picture only: its graph cannot be re-run here");
        const base = changeBase(this.tape, this.data, this.grad);
        this.apply(stepChanges(this.controls, base.data, base.grad, lr), "step", stepText(lr), patch);
      } else if (msg.type === "recompute") {
        this.apply({}, "recompute", "recomputed forward and backward", patch);
      } else if (msg.type === "reset") {
        this.apply(resetChanges(this.leaf, this.init), "reset", "reset", patch);
      } else if (msg.type === "expand" || msg.type === "collapse" || msg.type === "reset_view") {
        this.regroup(msg.type === "expand" ? "open" : "folded", state.rankdir, patch);
      }
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
      patch.error = e.message;
    }
    if (msg.req != null) patch._ack = Number(msg.req);
    return patch;
  }

  /** Show the saved view `which` ("open" or "folded") laid out `rankdir`, if the page has it. */
  regroup(which, rankdir, patch) {
    const view = this.views && this.views[which][rankdir];
    if (!view) { patch.error = GROUPS_NEED_PYTHON; return; }
    patch._view = view;
    patch._view_other = this.views[which][turned(rankdir)] ?? null;
    patch.error = "";
  }

  /** Set leaves, re-run forward and backward; all or nothing (a ReplayError leaves every value). */
  apply(changes, kind, what, patch) {
    if (!this.tape) throw new ReplayError("this page shows a picture only: its graph cannot be re-run here");
    const r = replayChange(this.tape, this.data, this.grad, changes, this.root, what, kind);
    this.data = r.data;
    this.grad = r.grad;
    patch._data = new DataView(r.data.buffer.slice(0));
    patch._grad = new DataView(r.grad.buffer.slice(0));
    patch.error = "";
    patch.last_nudge = r.nudge;
  }
}

/** The anywidget model interface (get/set/on/off/save_changes/send) over a plain object, with
 *  `send` answered by a PageEngine after the current task, as a kernel's answer would come. */
export class PageModel {
  constructor(state, engine) {
    this.state = state;
    this.engine = engine;
    this.handlers = new Map();
  }

  get(key) { return this.state[key]; }

  set(key, value) { this.update({ [key]: value }); }

  on(ev, fn) {
    if (!this.handlers.has(ev)) this.handlers.set(ev, []);
    this.handlers.get(ev).push(fn);
  }

  off(ev, fn) {
    if (!ev) { this.handlers.clear(); return; }
    this.handlers.set(ev, (this.handlers.get(ev) || []).filter((f) => fn && f !== fn));
  }

  save_changes() {}

  send(msg) {
    queueMicrotask(() => this.update(this.engine.handle(msg, this.state)));
  }

  /** Change keys and fire their change events (every key in `patch`, changed or not: the widget
   *  waits for `_ack` even when it repeats). */
  update(patch) {
    Object.assign(this.state, patch);
    for (const k of Object.keys(patch)) for (const fn of (this.handlers.get(`change:${k}`) || []).slice()) fn();
  }
}
