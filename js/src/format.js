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
// Characters XML 1.0 forbids (control characters, lone surrogates, U+FFFE/U+FFFF): a label holding
// one would make a downloaded SVG malformed (and its PNG blank), so they become U+FFFD.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_BAD = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Text safe inside an XML/HTML element or a quoted attribute. */
export function escapeXml(s) {
  return String(s).replace(XML_BAD, "\ufffd").replace(/[&<>"']/g, (c) => ESC[c]);
}

/** Records and table cells show at most LABEL_MAX characters of a label (gradviz.layout does the
 *  same for the record sizes); the full text stays in the tooltip and the cell's title. */
export const LABEL_MAX = 40;
export function shortLabel(s, max = LABEL_MAX) {
  const t = String(s);
  if (t.length <= max) return t;
  let cut = max - 1;
  if (/[\ud800-\udbff]/.test(t[cut - 1])) cut -= 1; // never split a surrogate pair
  return t.slice(0, cut) + "…";
}

const KIND_CLASSES = new Set(["input", "parameter", "constant", "intermediate", "output", "group"]);
/** The CSS class of a node kind; anything unknown draws as an intermediate value. */
export function kindClass(kind) {
  return "gv-" + (KIND_CLASSES.has(kind) ? kind : "intermediate");
}

/** A number typed in a box: {value} for a finite number, else {error} saying why ("not a number").
 *  `badInput` is the box's validity.badInput (a number input reports "" for text it cannot read). */
export function parseNumber(text, badInput = false) {
  const t = String(text ?? "").trim();
  if (badInput || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) {
    return { error: t === "" && !badInput ? "not a number: the box is empty" : "not a number" };
  }
  const x = Number(t);
  if (!Number.isFinite(x)) return { error: "not a number: beyond the float range (about ±1.8e308)" };
  return { value: x };
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
