// The table of every value (label, op, data, grad), paged for big graphs. Cells hold Text nodes
// and a repaint writes only the texts that changed; while answering a nudge it writes only the
// rows in the table's scrolled view, and the rest after the frame (see update).

import { button, h } from "./dom.js";
import { fmt4, shortLabel } from "./format.js";
import { textNode } from "./svg.js";
import { markOf, referenceCell } from "./reference.js";

export const PAGE = 100;  // rows per page

/** Which rows a table of `n` values shows on `page`: every row up to 2 pages' worth, else one page.
 *  Returns {paged, pages, page (clamped), lo, hi}. */
export function pageWindow(n, page, size = PAGE) {
  const pages = Math.max(1, Math.ceil(n / size));
  const paged = n > 2 * size;
  page = Math.max(0, Math.min(page, pages - 1));
  const lo = paged ? page * size : 0, hi = paged ? Math.min(n, lo + size) : n;
  return { paged, pages, page, lo, hi };
}

/** The page that holds node `id` in a table of `n` values (0 when unpaged). */
export function pageOf(id, n, size = PAGE) {
  return n > 2 * size ? Math.floor(id / size) : 0;
}

/** Rows [lo, hi) within the table's scrolled view, 2 rows of margin: `box` = {top0, rowH} (first
 *  row's offset and the row height), `scroll` = [scrollTop, view height], `count` rows. */
export function visibleRows(box, scroll, count) {
  const [top, hgt] = scroll;
  const lo = Math.max(0, Math.floor((top - box.top0) / box.rowH) - 2);
  const hi = Math.min(count, Math.ceil((top + hgt - box.top0) / box.rowH) + 2);
  return [lo, hi];
}

/** The texts of a row's data and grad cells: a PyTorch graph's summaries as Python wrote them; an
 *  empty grad where `grad.blank` marks a value the Backprop mode has not reached. */
export function cellTexts(structure, i, data, grad) {
  const c = structure.cells && structure.cells[i];
  return c ? [c[1], c[2]] : [fmt4(data[i]), grad.blank && grad.blank[i] ? "" : fmt4(grad[i])];
}

export class ValueTable {
  /** `wrap`: the scrolling element holding `table` and `pager`. */
  constructor(wrap, table, pager) {
    this.wrap = wrap; this.table = table; this.pager = pager;
    this.page = 0; this.rows = []; this.box = null; this.scroll = [0, 0]; this.stale = false;
    this.structure = null; this.data = null; this.grad = null;
    this.ref = null;  // gradviz's reference beside the Values' own grads (reference.js), or null
  }

  /** Rebuild the rows for `structure` (the page holding `selNode` if asked to follow it). */
  build(structure, selNode, data, grad) {
    this.structure = structure; this.data = data; this.grad = grad;
    const n = structure.n;
    const w = pageWindow(n, this.page);
    this.page = w.page;
    const cols = ["label", "op", "data", "grad"];
    if (this.ref) cols.push("gradviz grad");
    const head = h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col", text: c }))));
    const body = h("tbody");
    this.rows = [];
    const { labels, ops } = structure;
    for (let i = w.lo; i < w.hi; i++) {
      const d = h("td", { class: "gv-n" }), g = h("td", { class: "gv-n" });
      const tr = h("tr", { "data-node": String(i) },
        // an unlabelled node (micrograd's Values have no label) by its id, as hovers and errors name it
        labels[i]
          ? h("th", { scope: "row", text: shortLabel(labels[i]), title: labels[i] })
          : h("th", { scope: "row", text: `#${i}`, class: "gv-dim", title: `unlabelled node #${i}` }),
        h("td", { text: shortLabel(ops[i]), title: ops[i] || null }), d, g);
      const r = this.ref ? h("td", { class: "gv-n gv-ref" }) : null;
      if (r) tr.append(r);
      if (i === selNode) tr.setAttribute("aria-selected", "true");
      body.append(tr);
      this.rows.push({ i, tr, d: textNode(d), g: textNode(g), r: r && textNode(r), mark: "" });
    }
    this.box = null;
    this.table.replaceChildren(h("caption", { text: w.paged ? `values ${w.lo + 1}–${w.hi} of ${n}` : `${n} values` }), head, body);
    this.pager.replaceChildren();
    if (w.paged) {
      const prev = button("Previous page", ""), next = button("Next page", "");
      prev.disabled = w.page === 0; next.disabled = w.page >= w.pages - 1;
      prev.onclick = () => { this.page--; this.build(this.structure, selNode, this.data, this.grad); };
      next.onclick = () => { this.page++; this.build(this.structure, selNode, this.data, this.grad); };
      this.pager.append(prev, h("span", { text: ` page ${w.page + 1} of ${w.pages} ` }), next);
    }
    this.update(data, grad);
  }

  /** Turn to the page holding node `id`. */
  follow(id) {
    if (id >= 0 && this.structure) this.page = pageOf(id, this.structure.n);
  }

  /** Show `data` and `grad`. With `visibleOnly`, only the rows in the scrolled view (each changed
   *  text costs a text layout); the others are marked stale for flush(). */
  update(data, grad, visibleOnly = false) {
    this.data = data; this.grad = grad;
    let lo = 0, hi = this.rows.length;
    if (visibleOnly && this.box) {
      [lo, hi] = visibleRows(this.box, this.scroll, this.rows.length);
      this.stale = lo > 0 || hi < this.rows.length;
    }
    for (let k = lo; k < hi; k++) {
      const r = this.rows[k];
      const [ds, gs] = cellTexts(this.structure, r.i, data, grad);
      if (r.d.data !== ds) r.d.data = ds;
      if (r.g.data !== gs) r.g.data = gs;
      if (r.r) {
        const rs = referenceCell(this.ref, r.i, fmt4);
        if (r.r.data !== rs) r.r.data = rs;
        const mark = markOf(this.ref, r.i);
        if (r.mark !== mark) { r.tr.classList.toggle("gv-mismatch", !!mark); r.mark = mark; }
      }
    }
  }

  /** Bring the rows left out by update(..., true) up to date. */
  flush() {
    if (!this.stale) return;
    this.stale = false;
    this.update(this.data, this.grad);
  }

  /** Row geometry, read once after a frame (when layout is clean), never while painting. */
  measure() {
    if (this.box || this.rows.length < 2) return;
    const wrap = this.wrap.getBoundingClientRect();
    const first = this.rows[0].tr.getBoundingClientRect(), last = this.rows[this.rows.length - 1].tr.getBoundingClientRect();
    const rowH = (last.top - first.top) / (this.rows.length - 1);
    if (rowH > 0) this.box = { top0: first.top - wrap.top + this.wrap.scrollTop, rowH };
    this.scroll = [this.wrap.scrollTop, this.wrap.clientHeight];
  }

  /** Follow the wrap's scrolling and size (so painting never reads layout). Returns a disposer. */
  watch() {
    const ro = new ResizeObserver(([e]) => { this.scroll = [this.scroll[0], e.contentRect.height]; });
    ro.observe(this.wrap);
    const onScroll = () => { this.scroll = [this.wrap.scrollTop, this.scroll[1]]; this.flush(); };
    this.wrap.addEventListener("scroll", onScroll, { passive: true });
    return () => { ro.disconnect(); this.wrap.removeEventListener("scroll", onScroll); };
  }
}
