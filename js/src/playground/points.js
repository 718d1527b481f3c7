// Data points on the decision heatmap: plane <-> pixel mapping and hit-testing for clicks.

/** Map plane coordinates to pixels of a size x size picture of extent [x0, x1, y0, y1]. */
export function toPixel(extent, size, x, y) {
  const [x0, x1, y0, y1] = extent;
  return [((x - x0) / (x1 - x0)) * size, ((y1 - y) / (y1 - y0)) * size];
}

/** Points from the flat [x, y, label, ...] lists of the ``_points`` trait. */
export function unpackPoints(points) {
  const out = [];
  for (const split of ["train", "test"]) {
    const flat = points[split] || [];
    for (let i = 0, k = 0; i + 2 < flat.length; i += 3, k++) {
      out.push({ split, index: k, x: flat[i], y: flat[i + 1], label: flat[i + 2] });
    }
  }
  return out;
}

/** The point nearest to pixel (px, py) within ``radius`` pixels, or null. */
export function hitPoint(pts, extent, size, px, py, radius = 8) {
  let best = null;
  let bestD = radius * radius;
  for (const p of pts) {
    const [x, y] = toPixel(extent, size, p.x, p.y);
    const d = (x - px) ** 2 + (y - py) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = p;
    }
  }
  return best;
}
