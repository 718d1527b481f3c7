// Pure geometry: the zoom/pan viewport, a uniform grid for hit-testing and culling, and the
// level-of-detail rule (text only where it is readable on screen).

export class Viewport {
  constructor(scale = 1, tx = 0, ty = 0) {
    this.scale = scale;
    this.tx = tx;
    this.ty = ty;
  }

  toWorld(px, py) {
    return [(px - this.tx) / this.scale, (py - this.ty) / this.scale];
  }

  toScreen(x, y) {
    return [x * this.scale + this.tx, y * this.scale + this.ty];
  }

  /** Fit a world rectangle [0,width]x[0,height] into a screen of size viewW x viewH. */
  fit(width, height, viewW, viewH, pad = 16, maxScale = 1.5) {
    const sx = (viewW - 2 * pad) / Math.max(width, 1);
    const sy = (viewH - 2 * pad) / Math.max(height, 1);
    this.scale = Math.max(1e-4, Math.min(sx, sy, maxScale));
    this.tx = (viewW - width * this.scale) / 2;
    this.ty = (viewH - height * this.scale) / 2;
    return this;
  }

  /** Zoom by `factor` keeping the screen point (px, py) fixed. */
  zoomAt(px, py, factor, minScale = 1e-4, maxScale = 8) {
    const s = Math.min(maxScale, Math.max(minScale, this.scale * factor));
    const f = s / this.scale;
    this.tx = px - (px - this.tx) * f;
    this.ty = py - (py - this.ty) * f;
    this.scale = s;
    return this;
  }

  pan(dx, dy) {
    this.tx += dx;
    this.ty += dy;
    return this;
  }

  /** Centre the world point (x, y) on a screen of size viewW x viewH. */
  centreOn(x, y, viewW, viewH) {
    this.tx = viewW / 2 - x * this.scale;
    this.ty = viewH / 2 - y * this.scale;
    return this;
  }

  /** The world rectangle seen on a screen of size viewW x viewH: [x0, y0, x1, y1]. */
  visibleRect(viewW, viewH) {
    const [x0, y0] = this.toWorld(0, 0);
    const [x1, y1] = this.toWorld(viewW, viewH);
    return [x0, y0, x1, y1];
  }
}

/** Uniform grid over axis-aligned boxes given by centres (x, y) and sizes (w, h). */
export class SpatialGrid {
  constructor(x, y, w, h, cell = 0) {
    const n = x.length;
    this.x = x; this.y = y; this.w = w; this.h = h;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, sumW = 0;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, x[i] - w[i] / 2); maxX = Math.max(maxX, x[i] + w[i] / 2);
      minY = Math.min(minY, y[i] - h[i] / 2); maxY = Math.max(maxY, y[i] + h[i] / 2);
      sumW += w[i];
    }
    if (!n) { minX = minY = 0; maxX = maxY = 1; }
    this.minX = minX; this.minY = minY;
    this.cell = cell || Math.max(8, n ? (2 * sumW) / n : 100);
    this.cols = Math.max(1, Math.ceil((maxX - minX) / this.cell) + 1);
    this.rows = Math.max(1, Math.ceil((maxY - minY) / this.cell) + 1);
    const cells = new Map();
    for (let i = 0; i < n; i++) {
      const [c0, r0, c1, r1] = this._range(x[i] - w[i] / 2, y[i] - h[i] / 2, x[i] + w[i] / 2, y[i] + h[i] / 2);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
        const k = r * this.cols + c;
        let list = cells.get(k);
        if (!list) cells.set(k, (list = []));
        list.push(i);
      }
    }
    this.cells = cells;
  }

  _range(x0, y0, x1, y1) {
    const cl = (v, hi) => Math.min(hi - 1, Math.max(0, v));
    return [
      cl(Math.floor((x0 - this.minX) / this.cell), this.cols), cl(Math.floor((y0 - this.minY) / this.cell), this.rows),
      cl(Math.floor((x1 - this.minX) / this.cell), this.cols), cl(Math.floor((y1 - this.minY) / this.cell), this.rows),
    ];
  }

  /** Index of the box containing world point (wx, wy), the smallest if several; -1 if none. */
  hit(wx, wy) {
    const c = Math.floor((wx - this.minX) / this.cell), r = Math.floor((wy - this.minY) / this.cell);
    if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return -1;
    const list = this.cells.get(r * this.cols + c);
    if (!list) return -1;
    let best = -1, bestArea = Infinity;
    for (const i of list) {
      if (Math.abs(wx - this.x[i]) <= this.w[i] / 2 && Math.abs(wy - this.y[i]) <= this.h[i] / 2) {
        const a = this.w[i] * this.h[i];
        if (a < bestArea) { best = i; bestArea = a; }
      }
    }
    return best;
  }

  /** Indices of the boxes overlapping the world rectangle [x0, y0, x1, y1] (culling), ascending. */
  query(x0, y0, x1, y1) {
    const [c0, r0, c1, r1] = this._range(x0, y0, x1, y1);
    const seen = new Set();
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
      const list = this.cells.get(r * this.cols + c);
      if (!list) continue;
      for (const i of list) {
        if (seen.has(i)) continue;
        if (this.x[i] + this.w[i] / 2 >= x0 && this.x[i] - this.w[i] / 2 <= x1 &&
            this.y[i] + this.h[i] / 2 >= y0 && this.y[i] - this.h[i] / 2 <= y1) seen.add(i);
      }
    }
    return Array.from(seen).sort((a, b) => a - b);
  }
}

/** Level of detail at a zoom scale for record text of `fontPx` px (the scene's, from Python's
 *  constants): "text" when the labels are readable (>= 7 px on screen), "boxes" when boxes are
 *  still big enough to see (>= 2 px tall), else "dots". */
export function lodLevel(scale, fontPx, boxH = 28) {
  if (fontPx * scale >= 7) return "text";
  if (boxH * scale >= 2) return "boxes";
  return "dots";
}

/** Edge styling from a gradient: sign picks the colour class, magnitude (relative to the largest
 *  |grad| in view) the width, on a square-root scale so small gradients stay visible. */
export function gradStroke(g, maxAbs, minW = 0.75, maxW = 5) {
  if (!Number.isFinite(g)) return { sign: "nan", width: maxW };
  if (g === 0 || !(maxAbs > 0)) return { sign: "zero", width: minW };
  const r = Math.min(1, Math.sqrt(Math.abs(g) / maxAbs));
  return { sign: g > 0 ? "pos" : "neg", width: minW + (maxW - minW) * r };
}
