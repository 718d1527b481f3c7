// The drawn scene: the view the kernel laid out (value records, group boxes, op ellipses, edges)
// turned into typed arrays, plus the text of each record.

import { fmt4, shortLabel } from "./format.js";
import { decodeColumn, decodeNumbers, typed } from "./decode.js";
import { gradStroke } from "./geometry.js";

/** Build the scene from the `_view` trait (see gradviz/widget/state.py, ExplorerState.view): geometry as
 *  binary buffers; a view of every value (`identity`) takes box ids, titles, op names and edges
 *  (one per operand slot) from the structure and its CSR children (childPtr, childIdx). The
 *  character width and the record font size (`charW`, `fontPx`) come from the structure's
 *  constants (gradviz/theme.py), as Python's layout sized the records with them. */
export function makeScene(view, structure, childPtr, childIdx) {
  const charW = structure.constants && structure.constants.charWidth;
  if (!(charW > 0)) throw new Error("the widget's structure has no constants.charWidth: the page and the kernel's gradviz differ; restart the kernel and re-run the cell");
  const fontPx = structure.constants.fontSize;  // the record text's size (gradviz.theme.FONT_SIZE)
  if (!(fontPx > 0)) throw new Error("the widget's structure has no constants.fontSize: the page and the kernel's gradviz differ; restart the kernel and re-run the cell");
  const fieldPad = structure.constants.fieldPad ?? 6;  // px each side of a record field's text (gradviz.theme.FIELD_PAD)
  const x = decodeNumbers(view.box_x), n = x.length;
  const id = !!view.identity;
  const s = {
    n, charW, fontPx, fieldPad,
    width: view.width, height: view.height,
    x, y: decodeNumbers(view.box_y), w: decodeNumbers(view.box_w), h: decodeNumbers(view.box_h),
    node: id ? iota(n) : typed(view.box_node, Int32Array),
    group: id ? new Array(n).fill("") : decodeColumn(view.box_group),
    size: id ? new Int32Array(n).fill(1) : typed(view.box_size, Int32Array),
    title: namedControls(view.box_title ? decodeColumn(view.box_title) : structure.labels, id ? iota(n) : typed(view.box_node, Int32Array), structure),
    cells: structure.cells || null, // a PyTorch graph: [shape, value, grad] texts per node, from Python
    multi: id || !view.box_multi ? new Int32Array(n) : typed(view.box_multi, Int32Array),
    opX: decodeNumbers(view.op_x), opY: decodeNumbers(view.op_y),
    opW: decodeNumbers(view.op_w), opH: decodeNumbers(view.op_h),
    collapsed: view.collapsed || [], expanded: view.expanded || [],
    kinds: new Array(n),
    ...direction(view.rankdir),
  };
  if (view.op_box == null) {  // every computed value has its op ellipse
    const ops = [];
    for (let i = 0; i < n; i++) if (childPtr[i + 1] > childPtr[i]) ops.push(i);
    s.opBox = Int32Array.from(ops);
    s.opName = view.op_name ? decodeColumn(view.op_name) : ops.map((i) => structure.ops[i]);
  } else {
    s.opBox = typed(view.op_box, Int32Array);
    s.opName = decodeColumn(view.op_name);
  }
  if (view.edges === null) {  // one edge per operand slot, in the structure's order
    s.esrc = new Int32Array(childIdx);
    s.edst = new Int32Array(childIdx.length);
    for (let i = 0; i < n; i++) s.edst.fill(i, childPtr[i], childPtr[i + 1]);
  } else {
    s.esrc = typed(view.edge_src, Int32Array);
    s.edst = typed(view.edge_dst, Int32Array);
  }
  // routes that bend (the others are drawn straight, see edgePoints), per edge in ePtr/ePts
  const E = s.esrc.length;
  s.ePtr = new Int32Array(E + 1);
  const re = typed(view.route_edge, Int32Array), rp = typed(view.route_ptr, Int32Array);
  const pts = decodeNumbers(view.route_pts);
  const len = new Int32Array(E);
  for (let j = 0; j < re.length; j++) len[re[j]] = rp[j + 1] - rp[j];
  for (let k = 0; k < E; k++) s.ePtr[k + 1] = s.ePtr[k] + len[k];
  s.ePts = new Float64Array(s.ePtr[E]);
  for (let j = 0; j < re.length; j++) s.ePts.set(pts.subarray(rp[j], rp[j + 1]), s.ePtr[re[j]]);
  s.opOf = new Int32Array(n).fill(-1);
  for (let k = 0; k < s.opBox.length; k++) s.opOf[s.opBox[k]] = k;
  s.opHow = opMarks(s, structure.backward);
  s.boxOfNode = new Map();
  for (let i = 0; i < n; i++) {
    s.kinds[i] = s.group[i] ? "group" : structure.kinds[s.node[i]];
    if (!s.group[i]) s.boxOfNode.set(s.node[i], i);
  }
  return s;
}

/** 0, 1, ..., n - 1 as an Int32Array. */
function iota(n) {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Per op ellipse: "" for a built-in op, else how its node's gradient is made: "custom" (its own
 *  _backward closure) or "none" (not a gradviz op and no closure: it passes no gradient), from the
 *  structure's `backward` pairs [[node id, how], ...] (trace's meta "backward"). */
