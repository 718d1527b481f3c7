// Number formatting shared by the drawing, the table and the tooltip.
// fmt4 matches gradviz.draw.textsize.fmt4: Python's "%.4f" (the lecture's labels), including "nan",
// "inf" and "-0.0000", and "%.4e" from HUGE on, where "%.4f" would print every digit of 1e308.

export const HUGE = 1e16;

export function fmt4(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0.0000";
  if (Math.abs(x) >= HUGE) return sci4(x);
  // A tie at the fifth decimal is exactly an odd multiple of 1/32 (0.03125): toFixed rounds it
  // away from zero, Python to the even digit.
  const t = x * 32;
  if (Number.isInteger(t) && t % 2 !== 0) {
    const cut = x.toFixed(5).slice(0, -1);
    if (Number(cut[cut.length - 1]) % 2 === 0) return cut;
  }
  return x.toFixed(4);
}

// "%.4e" of a float past HUGE, which is a whole number: its exact digits, rounded half to even as
// Python rounds (toExponential rounds a tie up).
function sci4(x) {
  const digits = BigInt(Math.abs(x)).toString();
  let keep = BigInt(digits.slice(0, 5));
  const rest = digits.slice(5);
  const half = "5" + "0".repeat(rest.length - 1);
  if (rest > half || (rest === half && keep % 2n === 1n)) keep += 1n;
  let exp = digits.length - 1;
  if (keep === 100000n) { keep = 10000n; exp += 1; }
  const m = keep.toString();
  return `${x < 0 ? "-" : ""}${m[0]}.${m.slice(1)}e+${String(exp).padStart(2, "0")}`;
}

// Full precision, Python's repr of a float: the shortest digits that read back to x, in positional
// notation for exponents -4..15 and in scientific notation (two-digit exponent at least) otherwise.
export function fmtFull(x) {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Object.is(x, -0)) return "-0.0";
  const [m, e] = x.toExponential().split("e"); // toExponential(): the shortest round-trip digits
  const exp = Number(e);
  if (exp < -4 || exp >= 16) return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  const neg = m.startsWith("-");
  const digits = m.replace("-", "").replace(".", "");
  let s;
  if (exp < 0) s = "0." + "0".repeat(-exp - 1) + digits;
  else if (digits.length <= exp + 1) s = digits + "0".repeat(exp + 1 - digits.length) + ".0";
  else s = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  return (neg ? "-" : "") + s;
}

// Characters Python's str.isprintable() refuses (so repr escapes them), the space aside.
const PY_UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const PY_ESC = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Python's repr of a str (how the engine's errors name a labelled node): quoted with ' unless the
 *  text holds ' and no ", with backslashes, the quote and unprintable characters escaped. */
export function pyStr(s) {
  const t = String(s);
  const q = t.includes("'") && !t.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of t) {
    if (PY_ESC[ch]) out += PY_ESC[ch];
    else if (ch === q) out += "\\" + q;
    else if (ch !== " " && PY_UNPRINTABLE.test(ch)) {
      const c = ch.codePointAt(0);
      out += c < 0x100 ? "\\x" + c.toString(16).padStart(2, "0")
        : c < 0x10000 ? "\\u" + c.toString(16).padStart(4, "0") : "\\U" + c.toString(16).padStart(8, "0");
    } else out += ch;
  }
  return q + out + q;
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
 *  `badInput` is the box's validity.badInput (a number input reports "" for text it cannot read);
 *  `dropped`: what the user typed that the box dropped (see watchDropped: "abc" leaves it empty). */
export function parseNumber(text, badInput = false, dropped = "") {
  const t = String(text ?? "").trim();
  if (badInput || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) {
    if (t === "" && dropped) return { error: `not a number: "${dropped.length > 20 ? dropped.slice(0, 19) + "…" : dropped}"` };
    return { error: t === "" && !badInput ? "not a number: the box is empty" : "not a number" };
  }
  const x = Number(t);
  if (!Number.isFinite(x)) return { error: "not a number: beyond the float range (about ±1.8e308)" };
  return { value: x };
}

/** How a message names a node, as the kernel words it (gradviz.names.node_name, the one rule):
 *  its label as Python's repr ('a'), else "unlabelled <op> node" ("unlabelled leaf node" for a
 *  leaf), with " #<id>" when `id` is given (a node of a graph; without it, as the engine names a
 *  Value in its errors). js/test/names.test.js checks it on the cases gradviz.names writes. */
export function nodeName(label, op, id) {
  if (label) return pyStr(label);
  return `unlabelled ${op || "leaf"} node${id === undefined ? "" : ` #${id}`}`;
}

/** A node's title where the page shows one (tooltip, selection panel, a leaf's number box): its
 *  label as the record draws it, else its name (nodeName). */
export function nodeTitle(label, op, id) {
  return label || nodeName(label, op, id);
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

/** Watch a number box for typed text it drops (a browser's number input keeps only what it can
 *  read, so "abc" leaves it empty, as if nothing was typed). Returns a function giving that text
 *  since the box last held something, and clear() to forget it after a commit. */
export function watchDropped(box) {
  let dropped = "";
  box.addEventListener("beforeinput", (ev) => {
    const text = typeof ev.data === "string" ? ev.data : ev.dataTransfer?.getData?.("text") || "";
    if (/[^0-9eE+\-.\s]/.test(text)) dropped += text;
  });
  box.addEventListener("input", () => { if (box.value !== "") dropped = ""; });
  const get = () => dropped;
  get.clear = () => { dropped = ""; };
  return get;
}
