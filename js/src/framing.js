// Framing: how the drawing sits in its stage (where the camera opens, where it looks after a group
// opens) and where its overlays go: pure functions of sizes, unit-tested in js/test/framing.test.js.
// The first frame shows the whole graph only when its record text is readable that way (>= 10 CSS
// px); otherwise it opens at a readable size on the output's end and the overview (minimap) shows
// where that is.

export const MIN_TEXT_PX = 10;  // smallest record text the first view accepts
const PAD = 16;

/** The zoom at which record text of `fontPx` px (the scene's, gradviz.theme.FONT_SIZE) is
 *  MIN_TEXT_PX on screen: `readable` in the functions below. */
export function readableScale(fontPx) {
  if (!(fontPx > 0)) throw new Error(`the record font size must be a positive number of px, got ${fontPx}`);
  return MIN_TEXT_PX / fontPx;
}

/** The first view of a scene (width x height world px) in a stage `W` px wide and at most `Hmax`
 *  px tall, with the output record `out` = {x, y, w, h} (centre and size), text readable from
 *  zoom `readable` (readableScale). `vertical`: the ranks run top to bottom, so the graph ends at
 *  the bottom. Returns the stage height to use and the viewport {scale, tx, ty}; `whole` says
 *  whether everything is in view. */
export function firstViewPlan(width, height, W, Hmax, out, readable, minStage = 120, vertical = false) {
  const fitW = (W - 2 * PAD) / Math.max(width, 1);
  const fitH = (Hmax - 2 * PAD) / Math.max(height, 1);
  const kFit = Math.min(1.5, fitW, fitH);
  const whole = kFit >= readable;
  const scale = whole ? kFit : Math.max(readable, Math.min(1, fitW > readable ? fitW : 1));
  const stageH = Math.round(Math.min(Hmax, Math.max(minStage, height * scale + 2 * PAD)));
  let tx, ty;
  if (whole) {
    tx = (W - width * scale) / 2;
    ty = (stageH - height * scale) / 2;
  } else if (vertical) {
    // the output's bottom (the graph's end) near the stage's bottom, centred across when it fits
    const bottom = out ? out.y + out.h / 2 : height;
    ty = Math.min(PAD, stageH - PAD - bottom * scale);
    if (width * scale <= W - 2 * PAD) tx = (W - width * scale) / 2;
    else {
      tx = W / 2 - (out ? out.x : width / 2) * scale;
      tx = Math.min(PAD, Math.max(W - PAD - width * scale, tx));
    }
  } else {
    // the output's right edge (the graph's end) near the stage's right edge, never past the left
    const right = out ? out.x + out.w / 2 : width;
    tx = Math.min(PAD, W - PAD - right * scale);
    if (width * scale <= W - 2 * PAD) tx = (W - width * scale) / 2;
    if (height * scale <= stageH - 2 * PAD) ty = (stageH - height * scale) / 2;
    else {
      const cy = out ? out.y : height / 2;  // the output centred, the graph's edges kept inside
      ty = stageH / 2 - cy * scale;
      ty = Math.min(PAD, Math.max(stageH - PAD - height * scale, ty));
    }
  }
  return { whole, scale, tx, ty, stageH };
}

/** Top-left of a tooltip of size tw x th for a pointer at (px, py) in a W x H stage: below right
 *  of the pointer, flipped to the other side where it would leave the stage, kept inside it. */
export function tipPosition(px, py, tw, th, W, H, gap = 14) {
  let x = px + gap, y = py + gap;
  if (x + tw > W) x = px - gap - tw;
  if (y + th > H) y = py - gap - th;
  return [Math.max(0, Math.min(x, W - tw)), Math.max(0, Math.min(y, H - th))];
}

/** The overview's mapping: a scene of width x height into a box of at most maxW x maxH px.
 *  Returns {k, w, h}: world px -> overview px factor and the overview's size. */
export function overviewBox(width, height, maxW = 180, maxH = 120) {
  const k = Math.min(maxW / Math.max(width, 1), maxH / Math.max(height, 1));
  return { k, w: Math.max(8, Math.round(width * k)), h: Math.max(8, Math.round(height * k)) };
}

/** The viewport's visible world rectangle as an overview rectangle [x, y, w, h], clipped to it. */
export function overviewRect(vp, W, H, ov) {
  const x0 = Math.max(0, -vp.tx / vp.scale), y0 = Math.max(0, -vp.ty / vp.scale);
  const x1 = (W - vp.tx) / vp.scale, y1 = (H - vp.ty) / vp.scale;
  const r = [x0 * ov.k, y0 * ov.k, Math.min(ov.w, x1 * ov.k), Math.min(ov.h, y1 * ov.k)];
  return [r[0], r[1], Math.max(2, r[2] - r[0]), Math.max(2, r[3] - r[1])];
}

/** The zoom that shows a box `bw` world px wide: the current `scale` if readable already, else
 *  readable, up to 1 and no wider than the stage (`W` px) allows. */
export function boxScale(scale, bw, W, readable) {
  return scale < readable ? Math.min(1, Math.max(readable, (W - 32) / bw)) : scale;
}

/** Where to look after a group opened into world rectangle `r` = [x0, y0, x1, y1, x, y, w, h]
 *  (expandedBounds: then the box holding its output) in a W x H stage: {scale, cx, cy} — the
 *  whole group if it fits readable, else readable and as near its middle as keeps the output box
 *  in view, so an opened box shows even when the opened boxes lie far apart (the middle of their
 *  rectangle can be empty), whichever way the graph runs. */
export function expandedFocus(r, W, H, readable) {
  const k = Math.min(1, (W - 32) / (r[2] - r[0]), (H - 32) / (r[3] - r[1]));
  const scale = Math.max(readable, k);
  let cx = (r[0] + r[2]) / 2, cy = (r[1] + r[3]) / 2;
  if (k >= readable || r.length < 8) return { scale, cx, cy };
  const [x, y, w, h] = r.slice(4, 8);
  const hx = (W / 2 - 16) / scale, hy = (H / 2 - 16) / scale;  // half the view, inside a 16 px margin
  cx = Math.min(Math.max(cx, x + w / 2 - hx), x - w / 2 + hx);
  cy = Math.min(Math.max(cy, y + h / 2 - hy), y - h / 2 + hy);
  return { scale, cx, cy };
}
