// Local replay: forward and backward of a gradviz graph in the page, so a nudge repaints at once
// while the kernel (authoritative) computes the same thing. OPS below is the page's copy of the op
// table (gradviz/ops.py), one line per formula as there; js/test/ops.test.js checks it against the
// case file the table generates (js/test/op_cases.json): values, pushed gradients, local
// derivatives and full error messages, on every op at its edge points. Error messages are the
// kernel's templates, given as data (`templates`, the widget's `opErrors`). Ids are in the engine's
// topological order, so the reverse pass adds each node's gradient contributions in the order
// `Value.backward()` does, and results agree with the kernel bit for bit wherever the browser's
// Math.exp/log/tanh/pow round like the C library (elsewhere within an ulp).
import { fmtFull, nodeName } from "./format.js";

/** A domain error of an op, with the message the kernel gives (`Type: text`). */
export class ReplayError extends Error {}

/** C's pow, as the engine's: 1 ** anything and (-1) ** +-inf are 1; overflow is a signed inf
 *  (JS's ** gives those too); 0 to a negative power is inf, signed as the zero for odd powers. */
function pow(x, e) {
  if (x === 1 || (x === -1 && !Number.isFinite(e) && !Number.isNaN(e))) return 1;
  if (x === 0 && e < 0) return Number.isInteger(e) && Math.abs(e % 2) === 1 && Object.is(x, -0) ? -Infinity : Infinity;
  return x ** e;
}
const { exp, log, tanh } = Math;
const isfinite = Number.isFinite, isInteger = Number.isInteger;
const POW_ERRORS = (e) => [
  [(a, b, k) => a < 0 && isfinite(e(b, k)) && !isInteger(e(b, k)), "pow_negative_base", "a"],
  [(a, b, k) => a === 0 && e(b, k) < 0, "pow_zero_negative", "a"],
];

/** name -> {arity, fwd(a, b, k), pushed(a, b, k, out, g) (one per operand: d out/d operand * g),
 *  errors [[when(a, b, k), template key, operand named]], exponent ("k", "b" or none)}. */
export const OPS = {
  "+": { arity: 2, fwd: (a, b) => a + b, pushed: (a, b, k, out, g) => [g, g] },
  "-": { arity: 2, fwd: (a, b) => a - b, pushed: (a, b, k, out, g) => [g, -g] },
  "*": { arity: 2, fwd: (a, b) => a * b, pushed: (a, b, k, out, g) => [b * g, a * g] },
  "/": { arity: 2, fwd: (a, b) => a / b, pushed: (a, b, k, out, g) => [g / b, -((g * out) / b)],
    errors: [[(a, b) => b === 0, "div_zero", "b"]] },
  neg: { arity: 1, fwd: (a) => -a, pushed: (a, b, k, out, g) => [-g] },
  exp: { arity: 1, fwd: (a) => exp(a), pushed: (a, b, k, out, g) => [out * g] },
  log: { arity: 1, fwd: (a) => log(a), pushed: (a, b, k, out, g) => [g / a],
    errors: [[(a) => a <= 0, "log_domain", "a"]] },
  tanh: { arity: 1, fwd: (a) => tanh(a), pushed: (a, b, k, out, g) => [(1 - out * out) * g] },
  relu: { arity: 1, fwd: (a) => (a <= 0 ? 0 : a), pushed: (a, b, k, out, g) => [a <= 0 ? 0 : g] },
  sigmoid: { arity: 1, fwd: (a) => (a >= 0 ? 1 / (1 + exp(-a)) : exp(a) / (1 + exp(a))),
    pushed: (a, b, k, out, g) => [out * (1 - out) * g] },
  "**k": { arity: 1, exponent: "k", fwd: (a, b, k) => pow(a, k),
    pushed: (a, b, k, out, g) => [k === 0 ? 0 : k * pow(a, k - 1) * g],
    errors: POW_ERRORS((b, k) => k) },
  "**": { arity: 2, exponent: "b", fwd: (a, b) => pow(a, b),
    pushed: (a, b, k, out, g) => [b === 0 ? 0 : b * pow(a, b - 1) * g,
      (a > 0 ? out * log(a) : a === 0 ? 0 : NaN) * g],
    errors: POW_ERRORS((b) => b) },
};
const NAMES = Object.keys(OPS);
const TABLE = NAMES.map((name) => OPS[name]);

/** The message of error `key` from the kernel's `templates`: {name}, {x} and {k} filled in one
 *  pass (a label holding "{x}" stays as it is), numbers as Python's repr. */
