// Number formatting shared by the drawing, the table and the tooltip.
// fmt4 matches Python's "%.4f" (the lecture's labels), including "nan", "inf" and "-0.0000".

export function fmt4(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0.0000";
  if (Math.abs(x) >= 1e21) return (x < 0 ? "-" : "") + BigInt(Math.round(Math.abs(x))).toString() + ".0000";
  return x.toFixed(4);
}

// Full precision, like Python's repr of a float: shortest round-trip digits, always with a dot.
export function fmtFull(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0.0";
  let s = String(x);
  if (/e/.test(s)) {
    const [m, e] = s.split("e");
    const exp = Number(e);
    s = m + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
    return s;
  }
  return s.includes(".") ? s : s + ".0";
}

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeXml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

// A short name for a node: its label, else its op, else "#id".
export function nodeName(label, op, id) {
  if (label) return label;
  return op ? `(${op}) #${id}` : `#${id}`;
}

/** Python's format(x, "g"): six significant digits, trailing zeros dropped, exponent form below
 *  1e-4 and from 1e6 (as the kernel writes "a = 2.5" in the last-nudge panel). */
export function fmtG(x) {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [m, e] = x.toExponential(5).split("e");
  const exp = Number(e);
  const trim = (t) => (t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t);
  if (exp < -4 || exp >= 6) return `${trim(m)}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  return trim(x.toFixed(Math.max(0, 5 - exp)));
}
