// The leaf controls: a slider and a number box per input and parameter (only the selected leaf's
// when there are many). They report what the user sets through `onSet(id, value, t0)` and bad
// input through `onError(message)`, read a leaf's current value with `valueOf(id)`, and update()
// shows new values without fighting the user's typing.

import { h } from "./dom.js";
import { fmtFull, kindClass, nodeTitle, parseNumber, shortLabel, watchDropped } from "./format.js";

export const MAX_CONTROLS = 20;  // above this only the selected leaf's controls are shown

/** Slider range around a leaf's initial value: [v - s, v + s], s = max(1, |v|), 200 steps. */
export function sliderRange(v0) {
  const v = Number.isFinite(v0) ? v0 : 0;
  const s = Math.max(1, Math.abs(v));
  return { min: v - s, max: v + s, step: s / 100 };
}

/** The leaves that get controls: all of `ids`, or only the selected one when there are more than
 *  `max` (none while no leaf is selected). */
export function shownControls(ids, selNode, max = MAX_CONTROLS) {
  if (ids.length <= max) return ids;
  return ids.includes(selNode) ? [selNode] : [];
}

/** What a number box shows after new values: its text stays while the user is typing in it
 *  (focused, and the text differs from what was last shown), else the new value. */
export function keepTyping(focused, text, shown) {
  return focused && Number(text) !== shown;
}

export class LeafControls {
  constructor(section, { onSet, onError, valueOf }) {
    this.section = section;
    this.valueOf = valueOf;
    this.onSet = onSet;
    this.onError = onError;
    this.rows = new Map();  // leaf id -> {num, slider, range, shown}
  }

  /** Rebuild for `structure` with values `data`; a read-only graph gets its reason instead. */
  build(structure, data, selNode) {
    this.rows.clear();
    // Python's notice for a very big graph: where to look at it instead (Model Explorer)
    const notice = structure.notice ? [h("p", { class: "gv-note gv-notice", text: structure.notice })] : [];
    if (structure.readonly) {
      this.section.replaceChildren(...notice, h("p", { class: "gv-note", text: structure.readonly }));
      return;
    }
    const ids = structure.controls;
    const shown = shownControls(ids, selNode);
    const kids = [...notice, h("h4", { text: ids.length ? `leaves (${ids.length})` : "no leaves to nudge" })];
    if (ids.length > MAX_CONTROLS) {
      kids.push(h("p", { class: "gv-note", text: shown.length ? "" : `${ids.length} leaves: click a leaf in the graph or search its label to nudge it.` }));
    }
    for (const id of shown) kids.push(this._row(structure, data, id));
    this.section.replaceChildren(...kids);
  }

  _row(structure, data, id) {
    const name = structure.labels[id] || `#${id}`; // as the table lists it (its title says the rest)
    const v = data[id];
    const r = sliderRange(structure.control_init[structure.controls.indexOf(id)]);
    const slider = h("input", { type: "range", "aria-label": `${name} slider`, min: r.min, max: r.max, step: r.step, value: v });
    const num = h("input", { type: "number", "aria-label": name, step: "any", value: String(v), class: "gv-num" });
    const ctl = { num, slider, range: r, shown: v };
    slider.addEventListener("input", (ev) => {
      num.value = slider.value;
      ctl.shown = Number(slider.value);
      this.onSet(id, Number(slider.value), ev.timeStamp || performance.now());
    });
    let lastSent = null;
    const dropped = watchDropped(num);
    const commit = (ev) => {
      const p = parseNumber(num.value, num.validity.badInput, dropped());
      dropped.clear();
      const now = this.valueOf(id);
      if (p.error) { // say so, put the current value back, send nothing
        num.value = String(now);
        ctl.shown = now;
        return this.onError(`${p.error}: type a finite number for ${shortLabel(name)} (it stays ${fmtFull(now)})`);
      }
      const x = p.value;
      if (x === lastSent && x === now) return;
      lastSent = x;
      ctl.shown = x;
      this.onSet(id, x, ev.timeStamp || performance.now());
    };
    num.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); commit(ev); } });
    num.addEventListener("change", commit);
    this.rows.set(id, ctl);
    return h("div", { class: `gv-ctl ${kindClass(structure.kinds[id])}` }, h("span", { class: "gv-ctl-name", text: shortLabel(name), title: nodeTitle(structure.labels[id], "", id) }), slider, num);
  }

  /** Show `data`; a slider's range widens to take a value outside it. */
  update(data) {
    for (const [id, c] of this.rows) {
      const v = data[id];
      const focused = c.num.getRootNode().activeElement === c.num;
      if (!keepTyping(focused, c.num.value, c.shown)) { c.num.value = String(v); c.shown = v; }
      if (v < Number(c.slider.min)) c.slider.min = String(v);
      if (v > Number(c.slider.max)) c.slider.max = String(v);
      if (Number(c.slider.value) !== v) c.slider.value = String(v);
    }
  }

  /** Nothing computed the last change (no kernel): the boxes show the picture's values again. */
  revert(data) {
    for (const c of this.rows.values()) c.shown = Number(c.num.value);
    this.update(data);
  }
}
