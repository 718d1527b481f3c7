// The drawn scene: the view the kernel laid out (value records, group boxes, op ellipses, edges)
// turned into typed arrays, plus the text of each record.

import { fmt4, shortLabel } from "./format.js";
import { gradStroke } from "./geometry.js";

export const CHAR_W = 7.2; // px per character of the 12 px monospace font

/** Build the scene from the `view` trait (see gradviz/widget.py, _view_payload). */
export function makeScene(view, structure) {
  const n = view.box_x.length;
  const s = {
    n,
    width: view.width, height: view.height,
    x: Float64Array.from(view.box_x), y: Float64Array.from(view.box_y),
    w: Float64Array.from(view.box_w), h: Float64Array.from(view.box_h),
    node: Int32Array.from(view.box_node),
    group: view.box_group, size: view.box_size, title: view.box_title,
    cells: structure.cells || null, // a PyTorch graph: [shape, value, grad] texts per node, from Python
    multi: view.box_multi || new Array(n).fill(0),
    opBox: Int32Array.from(view.op_box), opX: Float64Array.from(view.op_x),
    opY: Float64Array.from(view.op_y), opW: Float64Array.from(view.op_w),
    opH: Float64Array.from(view.op_h), opName: view.op_name,
    esrc: Int32Array.from(view.edge_src), edst: Int32Array.from(view.edge_dst),
    ePtr: Int32Array.from(view.edge_ptr || []), ePts: Float64Array.from(view.edge_pts || []),
    collapsed: view.collapsed || [], expanded: view.expanded || [],
    kinds: new Array(n),
  };
  s.opOf = new Int32Array(n).fill(-1);
  for (let k = 0; k < s.opBox.length; k++) s.opOf[s.opBox[k]] = k;
  s.boxOfNode = new Map();
  for (let i = 0; i < n; i++) {
    s.kinds[i] = s.group[i] ? "group" : structure.kinds[s.node[i]];
    if (!s.group[i]) s.boxOfNode.set(s.node[i], i);
  }
  return s;
}

/** Texts of box i: [title, "data ...", "grad ..."] (no grad cell when grads are hidden); a
 *  PyTorch graph's: [label or op, shape, value, grad] as Python wrote them (gradviz/summary.py). */
export function boxTexts(s, i, data, grad, showGrads) {
  const id = s.node[i];
  if (s.multi[i]) return [s.title[i], `${s.multi[i]} outputs`];
  if (s.cells) {
    const c = s.cells[id];
    return [s.title[i] || shortLabel(s.opName[s.opOf[i]] || ""), ...(showGrads ? c : c.slice(0, -1))];
  }
  const t = [s.title[i], "data " + fmt4(data[id])];
  if (showGrads) t.push("grad " + fmt4(grad[id]));
  return t;
}

/** Cell boundaries of box i: each cell its text's width plus padding (the layout's rule), scaled
 *  to the box's width. */
export function cellEdges(s, i, texts) {
  const w = s.w[i], x0 = s.x[i] - w / 2;
  const lens = texts.map((t) => Math.max(1, t.length) * CHAR_W + 12);
  const total = lens.reduce((a, b) => a + b, 0);
  const edges = [x0];
  let acc = x0;
  for (const l of lens) { acc += (w * l) / total; edges.push(acc); }
  return edges;
}

/** The largest |grad| among the nodes shown, for edge widths. */
export function maxAbsGrad(s, grad) {
  let m = 0;
  for (let i = 0; i < s.n; i++) {
    const g = Math.abs(grad[s.node[i]]);
    if (Number.isFinite(g) && g > m) m = g;
  }
  return m;
}

/** Stroke of edge k: colour class and width from the gradient of its source (dL/d source). */
export function edgeStroke(s, k, grad, maxAbs) {
  return gradStroke(grad[s.node[s.esrc[k]]], maxAbs);
}

/** The route of edge k as a flat [x0, y0, x1, y1, ...] array: from the right side of the child's
 *  record to the parent's op ellipse (or record), bending where it crosses other ranks. Falls back
 *  to a straight two-point route when the view has no routes. */
export function edgePoints(s, k) {
  if (s.ePtr.length > k + 1 && s.ePtr[k + 1] - s.ePtr[k] >= 4) return s.ePts.subarray(s.ePtr[k], s.ePtr[k + 1]);
  const a = s.esrc[k], b = s.edst[k];
  const op = s.opOf[b];
  const end = op >= 0 ? [s.opX[op] - s.opW[op] / 2, s.opY[op]] : [s.x[b] - s.w[b] / 2, s.y[b]];
  return Float64Array.of(s.x[a] + s.w[a] / 2, s.y[a], end[0], end[1]);
}

/** Bounding box [x0, y0, x1, y1] of a flat point array. */
export function pointsBox(p) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let j = 0; j < p.length; j += 2) {
    x0 = Math.min(x0, p[j]); x1 = Math.max(x1, p[j]);
    y0 = Math.min(y0, p[j + 1]); y1 = Math.max(y1, p[j + 1]);
  }
  return [x0, y0, x1, y1];
}

/** SVG path data through the points, each segment a horizontal-tangent cubic (Graphviz-like). */
export function routePath(p) {
  const f = (v) => v.toFixed(1);
  let d = `M${f(p[0])},${f(p[1])}`;
  for (let j = 2; j < p.length; j += 2) {
    const x0 = p[j - 2], y0 = p[j - 1], x1 = p[j], y1 = p[j + 1], mx = (x0 + x1) / 2;
    d += ` C${f(mx)},${f(y0)} ${f(mx)},${f(y1)} ${f(x1)},${f(y1)}`;
  }
  return d;
}
