// The widget's model of the graph: decoding of the kernel's binary buffers, traversal of the
// drawn view (iterative: views can be deep), search, local derivatives for the tooltip, and the
// rules for expanding and collapsing groups.

/** Float64Array from a DataView / ArrayBuffer / typed array / plain array (copied if unaligned). */
export function toFloat64(v) {
  return typed(v, Float64Array);
}

/** Int32Array likewise (the child lists). */
export function toInt32(v) {
  return typed(v, Int32Array);
}

/** Typed array of `Type` over a DataView / ArrayBuffer / typed array / plain array (copied if unaligned). */
export function typed(v, Type) {
  if (v == null) return new Type(0);
  if (v instanceof Type) return v;
  if (Array.isArray(v)) return Type.from(v);
  const buf = v.buffer ?? v;
  const off = v.byteOffset ?? 0;
  const len = v.byteLength ?? buf.byteLength;
  const k = Type.BYTES_PER_ELEMENT;
  if (off % k === 0) return new Type(buf, off, Math.floor(len / k));
  return new Type(buf.slice(off, off + len));
}

const INDEX_TYPES = { uint8: Uint8Array, uint16: Uint16Array, int32: Int32Array };

/** The index of a coded column: bytes of the column's dtype (int32 when not said). */
function indexOf(c) {
  return Array.isArray(c.index) ? c.index : typed(c.index, INDEX_TYPES[c.dtype || "int32"]);
}

/** A string column sent as a plain array or as {table, index, dtype} (see widget.py, _coded). */
export function decodeColumn(c) {
  if (Array.isArray(c)) return c;
  return lookup(indexOf(c), c.table, Array);
}

/** A new `Type` (Array or a typed array) with out[i] = table[index[i]]: a plain loop, several
 *  times faster than Array.from with a mapping function, which matters for a million-node column. */
function lookup(index, table, Type) {
  const n = index.length, out = new Type(n);
  for (let i = 0; i < n; i++) out[i] = table[index[i]];
  return out;
}

/** A number column as Float64Array: a plain array, float32 bytes, or {table, index, dtype}
 *  (few distinct values; see widget.py, _sizes). */
export function decodeNumbers(c) {
  if (c == null) return new Float64Array(0);
  if (Array.isArray(c)) return Float64Array.from(c);
  if (c.table) return lookup(indexOf(c), c.table, Float64Array);
  return new Float64Array(typed(c, Float32Array));
}

/** The structure's `exponents` column (gradviz.wire.exponents: the ascending ids of the constant
 *  powers, "**2.0", and their exponent) as {ids: Int32Array, k: Float64Array}; empty when the
 *  structure has none (a state saved before the column existed: its powers are left to the kernel). */
export function decodeExponents(c) {
  if (c == null) return { ids: new Int32Array(0), k: new Float64Array(0) };
  return { ids: toInt32(c.ids), k: toFloat64(c.k) };
}

/** Node i's constant exponent (a number, NaN included), or null when node i is not a constant
 *  power: a binary search of the ascending ids. */
