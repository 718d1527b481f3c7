// SVG drawing, for small views (live, updated in place on each nudge) and for "Download SVG".

import { escapeXml, kindClass } from "./format.js";
import { gradStroke } from "./geometry.js";
import { outlineSvgBoxes } from "./overlay.js";
import { boxTexts, cellEdges, edgePoints, edgeStroke, maxAbsGrad, opEdge, routePath } from "./scene.js";

const NS = "http://www.w3.org/2000/svg";


/** SVG markup of the whole scene. `style` (CSS text) is embedded for standalone files. */
export function svgMarkup(s, data, grad, { showGrads = true, style = "", width, height, transform = "" } = {}) {
  const W = width ?? s.width, H = height ?? s.height;
  const box = typeof W === "number" ? ` viewBox="0 0 ${W} ${H}"` : "";
  const out = [`<svg xmlns="${NS}" class="gv-svg" width="${W}" height="${H}"${box}>`];
  if (style) out.push(`<style>${style}</style>`);
  out.push(`<rect class="gv-bg" x="0" y="0" width="${W}" height="${H}"/>`);
  out.push(`<g class="gv-world"${transform ? ` transform="${transform}"` : ""}>`);
  const m = maxAbsGrad(s, grad);
  out.push('<g class="gv-edges">');
  for (let k = 0; k < s.esrc.length; k++) {
    const st = edgeStroke(s, k, grad, m);
    out.push(`<path class="gv-edge gv-${st.sign}" data-e="${k}" d="${routePath(edgePoints(s, k), s.vertical)}" stroke-width="${quantWidth(st.width)}"/>`);
  }
  for (let k = 0; k < s.opBox.length; k++) {
    const b = s.opBox[k];
    const st = gradStroke(grad[s.node[b]], m);
    out.push(`<path class="gv-opedge gv-${st.sign}" d="${routePath(opEdge(s, k, b), s.vertical)}" stroke-width="${quantWidth(st.width)}"/>`);
  }
  out.push("</g><g class=\"gv-ops\">");
  for (let k = 0; k < s.opBox.length; k++) {
    const how = s.opHow && s.opHow[k] ? ` gv-op-${s.opHow[k] === "custom" ? "custom" : "none"}` : "";
    out.push(`<g class="gv-op${how}" data-op="${k}"><ellipse cx="${s.opX[k].toFixed(1)}" cy="${s.opY[k].toFixed(1)}" rx="${(s.opW[k] / 2).toFixed(1)}" ry="${(s.opH[k] / 2).toFixed(1)}"/>` +
      `<text x="${s.opX[k].toFixed(1)}" y="${s.opY[k].toFixed(1)}">${escapeXml(s.opName[k])}</text></g>`);
  }
  out.push("</g><g class=\"gv-boxes\">");
  for (let i = 0; i < s.n; i++) {
    const texts = boxTexts(s, i, data, grad, showGrads);
    const xs = cellEdges(s, i, texts);
    const x0 = s.x[i] - s.w[i] / 2, y0 = s.y[i] - s.h[i] / 2;
    let g = `<g class="gv-box ${kindClass(s.kinds[i])}" data-b="${i}"><rect x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${s.w[i].toFixed(1)}" height="${s.h[i].toFixed(1)}" rx="3"/>`;
    for (let c = 1; c < texts.length; c++) g += `<line x1="${xs[c].toFixed(1)}" y1="${y0.toFixed(1)}" x2="${xs[c].toFixed(1)}" y2="${(y0 + s.h[i]).toFixed(1)}"/>`;
    const cls = texts.length > 3 ? ["gv-t", "gv-s", "gv-d", "gv-g"] : ["gv-t", "gv-d", "gv-g"];
    for (let c = 0; c < texts.length; c++) g += `<text class="${cls[c]}" x="${((xs[c] + xs[c + 1]) / 2).toFixed(1)}" y="${s.y[i].toFixed(1)}">${escapeXml(texts[c])}</text>`;
    out.push(g + "</g>");
  }
  out.push("</g></g></svg>");
  return out.join("");
}

function restroke(e, look, sign, width) {
  if (look.sign !== sign) {
    e.classList.replace("gv-" + look.sign, "gv-" + sign);
    look.sign = sign;
  }
  if (look.width !== width) {
    e.setAttribute("stroke-width", width);
    look.width = width;
  }
}

/** The Text node inside element `e` (created if `e` is empty), to update with `.data`: writing a
 *  Text node's data re-lays out that text alone, where `textContent =` swaps in a new node. */
export function textNode(e) {
  if (!e) return null;
  if (!e.firstChild) e.append(document.createTextNode(""));
  return e.firstChild;
}

/** Stroke widths are drawn in quarter-pixel steps, so a small nudge leaves most edges untouched
 *  (each changed edge is a style recalculation and a repaint of its area). */
export function quantWidth(w) {
  return (Math.round(w * 4) / 4).toFixed(2);
}

/** The SVG renderer: built once per scene, values and highlights updated in place. Holds what each
 *  text and edge shows, so a repaint writes to the DOM only what changed and reads nothing back. */
