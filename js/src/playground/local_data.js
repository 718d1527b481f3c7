// The playground's toy datasets, made in the page (the standalone playground page, where no
// kernel makes them): moons, circles, xor, spiral and gaussians, drawn as gradviz/playground/datasets.py
// draws them, from a seeded generator of the page's own. The same seed gives the same points in
// every browser, but not numpy's points: a page starts from the points Python saved, and only a
// dataset changed in the page is made here.

export const DATASETS = ["moons", "circles", "xor", "spiral", "gaussians"];

/** A seeded generator of uniform numbers in [0, 1): 32-bit state, a Weyl step and an
 *  xorshift-multiply mix (good enough for toy data and minibatches, and fast). */
export class Rng {
  constructor(seed) {
    this.s = (Number(seed) >>> 0) ^ 0x5bd1e995;
    this.spare = null;
  }

  next() {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  }

  uniform(lo, hi) {
    return lo + (hi - lo) * this.next();
  }

  /** A normal number (Box-Muller, the second of each pair kept for the next call). */
  normal(mean = 0, sd = 1) {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    const u = 1 - this.next(), v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  below(n) {
    return Math.floor(this.next() * n);
  }

  /** 0..n-1 shuffled (Fisher-Yates). */
  permutation(n) {
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}

/** numpy's linspace: start + i * step, the last point exactly `stop`. */
export function linspace(start, stop, num) {
  const out = new Float64Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** Round half to even, as Python's round() and numpy's round do. */
export function roundHalfEven(x) {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function halves(n) {
  const a = Math.floor(n / 2);
  return [a, n - a];
}

function labels(nA, n) {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = i < nA ? -1 : 1;
  return y;
}

// Each maker returns {X: [[x, y], ...], y: Float64Array} of n points before noise.
const MAKERS = {
  moons(rng, n) {
    const [nA, nB] = halves(n), ta = linspace(0, Math.PI, nA), tb = linspace(0, Math.PI, nB);
    const X = [];
    for (const t of ta) X.push([Math.cos(t), Math.sin(t)]);
    for (const t of tb) X.push([1 - Math.cos(t), 0.5 - Math.sin(t)]);
    return { X, y: labels(nA, n) };
  },
  circles(rng, n) {
    const [nA] = halves(n), X = [];
    for (let i = 0; i < n; i++) {
      const t = rng.uniform(0, 2 * Math.PI), r = i < nA ? 1 : 0.45;
      X.push([r * Math.cos(t), r * Math.sin(t)]);
    }
    return { X, y: labels(nA, n) };
  },
  xor(rng, n) {
    const X = [], y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const p = [rng.uniform(-1, 1), rng.uniform(-1, 1)].map((v) => v + Math.sign(v) * 0.05);
      X.push(p);
      y[i] = p[0] * p[1] > 0 ? 1 : -1;
    }
    return { X, y };
  },
  spiral(rng, n) {
    const [nA, nB] = halves(n), X = [];
    [nA, nB].forEach((m, k) => {
      for (const r of linspace(0.05, 1, m)) {
        const t = 1.75 * 2 * Math.PI * r + k * Math.PI;
        X.push([r * Math.sin(t), r * Math.cos(t)]);
      }
    });
    return { X, y: labels(nA, n) };
  },
  gaussians(rng, n) {
    const [nA] = halves(n), X = [];
    for (let i = 0; i < n; i++) {
      const c = i < nA ? -0.6 : 0.6;
      X.push([rng.normal(0, 0.25) + c, rng.normal(0, 0.25) + c]);
    }
    return { X, y: labels(nA, n) };
  },
};

/** A square around every point (as datasets.py: 15% margin and 0.05), rounded to 6 decimals. */
export function extentOf(X) {
  const lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
  for (const p of X) {
    for (const d of [0, 1]) {
      lo[d] = Math.min(lo[d], p[d]);
      hi[d] = Math.max(hi[d], p[d]);
    }
  }
  const half = (Math.max(hi[0] - lo[0], hi[1] - lo[1]) / 2) * 1.15 + 0.05;
  const c = [(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2];
  return [c[0] - half, c[0] + half, c[1] - half, c[1] + half].map((v) => Math.round(v * 1e6) / 1e6);
}

/** `n` points of dataset `name` with Gaussian `noise`, a seeded `testFraction` held out:
 *  {name, Xtrain: Float64Array (m*2), ytrain, Xtest, ytest, extent}. Settings are checked by
 *  the caller (local_trainer.js checkSetting). */
export function makeDataset(name, n, noise, testFraction, seed) {
  if (!(name in MAKERS)) throw new Error(`unknown dataset ${name}`);
  const rng = new Rng(seed);
  const { X, y } = MAKERS[name](rng, n);
  for (const p of X) {
    p[0] += rng.normal(0, noise);
    p[1] += rng.normal(0, noise);
  }
  const order = rng.permutation(n), nTest = roundHalfEven(testFraction * n);
  if (n - nTest < 2) throw new Error(`ValueError: test_fraction ${testFraction} leaves fewer than 2 training points of ${n}`);
  const pick = (ids) => {
    const Xs = new Float64Array(ids.length * 2), ys = new Float64Array(ids.length);
    ids.forEach((i, k) => {
      Xs[2 * k] = X[i][0];
      Xs[2 * k + 1] = X[i][1];
      ys[k] = y[i];
    });
    return [Xs, ys];
  };
  const [Xtest, ytest] = pick(order.slice(0, nTest)), [Xtrain, ytrain] = pick(order.slice(nTest));
  return { name, Xtrain, ytrain, Xtest, ytest, extent: extentOf(X) };
}

/** The heatmap's plane points, row 0 at the top: grid*grid (x, y) pairs, as playground/trainer.py makes them. */
export function gridPoints(extent, grid) {
  const [x0, x1, y0, y1] = extent, xs = linspace(x0, x1, grid), ys = linspace(y1, y0, grid);
  const P = new Float64Array(grid * grid * 2);
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      P[2 * (r * grid + c)] = xs[c];
      P[2 * (r * grid + c) + 1] = ys[r];
    }
  }
  return P;
}
