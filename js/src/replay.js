// Local replay: forward and backward of a gradviz graph in the page, so a nudge repaints at once
// while the kernel (authoritative) computes the same thing. The formulas, their order of
// evaluation and the domain errors are the engine's (gradviz/engine.py): ids are in the engine's
// topological order, so the reverse pass adds each node's gradient contributions in the order
// `Value.backward()` does, and results agree with the kernel bit for bit wherever the browser's
// Math.exp/log/tanh/pow round like the C library (elsewhere within an ulp).

const BINARY = new Set(["+", "-", "*", "/", "**"]);
const UNARY = new Set(["neg", "exp", "log", "tanh", "relu", "sigmoid"]);

/** A domain error of an op, with the message the kernel gives (`Type: text`). */
export class ReplayError extends Error {}

function pyRepr(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0.0";
  const s = String(x);
  if (/e/.test(s)) {
    const [m, e] = s.split("e");
    const exp = Number(e);
    return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return s.includes(".") ? s : s + ".0";
}

/** Compile the graph for replay, or return null when an op is not an engine op (a PyTorch graph). */
export function compileReplay(ops, labels, childPtr, childIdx) {
  const n = ops.length;
  const code = new Int8Array(n);  // 0 leaf, 1.. op (see OPC)
  const k = new Float64Array(n);  // the constant exponent of "**k"
  const a = new Int32Array(n).fill(-1), b = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const arity = childPtr[i + 1] - childPtr[i], op = ops[i];
    if (arity === 0) continue;
    a[i] = childIdx[childPtr[i]];
    if (arity === 2 && BINARY.has(op)) { b[i] = childIdx[childPtr[i] + 1]; code[i] = OPC[op]; continue; }
    if (arity === 1 && UNARY.has(op)) { code[i] = OPC[op]; continue; }
    if (arity === 1 && op.startsWith("**")) {
      const e = pyFloat(op.slice(2));
      if (e !== undefined) { code[i] = OPC["**k"]; k[i] = e; continue; }
    }
    return null;
  }
  const name = (i) => (labels[i] ? `'${labels[i]}'` : `unlabelled ${ops[i] || "leaf"} node`);
  return { n, code, k, a, b, name };
}

const OPC = { "+": 1, "-": 2, "*": 3, "/": 4, "**": 5, neg: 6, exp: 7, log: 8, tanh: 9, relu: 10, sigmoid: 11, "**k": 12 };

/** C's pow, as the engine's: 1 ** anything and (-1) ** +-inf are 1; overflow is a signed inf
 *  (JS's ** gives those too); 0 to a negative power is inf, signed as the zero for odd powers. */
function pypow(x, e) {
  if (x === 1 || (x === -1 && !Number.isFinite(e) && !Number.isNaN(e))) return 1;
  if (x === 0 && e < 0) return Number.isInteger(e) && Math.abs(e % 2) === 1 && Object.is(x, -0) ? -Infinity : Infinity;
  return x ** e;
}

/** float(text) as Python reads an exponent kept in an op's name ("**2.0", "**-inf", "**nan"). */
export function pyFloat(text) {
  const t = text.trim().toLowerCase();
  const m = /^([+-]?)(inf|infinity|nan)$/.exec(t);
  if (m) return m[2] === "nan" ? NaN : m[1] === "-" ? -Infinity : Infinity;
  return t && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) ? Number(t) : undefined;
}

function power(x, e, who) {
  if (x < 0 && Number.isFinite(e) && e !== Math.trunc(e)) {
    throw new ReplayError(`ValueError: a negative base to a non-integer power is not real: ${who} has data ` +
      `${pyRepr(x)} and the exponent is ${pyRepr(e)}; use an integer exponent or a positive base`);
  }
  if (x === 0 && e < 0) throw new ReplayError(`ZeroDivisionError: 0 to a negative power: ${who} has data 0.0, exponent ${pyRepr(e)}`);
  return pypow(x, e);
}

/** d(x**e)/dx as the engine's _dpow: e * x**(e-1) with C's pow; 0 for e == 0. */
function dpow(x, e) {
  if (e === 0) return 0;
  return e * pypow(x, e - 1);
}

/** Forward and backward from `data` (every node's data; leaves are read, the rest recomputed).
 *  Returns {data, grad} (new arrays; grad is d root / d node), or throws a ReplayError. */
export function replay(tape, input) {
  const { n, code, k, a, b, name } = tape;
  const d = Float64Array.from(input);
  for (let i = 0; i < n; i++) {
    const c = code[i];
    if (!c) continue;
    const x = d[a[i]], y = b[i] >= 0 ? d[b[i]] : 0;
    switch (c) {
      case 1: d[i] = x + y; break;
      case 2: d[i] = x - y; break;
      case 3: d[i] = x * y; break;
      case 4:
        if (y === 0) throw new ReplayError(`ZeroDivisionError: division by zero: the divisor ${name(b[i])} has data 0.0`);
        d[i] = x / y; break;
      case 5: d[i] = power(x, y, name(a[i])); break;
      case 6: d[i] = -x; break;
      case 7: d[i] = Math.exp(x); break; // overflow is inf, as in the engine
      case 8:
        if (x <= 0) throw new ReplayError(`ValueError: log of a non-positive number: ${name(a[i])} has data ${pyRepr(x)}; log needs data > 0`);
        d[i] = Math.log(x); break;
      case 9: d[i] = Math.tanh(x); break;
      case 10: d[i] = x <= 0 ? 0 : x; break; // relu(NaN) is NaN
      case 11:
        if (x >= 0) d[i] = 1 / (1 + Math.exp(-x));
        else { const e = Math.exp(x); d[i] = e / (1 + e); }
        break;
      case 12: d[i] = power(x, k[i], name(a[i])); break;
    }
  }
  const g = new Float64Array(n);
  g[n - 1] = 1;
  for (let i = n - 1; i >= 0; i--) {
    const c = code[i];
    if (!c) continue;
    const gi = g[i], ia = a[i], ib = b[i], out = d[i];
    switch (c) {
      case 1: g[ia] += gi; g[ib] += gi; break;
      case 2: g[ia] += gi; g[ib] -= gi; break;
      case 3: g[ia] += d[ib] * gi; g[ib] += d[ia] * gi; break;
      case 4: g[ia] += gi / d[ib]; g[ib] -= gi * out / d[ib]; break;
      case 5: {
        const x = d[ia], y = d[ib];
        g[ia] += y === 0 ? 0 : dpow(x, y) * gi;
        g[ib] += (x > 0 ? out * Math.log(x) : x === 0 ? 0 : NaN) * gi;
        break;
      }
      case 6: g[ia] -= gi; break;
      case 7: g[ia] += out * gi; break;
      case 8: g[ia] += gi / d[ia]; break;
      case 9: g[ia] += (1 - out * out) * gi; break;
      case 10: if (!(d[ia] <= 0)) g[ia] += gi; break;
      case 11: g[ia] += out * (1 - out) * gi; break;
      case 12: g[ia] += k[i] === 0 ? 0 : dpow(d[ia], k[i]) * gi; break;
    }
  }
  return { data: d, grad: g };
}
