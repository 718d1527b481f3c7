// Colours of the playground, as in TF Playground: orange for negative, light grey at zero, blue for
// positive, given by Python (gradviz/theme.py, PLAYGROUND) in the `_constants` trait as
// {neg, zero, pos} RGB triples. Heatmap bytes (0..255, 127.5 = zero) map through a 256-entry table.

/** RGB of a value in [-1, 1] (clipped; NaN is the zero colour), on palette `pal`. */
export function rgbOf(v, pal) {
  if (!(v === v)) return pal.zero.slice();
  const t = Math.max(-1, Math.min(1, v));
  const end = t < 0 ? pal.neg : pal.pos;
  const a = Math.abs(t);
  return pal.zero.map((z, i) => Math.round(z + (end[i] - z) * a));
}

/** 256 RGBA entries (Uint8ClampedArray of 1024) for heatmap bytes; alpha 255. */
export function byteTable(pal) {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let b = 0; b < 256; b++) {
    const [r, g, bl] = rgbOf(b / 127.5 - 1, pal);
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
export function weightStroke(w, pal) {
  if (!(w === w)) return { color: "rgb(150,150,150)", width: 0.5 };
  const [r, g, b] = w < 0 ? pal.neg : pal.pos;
  const width = 0.5 + 5.5 * Math.min(Math.abs(w) / 2, 1);
  return { color: `rgb(${r},${g},${b})`, width: Math.round(width * 100) / 100 };
}

/** The points' fill per label (-1, 1). */
export function labelColors(pal) {
  return { "-1": `rgb(${pal.neg.join(",")})`, "1": `rgb(${pal.pos.join(",")})` };
}

/** The playground's CSS variables from the constants: the page's palette and fonts (see
 *  ../theme.js), the heatmap ends as --gvp-neg/--gvp-pos, the report's colours. */
export function playgroundVars(pal) {
  return {
    "--gvp-neg": `rgb(${pal.neg.join(", ")})`, "--gvp-pos": `rgb(${pal.pos.join(", ")})`,
    "--gvp-ok": pal.ok, "--gvp-ok-bg": pal.okBg, "--gvp-bad": pal.bad, "--gvp-bad-bg": pal.badBg,
  };
}