export class SvgRenderer {
  constructor(container, scene, data, grad, showGrads) {
    this.s = scene;
    this.container = container;
    this.showGrads = showGrads;
    container.innerHTML = svgMarkup(scene, data, grad, { showGrads, width: "100%", height: "100%" });
    this.svg = container.firstChild;
    this.world = this.svg.querySelector(".gv-world");
    this.boxes = Array.from(this.svg.querySelectorAll(".gv-box"));
    this.dText = this.boxes.map((b) => textNode(b.querySelector(".gv-d")));
    this.gText = this.boxes.map((b) => textNode(b.querySelector(".gv-g")));
    this.dShown = this.dText.map((t) => (t ? t.data : null));
    this.gShown = this.gText.map((t) => (t ? t.data : null));
    this.edges = Array.from(this.svg.querySelectorAll(".gv-edge"));
    this.opEdges = Array.from(this.svg.querySelectorAll(".gv-opedge"));
    const look = (e) => ({ sign: /gv-(pos|neg|zero|nan)/.exec(e.getAttribute("class"))[1], width: e.getAttribute("stroke-width") });
    this.edgeLook = this.edges.map(look);
    this.opEdgeLook = this.opEdges.map(look);
    this.setValues(data, grad);
  }

  /** Show new values. With `rect` ([x0, y0, x1, y1] in world units, the visible part), only the
   *  records inside it get their texts now: each changed SVG text costs a text layout (~40 µs here),
   *  so the frame that answers a nudge lays out what can be seen; `flush()` does the rest after it. */
  setValues(data, grad, rect = null) {
    const s = this.s;
    this.pending = null;
    for (let i = 0; i < s.n; i++) {
      if (rect && (s.x[i] + s.w[i] / 2 < rect[0] || s.x[i] - s.w[i] / 2 > rect[2] ||
        s.y[i] + s.h[i] / 2 < rect[1] || s.y[i] - s.h[i] / 2 > rect[3])) {
        this.pending = [data, grad];
        continue;
      }
      this._texts(i, data, grad);
    }
    const m = maxAbsGrad(s, grad);
    for (let k = 0; k < this.edges.length; k++) {
      const st = edgeStroke(s, k, grad, m);
      restroke(this.edges[k], this.edgeLook[k], st.sign, quantWidth(st.width));
    }
    for (let k = 0; k < this.opEdges.length; k++) {
      const st = gradStroke(grad[s.node[s.opBox[k]]], m);
      restroke(this.opEdges[k], this.opEdgeLook[k], st.sign, quantWidth(st.width));
    }
  }

  _texts(i, data, grad) {
    if (this.s.cells) return; // a PyTorch graph's texts are fixed (read-only)
    const t = boxTexts(this.s, i, data, grad, this.showGrads);
    if (this.dText[i] && this.dShown[i] !== t[1]) { this.dText[i].data = t[1]; this.dShown[i] = t[1]; }
    if (this.gText[i] && t[2] !== undefined && this.gShown[i] !== t[2]) { this.gText[i].data = t[2]; this.gShown[i] = t[2]; }
  }

  /** Bring the records left out by the last setValues up to date. */
  flush() {
    if (!this.pending) return;
    const [data, grad] = this.pending;
    this.pending = null;
    for (let i = 0; i < this.s.n; i++) this._texts(i, data, grad);
  }

  setTransform(vp, lod) {
    this.flush();  // records coming into view must show current values
    this.world.setAttribute("transform", `translate(${vp.tx.toFixed(2)},${vp.ty.toFixed(2)}) scale(${vp.scale.toFixed(5)})`);
    this.svg.dataset.lod = lod;
  }

  /** Mark the boxes whose node disagrees with gradviz's reference: `marks[b]` is "grad" (its grad
   *  differs), "forward" (its data disagrees with the op's forward) or "" (reference.js). */
  setMarks(marks) {
    for (let i = 0; i < this.s.n; i++) {
      const c = this.boxes[i].classList;
      c.toggle("gv-mismatch", marks[i] === "grad");
      c.toggle("gv-badfwd", marks[i] === "forward");
    }
  }

  /** sel: selected box or -1; masks from lineage(); dims everything else when something is selected. */
  setHighlight(sel, masks, matches) {
    const s = this.s;
    this.svg.classList.toggle("gv-has-sel", sel >= 0);
    for (let i = 0; i < s.n; i++) {
      const c = this.boxes[i].classList;
      c.toggle("gv-sel", i === sel);
      c.toggle("gv-anc", !!(masks && masks.dependsOn[i]));
      c.toggle("gv-desc", !!(masks && masks.dependents[i]));
      c.toggle("gv-match", !!(matches && matches.has(i)));
    }
    for (let k = 0; k < this.edges.length; k++) {
      const a = s.esrc[k], b = s.edst[k];
      const on = sel >= 0 && masks && ((a === sel || masks.dependsOn[a]) && (b === sel || masks.dependsOn[b]) ||
        (a === sel || masks.dependents[a]) && (b === sel || masks.dependents[b]));
      this.edges[k].classList.toggle("gv-on", !!on);
    }
  }

  /** An overlay's style per box (overlay.js boxStyles), or null: outlines the marked boxes. */
  setOverlay(styles) { outlineSvgBoxes(this.boxes, this.s, styles); }

  destroy() {
    this.container.innerHTML = "";
  }
}
