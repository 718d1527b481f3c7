// The page's own changes (set, step, reset): which leaves each moves where, how each is named, and
// the replay that computes their effect. One copy of the rules, used by the widget's local replay
// (session.js) and by the standalone page's engine (page.js); GraphWidget keeps Python's, and
// js/test/change_cases.json (`python -m gradviz.cases changes`) holds its answers, which
// js/test/local.test.js checks these against.
// Local replay: for graphs of gradviz ops up to LOCAL_MAX nodes the page runs forward and backward
// itself (replay.js) and repaints at once, without waiting for the kernel's round trip; the
// kernel's answer repaints again where it differs.

import { fmtG, nodeName } from "./format.js";
import { compileReplay, replay } from "./replay.js";

export const LOCAL_MAX = 2000;  // graphs up to this many nodes are also replayed in the page

/** The page's replay of `structure`, or null when it must not (switched off, read-only, too big). */
export function localTape(structure, childPtr, childIdx, enabled) {
  // "own": the Values' own _backward closures are the rule (micrograd's, a learner's), which only
  // Python can run; the page's formulas are gradviz's reference
  if (!enabled || structure.readonly || structure.rules === "own" || structure.n > LOCAL_MAX) return null;
  // the kernel's error messages (gradviz.ops.ERROR_TEMPLATES): without them the kernel answers alone
  return compileReplay(structure.ops, structure.labels, childPtr, childIdx, structure.constants?.opErrors, structure.exponents);
}

/** How the output panel names a change of leaves `changes` ({id: value}), as the kernel does. */
export function changeText(changes, labels) {
  const ids = Object.keys(changes);
  if (ids.length !== 1) return `${ids.length} leaves set`;
  const id = ids[0];
  return `${nodeName(labels[id], "", Number(id))} = ${fmtG(changes[id])}`;
}

/** The state a change starts from: `data` and `grad` as shown, unless the shown intermediates are
 *  not what the shown leaves give (a refresh after the leaves moved without a forward pass, which
 *  the picture calls stale inside): then a forward and backward from the leaves, as GraphWidget
 *  does, so that every number of the change comes from one state. */
export function changeBase(tape, data, grad) {
  let out;
  try {
    out = replay(tape, data);
  } catch (e) {
    return { data, grad };  // the leaves cannot be replayed: the change itself will say why
  }
  for (let i = 0; i < data.length; i++) {
    const x = out.data[i], y = data[i];
    if (x !== y && !(x !== x && y !== y)) return out;
  }
  return { data, grad };
}

/** A gradient step of size `lr` on the leaves `controls`: {id: data - lr * grad}. A positive `lr`
 *  moves down the gradient (lowers the output), a negative one up (GraphWidget.step). */
export function stepChanges(controls, data, grad, lr) {
  const changes = {};
  for (const id of controls) changes[id] = data[id] - lr * grad[id];
  return changes;
}

/** How the output panel names a step of size `lr`, as the kernel does. */
export function stepText(lr) {
  return `step ${lr >= 0 ? "down" : "up"}, size ${fmtG(Math.abs(lr))}`;
}

/** Every leaf (`leaf[i]` true) back to its value in `init` (GraphWidget.reset). */
export function resetChanges(leaf, init) {
  const changes = {};
  for (let i = 0; i < leaf.length; i++) if (leaf[i]) changes[i] = init[i];
  return changes;
}

/** Set leaves and re-run: returns {data, grad, nudge} (the output panel's record of the change of
 *  `kind` named `what`, with the first-order prediction grad·Δ). Throws ReplayError (domain
 *  errors) and leaves the inputs alone. */
export function replayChange(tape, shownData, shownGrad, changes, root, what, kind = "set") {
  const { data, grad } = changeBase(tape, shownData, shownGrad);
  const input = Float64Array.from(data);
  let predicted = 0;
  for (const [id, v] of Object.entries(changes)) { predicted += grad[id] * (v - data[id]); input[id] = v; }
  const out = replay(tape, input);
  const nudge = { kind, what, before: data[root], after: out.data[root], predicted, actual: out.data[root] - data[root] };
  return { data: out.data, grad: out.grad, nudge };
}