export function exponentOf(e, i) {
  if (!e) return null;
  let lo = 0, hi = e.ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1, v = e.ids[mid];
    if (v === i) return e.k[mid];
    if (v < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

/** Children of node i are childIdx[childPtr[i] .. childPtr[i+1]). */
export function childrenOf(childPtr, childIdx, i) {
  return childIdx.subarray(childPtr[i], childPtr[i + 1]);
}

// d(node)/d(operand) for the tooltip: the op table's (replay.js), checked against the kernel's cases.
export { localDerivatives } from "./replay.js";

/** Adjacency of the drawn view (boxes; edges child box -> parent box) in CSR form both ways. */
export function viewAdjacency(nBoxes, src, dst) {
  const build = (from, to) => {
    const ptr = new Int32Array(nBoxes + 1);
    for (let k = 0; k < from.length; k++) ptr[from[k] + 1]++;
    for (let i = 0; i < nBoxes; i++) ptr[i + 1] += ptr[i];
    const fill = ptr.slice(0, nBoxes);
    const idx = new Int32Array(from.length);
    for (let k = 0; k < from.length; k++) idx[fill[from[k]]++] = to[k];
    return { ptr, idx };
  };
  return { up: build(src, dst), down: build(dst, src) };
}

function reach(adj, start) {
  const seen = new Uint8Array(adj.ptr.length - 1);
  const stack = [start];
  seen[start] = 1;
  while (stack.length) {
    const i = stack.pop();
    for (let k = adj.ptr[i]; k < adj.ptr[i + 1]; k++) {
      const j = adj.idx[k];
      if (!seen[j]) { seen[j] = 1; stack.push(j); }
    }
  }
  seen[start] = 0;
  return seen;
}

/** Boxes box `b` depends on (ancestors in the data flow: its operands, their operands, ...) and
 *  boxes that depend on it, as 0/1 masks. */
export function lineage(adjacency, b) {
  return { dependsOn: reach(adjacency.down, b), dependents: reach(adjacency.up, b) };
}

/** Node ids whose label matches `query` (case-insensitive): exact matches first, then prefixes,
 *  then substrings; at most `limit`. */
export function search(labels, query, limit = 50) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const exact = [], prefix = [], sub = [];
  for (let i = 0; i < labels.length; i++) {
    const l = (labels[i] || "").toLowerCase();
    if (!l) continue;
    if (l === q) exact.push(i);
    else if (l.startsWith(q)) prefix.push(i);
    else if (l.includes(q)) sub.push(i);
    if (exact.length >= limit) break;
  }
  return exact.concat(prefix, sub).slice(0, limit);
}

// The grouping rules the page applies without the kernel: copies of gradviz.grouping's
// scope_prefixes, hiding_group and offers (and its `_under`), checked against the answers that
// module writes into js/test/group_cases.json (js/test/groups.test.js).

/** Scope prefixes of `scope`, outermost first ("MLP#7/layers.1" -> ["MLP#7", "MLP#7/layers.1"]). */
export function scopePrefixes(scope) {
  if (!scope) return [];
  const parts = scope.split("/");
  return parts.map((_, k) => parts.slice(0, k + 1).join("/"));
}

/** Whether group key (or scope) `k` is `key` or lies inside it. */
export function underScope(k, key) {
  return k === key || k.startsWith(key + "/");
}

/** The folded group that draws a value of `scope`: the outermost prefix in `collapsed`, or "". */
export function hidingGroup(scope, collapsed) {
  const folded = new Set(collapsed || []);
  return scopePrefixes(scope).find((p) => folded.has(p)) ?? "";
}

/** What selecting a box (or a node found by search) offers: expanding it when it is a group, or
 *  the group hiding the node when it is not drawn (`shown` false); else collapsing each scope that
 *  contains the node (innermost first) and is not folded yet. */
export function groupActions(boxGroup, nodeScope, collapsed, shown = true) {
  if (boxGroup) return { expand: [boxGroup], collapse: [] };
  if (!shown) {  // the node is inside a folded group: offer to open the group that hides it
    const key = hidingGroup(nodeScope, collapsed);
    return { expand: key ? [key] : [], collapse: [] };
  }
  const folded = new Set(collapsed || []);
  return { expand: [], collapse: scopePrefixes(nodeScope).filter((p) => !folded.has(p)).reverse() };
}

/** Slider range around a leaf's initial value: [v - s, v + s], s = max(1, |v|), 200 steps. */
export function sliderRange(v0) {
  const v = Number.isFinite(v0) ? v0 : 0;
  const s = Math.max(1, Math.abs(v));
  return { min: v - s, max: v + s, step: s / 100 };
}

/** Group boxes whose title or key contains `query` (case-insensitive), in box order. */
export function searchGroups(groups, titles, query, limit = 50) {
  const q = query.trim().toLowerCase();
  const out = [];
  if (!q) return out;
  for (let b = 0; b < groups.length && out.length < limit; b++) {
    if (groups[b] && (String(titles[b]).toLowerCase().includes(q) || groups[b].toLowerCase().includes(q))) out.push(b);
  }
  return out;
}

/** The group box of scene `s` that hides a node of scope `scope` (the box of its hidingGroup), or -1. */
export function groupHiding(s, scope) {
  const key = hidingGroup(scope, s.collapsed);
  return key ? s.group.indexOf(key) : -1;
}

/** Bounding box [x0, y0, x1, y1] of the boxes that show what was inside group `key` after it
 *  was expanded: sub-groups under it, and values whose scope is in it; null if none. */
export function expandedBounds(s, scopes, key) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let b = 0; b < s.n; b++) {
    const g = s.group[b];
    const sc = g ? g : scopes[s.node[b]] || "";
    if (!underScope(sc, key)) continue;
    x0 = Math.min(x0, s.x[b] - s.w[b] / 2); x1 = Math.max(x1, s.x[b] + s.w[b] / 2);
    y0 = Math.min(y0, s.y[b] - s.h[b] / 2); y1 = Math.max(y1, s.y[b] + s.h[b] / 2);
  }
  return x0 <= x1 ? [x0, y0, x1, y1] : null;
}