function message(templates, key, vals) {
  return templates[key].replace(/\{(name|x|k)\}/g, (_, p) => vals[p]);
}

/** Compile the graph for replay, or return null when an op is not an engine op (a PyTorch graph,
 *  a custom op) or the kernel's error messages `templates` (gradviz.ops.ERROR_TEMPLATES, the
 *  widget's `opErrors`) are missing: then the kernel answers alone. `exponents` = {ids, k} (the
 *  structure's column, decoded by decode.js decodeExponents): the nodes that are constant powers
 *  ("**2.0") and their exponent, as the kernel read them (gradviz.ops.split_op); the page never
 *  reads a number out of an op name. Without it (a state saved before the column existed) no node
 *  is a constant power, so a graph with one is left to the kernel. */
export function compileReplay(ops, labels, childPtr, childIdx, templates, exponents = null) {
  if (!templates || NAMES.some((o) => (OPS[o].errors || []).some(([, key]) => typeof templates[key] !== "string"))) return null;
  const n = ops.length;
  const code = new Int8Array(n).fill(-1);  // -1 leaf, else the op's index in TABLE
  const k = new Float64Array(n);  // the constant exponent of "**k"
  const power = new Uint8Array(n);
  const POW = NAMES.indexOf("**k");
  if (exponents) {
    if (exponents.k.length !== exponents.ids.length) return null;
    for (let j = 0; j < exponents.ids.length; j++) {
      const i = exponents.ids[j];
      if (!(i >= 0 && i < n)) return null;
      power[i] = 1;
      k[i] = exponents.k[j];
    }
  }
  const a = new Int32Array(n).fill(-1), b = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const arity = childPtr[i + 1] - childPtr[i];
    if (arity === 0) continue;
    const c = power[i] ? POW : ops[i] === "**k" || !Object.hasOwn(OPS, ops[i]) ? -1 : NAMES.indexOf(ops[i]);
    if (c < 0 || TABLE[c].arity !== arity) return null;
    code[i] = c;
    a[i] = childIdx[childPtr[i]];
    if (arity === 2) b[i] = childIdx[childPtr[i] + 1];
  }
  const name = (i) => nodeName(labels[i], ops[i]);  // as the engine names a Value (no id)
  return { n, code, k, a, b, name, templates };
}

/** Forward and backward from `data` (every node's data; leaves are read, the rest recomputed).
 *  Returns {data, grad} (new arrays; grad is d root / d node), or throws a ReplayError. */
export function replay(tape, input) {
  const { n, code, k, a, b, name, templates } = tape;
  const d = Float64Array.from(input);
  for (let i = 0; i < n; i++) {
    const c = code[i];
    if (c < 0) continue;
    const op = TABLE[c], x = d[a[i]], y = b[i] >= 0 ? d[b[i]] : 0;
    if (op.errors) {
      for (const [when, key, who] of op.errors) {
        if (!when(x, y, k[i])) continue;
        const e = op.exponent === "k" ? k[i] : y;
        const text = message(templates, key, { name: name(who === "a" ? a[i] : b[i]), x: fmtFull(who === "a" ? x : y), k: fmtFull(e) });
        throw new ReplayError(text);
      }
    }
    d[i] = op.fwd(x, y, k[i]);
  }
  const g = new Float64Array(n);
  g[n - 1] = 1;
  for (let i = n - 1; i >= 0; i--) {
    const c = code[i];
    if (c < 0) continue;
    const p = TABLE[c].pushed(d[a[i]], b[i] >= 0 ? d[b[i]] : 0, k[i], d[i], g[i]);
    g[a[i]] += p[0];
    if (b[i] >= 0) g[b[i]] += p[1];
  }
  return { data: d, grad: g };
}

/** d(node)/d(operand) for each operand of a node (the tooltip's): the table's pushed gradient at
 *  g = 1, from the op name, the node's constant exponent `k` (decode.js exponentOf: a number for a
 *  "**2.0" node, null for any other), the node's value and its operands' values. null for an op
 *  the table does not know (a PyTorch graph's, a custom op, a power without its exponent) or a
 *  wrong operand count. */
export function localDerivatives(opName, k, out, kids) {
  const op = k != null ? "**k" : opName !== "**k" && Object.hasOwn(OPS, opName) ? opName : null;
  if (op === null || OPS[op].arity !== kids.length) return null;
  return OPS[op].pushed(kids[0], kids.length > 1 ? kids[1] : 0, k ?? 0, out, 1);
}
