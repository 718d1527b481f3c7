// The decision heatmap: the network's score over the input plane (row 0 of the kernel's uint8
// heatmaps), scaled up, with the data points on it (the selected one ringed).

import { paintBytes } from "./colors.js";
import { toPixel } from "./points.js";

/** A checksum of the first `size` bytes, so tests can tell the picture changed. */
export function mapHash(bytes, size) {
  let sum = 0;
  for (let k = 0; k < size; k++) sum = (sum * 31 + bytes[k]) >>> 0;
  return sum;
}

/** Whether point `q` is the one the kernel's status says is selected (["sample", split, index]). */
export function isSelected(q, sel) {
  return !!sel && sel[0] === "sample" && sel[1] === q.split && sel[2] === q.index;
}

/** Paint row 0 of `bytes` (grid x grid) through `lut` onto `canvas`, scaled up to main x main px
 *  through the scratch canvas `scratch`; returns the canvas's context (for the points). */
export function paintDecision(canvas, scratch, bytes, grid, lut, main) {
  scratch.width = scratch.height = grid;
  const gctx = scratch.getContext("2d");
  const img = gctx.createImageData(grid, grid);
  paintBytes(img.data, bytes, 0, grid * grid, lut);
  gctx.putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch, 0, 0, main, main);
  return ctx;
}

/** The points `pts` (points.js unpackPoints) of a plane of `extent` on `ctx` (main x main px):
 *  filled by label, ringed white (train) or black (test); `sel` ringed in `selColor`. */
export function drawPoints(ctx, pts, extent, main, sel, labelColors, selColor) {
  for (const q of pts) {
    const [x, y] = toPixel(extent, main, q.x, q.y);
    const test = q.split === "test";
    ctx.beginPath();
    ctx.arc(x, y, test ? 3.5 : 4, 0, 2 * Math.PI);
    ctx.fillStyle = labelColors[String(q.label)] || "#888";
    ctx.fill();
    ctx.lineWidth = test ? 1.5 : 1;
    ctx.strokeStyle = test ? "#000" : "#fff";
    ctx.stroke();
    if (isSelected(q, sel)) {
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.lineWidth = 2;
      ctx.strokeStyle = selColor;
      ctx.stroke();
    }
  }
}
