// gradviz's reference beside the Values' own rules: for Values of another class (micrograd's, a
// learner's own), whose _backward closures are the backward rule, the kernel sends gradviz's
// reference grad of every node (_ref_grad) and where the two disagree (_marks). The page marks
// those nodes in the drawing, adds a column to the table and a line to the tooltip; it never
// replaces the Values' own grads with the reference.

import { fmtFull } from "./format.js";

/** The reference as the page uses it: {ref (Float64Array by node id), grad (Set of ids whose grad
 *  differs), forward (Map id -> why its data disagrees with the op's forward)}, or null when the
 *  Values' grads are gradviz's own (no reference sent). */
export function readReference(refBytes, marks, toFloat64) {
  const ref = refBytes && refBytes.byteLength ? toFloat64(refBytes) : null;
  if (!ref) return null;
  const m = marks || {};
  return { ref, grad: new Set(m.grad || []), forward: new Map(m.forward || []) };
}

/** How node `id` disagrees with the reference: "forward", "grad" or "" (agrees). */
export function markOf(r, id) {
  if (!r) return "";
  if (r.forward.has(id)) return "forward";
  return r.grad.has(id) ? "grad" : "";
}

/** Per drawn box of scene `s`: its node's mark ("" for groups and agreeing nodes). */
export function boxMarks(s, r) {
  const out = new Array(s.n).fill("");
  if (!r) return out;
  for (let b = 0; b < s.n; b++) if (!s.group[b]) out[b] = markOf(r, s.node[b]);
  return out;
}

/** The tooltip's lines (plain text) about node `id`: its forward's disagreement, and the
 *  reference grad beside the Values' own. */
export function referenceLines(r, id, grad) {
  if (!r) return [];
  const lines = [];
  if (r.forward.has(id)) lines.push(`≠ ${r.forward.get(id)}`);
  const mark = r.grad.has(id) ? "≠ " : "";
  lines.push(`${mark}your grad ${fmtFull(grad[id])}, gradviz's rule ${fmtFull(r.ref[id])}`);
  return lines;
}

/** The table's reference cell text for node `id`: the reference grad, marked ≠ where it differs. */
export function referenceCell(r, id, fmt) {
  if (!r) return "";
  return `${r.grad.has(id) || r.forward.has(id) ? "≠ " : ""}${fmt(r.ref[id])}`;
}
