// The panels around the drawing: the last nudge's effect on the output, the selection (with its
// group actions), the status line, the error line and the legend of marked ops. Each has a pure
// function deciding what it says, unit-tested, and a small class writing that into the page.

import { button, h } from "./dom.js";
import { NO_ANSWER, NOT_CONNECTED } from "./connection.js";
import { fmt4, fmtFull, nodeTitle } from "./format.js";
import { groupActions } from "./groups.js";
import { textNode } from "./svg.js";

/** A change, in the output panel: 6 decimals, or 4 significant digits in exponent form when tiny. */
export function fmtChange(x) {
  if (!Number.isFinite(x)) return fmtFull(x);
  return Math.abs(x) >= 1e-4 || x === 0 ? x.toFixed(6) : x.toExponential(4);
}

export const OUT_ROWS = ["output", "last change", "before", "after", "predicted (grad × Δ)", "actual", "where"];

/** The output panel's cells, one per OUT_ROWS entry (null: row hidden). `nudge`: the last change
 *  ({kind, what, before, after, predicted, actual}, or {}); `where`: "" or where it was computed. */
export function outputCells(rootName, rootValue, nudge, where) {
  const num = (x) => Number(x);  // NaN and infinities travel as strings ("NaN", "Infinity")
  if (rootValue === undefined) return OUT_ROWS.map((_, k) => (k === 0 ? "none: the graph is empty" : null));
  const vals = [`${rootName} = ${fmt4(rootValue)}`];
  if (nudge.kind) vals.push(nudge.what || nudge.kind);
  if (nudge.kind && "before" in nudge) {
    vals.push(fmt4(num(nudge.before)), fmt4(num(nudge.after)), fmtChange(num(nudge.predicted)), fmtChange(num(nudge.actual)));
  }
  return OUT_ROWS.map((_, k) => (k === OUT_ROWS.length - 1 ? (where || null) : k < vals.length ? vals[k] : null));
}

export class OutputPanel {
  /** Built once; each update rewrites the Text nodes of its value cells. */
  constructor(section) {
    this.rows = OUT_ROWS.map((k) => {
      const td = h("td", { class: "gv-n" });
      return { tr: h("tr", {}, h("th", { scope: "row", text: k }), td), text: textNode(td) };
    });
    section.append(h("h4", { text: "output" }), h("table", { "aria-label": "last nudge" }, ...this.rows.map((r) => r.tr)));
  }

  update(cells) {
    this.rows.forEach((r, k) => {
      const shown = cells[k] !== null;
      if (r.tr.hidden === shown) r.tr.hidden = !shown;
      if (shown && r.text.data !== cells[k]) r.text.data = cells[k];
    });
  }
}

/** The status line: {text, state} for the link's state (`live`), a request left unanswered
 *  (`noAnswer`, after `waitS` seconds) and a picture older than the Values (`stale`: the text). */
export function statusOf(live, noAnswer, stale, waitS) {
  if (!live) return { text: NOT_CONNECTED, state: "saved" };
  if (noAnswer) return { text: NO_ANSWER(waitS), state: "waiting" };
  if (stale) return { text: stale, state: "stale" };
  return { text: "", state: "live" };
}

/** What the selection panel says of box `b` (or node `id` when it has no box): {title, text,
 *  expand: [group keys], collapse: [group keys]}; null when nothing is selected. */
export function selectionInfo(scene, structure, b, selNode) {
  if (b < 0 && selNode < 0) return null;
  const s = scene, S = structure;
  const id = b >= 0 ? s.node[b] : selNode;
  const group = b >= 0 ? s.group[b] : "";
  const title = group ? `group ${group}` : nodeTitle(S.labels[id], S.ops[id], id);
  const text = group ? `${s.size[b]} values; shows its output's data and grad`
    : `${S.kinds[id]}${S.ops[id] ? ", op " + S.ops[id] : ""}${S.scopes[id] ? ", in " + S.scopes[id] : ""}`;
  const acts = groupActions(group, group ? "" : S.scopes[id], s.collapsed, b >= 0);
  return { title, text, expand: acts.expand, collapse: acts.collapse, collapseAll: s.expanded.length > 0 };
}

/** Write selectionInfo into `section`, with buttons calling `on.expand(key)`, `on.collapse(key)`
 *  and `on.collapseAll()`. */
export function renderInfo(section, info, on) {
  if (!info) { section.replaceChildren(); return; }
  const kids = [h("h4", { text: info.title }), h("p", { text: info.text })];
  for (const key of info.expand) {
    const e = button(`Expand ${key}`, "show the values inside this group");
    e.onclick = () => on.expand(key);
    kids.push(e);
  }
  for (const key of info.collapse) {
    const c = button(`Collapse ${key}`, "fold this group into one box");
    c.onclick = () => on.collapse(key);
    kids.push(c);
  }
  if (info.collapseAll) {
    const r = button("Collapse all", "fold the groups as they were first shown");
    r.onclick = () => on.collapseAll();
    kids.push(r);
  }
  section.replaceChildren(...kids);
}

/** Show `msg` in the alert line (hidden when empty). */
export function showError(alert, msg) {
  alert.textContent = msg || "";
  alert.hidden = !msg;
}

/** The legend's entries: one [how, meaning] per kind of marked op the drawing has ("custom",
 *  "none"), from the scene's opHow and the constants' opMarks texts. */
export function legendEntries(opHow, marks) {
  const seen = new Set(opHow.filter(Boolean));
  return ["custom", "none"].filter((k) => seen.has(k)).map((k) => [k, (marks && marks[k]) || k]);
}

/** Write the legend (a dashed ellipse swatch and its meaning per entry) into `el`; hidden if none. */
export function renderLegend(el, entries) {
  el.replaceChildren(...entries.flatMap(([k, text]) => [h("span", { class: `gv-swatch gv-swatch-${k}`, "aria-hidden": "true" }), h("span", { text: `dashed op: ${text}` })]));
  el.hidden = !entries.length;
}
