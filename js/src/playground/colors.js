// Colours of the playground, as in TF Playground: orange for negative, white at zero, blue for
// positive. Heatmap bytes (0..255, 127.5 = zero) map through a 256-entry table.

const NEG = [245, 147, 34];
const ZERO = [232, 234, 235];
const POS = [8, 119, 189];

/** RGB of a value in [-1, 1] (clipped; NaN is grey zero). */
export function rgbOf(v) {
  if (!(v === v)) return ZERO.slice();
  const t = Math.max(-1, Math.min(1, v));
  const end = t < 0 ? NEG : POS;
  const a = Math.abs(t);
  return ZERO.map((z, i) => Math.round(z + (end[i] - z) * a));
}

/** 256 RGBA entries (Uint8ClampedArray of 1024) for heatmap bytes; alpha 255. */
export function byteTable() {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let b = 0; b < 256; b++) {
    const [r, g, bl] = rgbOf(b / 127.5 - 1);
    lut.set([r, g, bl, 255], b * 4);
  }
  return lut;
}

/** Fill ``out`` (RGBA, length 4 * size) from ``bytes`` starting at ``offset`` through ``lut``. */
export function paintBytes(out, bytes, offset, size, lut) {
  for (let k = 0; k < size; k++) {
    const b = bytes[offset + k] * 4;
    const o = k * 4;
    out[o] = lut[b];
    out[o + 1] = lut[b + 1];
    out[o + 2] = lut[b + 2];
    out[o + 3] = 255;
  }
  return out;
}

/** A weight's stroke: colour by sign, width by size (0.5 px to 6 px, |w| = 2 or more is widest). */
export function weightStroke(w) {
  if (!(w === w)) return { color: "rgb(150,150,150)", width: 0.5 };
  const [r, g, b] = w < 0 ? NEG : POS;
  const width = 0.5 + 5.5 * Math.min(Math.abs(w) / 2, 1);
  return { color: `rgb(${r},${g},${b})`, width: Math.round(width * 100) / 100 };
}

export const LABEL_COLORS = { "-1": `rgb(${NEG.join(",")})`, "1": `rgb(${POS.join(",")})` };