export function opMarks(s, backward) {
  const how = new Array(s.opBox.length).fill("");
  if (!backward || !backward.length) return how;
  const byNode = new Map(backward.map(([id, h]) => [id, h]));
  for (let k = 0; k < s.opBox.length; k++) {
    const b = s.opBox[k];
    if (!s.group[b]) how[k] = byNode.get(s.node[b]) || "";
  }
  return how;
}

/** Box titles with each unlabelled leaf that has a control titled `#id`, as its slider and number
 *  box are named (a micrograd graph's records would otherwise show no name at all). */
export function namedControls(titles, node, structure) {
  let out = null;
  const controls = new Set(structure.controls || []);
  for (let b = 0; b < titles.length; b++) {
    const id = node[b];
    if (!titles[b] && id >= 0 && controls.has(id)) (out ??= Array.from(titles))[b] = `#${id}`;
  }
  return out ?? titles;
}

/** Texts of box i: [title, "data ...", "grad ..."] (no grad cell when grads are hidden; "grad"
 *  alone where `grad.blank` marks a value the Backprop mode has not reached); a PyTorch graph's:
 *  [label or op, shape, value, grad] as Python wrote them (gradviz/draw/tensor_text.py). */
export function boxTexts(s, i, data, grad, showGrads) {
  const id = s.node[i];
  if (s.multi[i]) return [s.title[i], `${s.multi[i]} outputs`];
  if (s.cells) {
    const c = s.cells[id];
    return [s.title[i] || shortLabel(s.opName[s.opOf[i]] || ""), ...(showGrads ? c : c.slice(0, -1))];
  }
  const t = [s.title[i], "data " + fmt4(data[id])];
  if (showGrads) t.push(grad.blank && grad.blank[id] ? "grad" : "grad " + fmt4(grad[id]));
  return t;
}

/** Cell boundaries of box i: each cell its text's width plus padding (the layout's rule), scaled
 *  to the box's width. */
export function cellEdges(s, i, texts) {
  const w = s.w[i], x0 = s.x[i] - w / 2;
  const pad = 2 * (s.fieldPad ?? 6);
  const lens = texts.map((t) => Math.max(1, t.length) * s.charW + pad);
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

/** How the ranks run: {vertical, sign} for "LR" (the default), "RL", "TB" or "BT". */
export function direction(rankdir = "LR") {
  const rd = rankdir || "LR";
  if (!["LR", "RL", "TB", "BT"].includes(rd)) throw new Error(`unknown rankdir ${JSON.stringify(rd)}: the view must say LR, RL, TB or BT`);
  return { vertical: rd === "TB" || rd === "BT", sign: rd === "RL" || rd === "BT" ? -1 : 1 };
}

/** The straight route of edge k into `out` = [x0, y0, x1, y1]: from the child record's far side
 *  (along the rank axis) to the near side of the parent's op ellipse (or record). */
export function straightEnds(s, k, out) {
  const a = s.esrc[k], b = s.edst[k], op = s.opOf[b], g = s.sign || 1;
  if (s.vertical) {
    out[0] = s.x[a]; out[1] = s.y[a] + g * s.h[a] / 2;
    out[2] = op >= 0 ? s.opX[op] : s.x[b]; out[3] = op >= 0 ? s.opY[op] - g * s.opH[op] / 2 : s.y[b] - g * s.h[b] / 2;
  } else {
    out[0] = s.x[a] + g * s.w[a] / 2; out[1] = s.y[a];
    out[2] = op >= 0 ? s.opX[op] - g * s.opW[op] / 2 : s.x[b] - g * s.w[b] / 2; out[3] = op >= 0 ? s.opY[op] : s.y[b];
  }
  return out;
}

/** The short edge from box b's op ellipse `k` to its record, [x0, y0, x1, y1]. */
export function opEdge(s, k, b) {
  const g = s.sign || 1;
  return s.vertical
    ? [s.opX[k], s.opY[k] + g * s.opH[k] / 2, s.x[b], s.y[b] - g * s.h[b] / 2]
    : [s.opX[k] + g * s.opW[k] / 2, s.opY[k], s.x[b] - g * s.w[b] / 2, s.y[b]];
}

/** The route of edge k as a flat [x0, y0, x1, y1, ...] array: from the child's record to the
 *  parent's op ellipse (or record), bending where it crosses other ranks. Falls back to the
 *  straight two-point route when the view has no route for it. */
export function edgePoints(s, k) {
  if (s.ePtr.length > k + 1 && s.ePtr[k + 1] - s.ePtr[k] >= 4) return s.ePts.subarray(s.ePtr[k], s.ePtr[k + 1]);
  return straightEnds(s, k, new Float64Array(4));
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

/** SVG path data through the points, each segment a cubic leaving and entering along the rank
 *  axis (horizontal tangents, or vertical ones when `vertical`), as Graphviz draws. */
export function routePath(p, vertical = false) {
  const f = (v) => v.toFixed(1);
  let d = `M${f(p[0])},${f(p[1])}`;
  for (let j = 2; j < p.length; j += 2) {
    const x0 = p[j - 2], y0 = p[j - 1], x1 = p[j], y1 = p[j + 1];
    if (vertical) {
      const my = (y0 + y1) / 2;
      d += ` C${f(x0)},${f(my)} ${f(x1)},${f(my)} ${f(x1)},${f(y1)}`;
    } else {
      const mx = (x0 + x1) / 2;
      d += ` C${f(mx)},${f(y0)} ${f(mx)},${f(y1)} ${f(x1)},${f(y1)}`;
    }
  }
  return d;
}
