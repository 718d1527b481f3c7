// The playground's training, done in the page (the standalone playground page, which has no
// kernel): gradviz/playground/trainer.py's Trainer in JS. The model is MLP(2, hidden + [1]) with a linear
// output, its parameters one Float64Array in Python's parameters() order (layer by layer, neuron
// by neuron: w.0, w.1, ..., b); the loss is micrograd's mean hinge relu(1 - y * score) plus
// l2 * sum(p * p), trained by plain SGD on the full batch or a minibatch. Forward and backward
// use the engine's formulas in the engine's order (a neuron is b + w0*x0 + w1*x1 + ...), so a
// step from the same weights and points gives Python's numbers (js/test/playground_cases.json,
// written by Python, checks it to 1e-12). Heatmaps are quantized as playground/trainer.py's quantize.

import { DATASETS, gridPoints, linspace, makeDataset, Rng, roundHalfEven } from "./local_data.js";

export const CONFIG_KEYS = ["dataset", "n", "noise", "test_fraction", "hidden", "activation", "lr", "l2", "batch_size", "seed"];
const DATA_KEYS = ["dataset", "n", "noise", "test_fraction", "seed"];
const MODEL_KEYS = ["hidden", "activation", "seed"];
export const CURVE_POINTS = 400;

const isInt = (v) => typeof v === "number" && Number.isInteger(v);

/** `v` checked for setting `key` (as playground/trainer.py's _check); throws "ValueError: ..." otherwise. */
export function checkSetting(key, v) {
  const bad = (what) => new Error(`ValueError: ${key} must be ${what}, got ${JSON.stringify(v)}`);
  const number = (lo, hi) => {
    if (typeof v !== "number" || !(v >= lo && v <= hi)) throw bad(`a number between ${lo} and ${hi}`);
    return v;
  };
  const integer = (lo, hi) => {
    if (!isInt(v) || v < lo || v > hi) throw bad(`an int between ${lo} and ${hi}`);
    return v;
  };
  switch (key) {
    case "dataset":
      if (!DATASETS.includes(v)) throw new Error(`ValueError: unknown dataset ${JSON.stringify(v)}; choose one of ${DATASETS.join(", ")}`);
      return v;
    case "activation":
      if (!["tanh", "relu", "sigmoid"].includes(v)) throw new Error(`ValueError: unknown activation ${JSON.stringify(v)}; choose one of tanh, relu, sigmoid`);
      return v;
    case "hidden": {
      const h = isInt(v) ? [v] : v;
      if (!Array.isArray(h) || h.length > 6 || h.some((s) => !isInt(s) || s < 1 || s > 32)) {
        throw bad("a list of up to 6 layer sizes, each an int from 1 to 32 (e.g. [16, 16])");
      }
      return h.slice();
    }
    case "n": return integer(10, 2000);
    case "seed": return integer(0, 2 ** 32 - 1);
    case "noise": return number(0, 2);
    case "test_fraction": return number(0, 0.9);
    case "lr": return number(0, 100);
    case "l2": return number(0, 10);
    case "batch_size": return v === null || v === 0 ? null : integer(1, 2000);
    default: throw new Error(`KeyError: unknown setting ${JSON.stringify(key)}; settings: ${CONFIG_KEYS.join(", ")}`);
  }
}

/** "16, 16" (the page's text field) as [16, 16], as playground/app.py's _parse_hidden. */
export function parseHidden(s) {
  const parts = String(s).replace(/;/g, ",").split(",").map((p) => p.trim()).filter((p) => p);
  if (parts.some((p) => !/^[+-]?\d+$/.test(p))) {
    throw new Error(`ValueError: hidden layers must be sizes separated by commas, e.g. 16, 16; got ${JSON.stringify(String(s))}`);
  }
  return parts.map(Number);
}

/** out = activation(pre), elementwise, with the engine's formulas (relu(NaN) is NaN; sigmoid
 *  in the form that cannot overflow). */
function activate(activation, pre, out, size) {
  if (activation === "relu") {
    for (let k = 0; k < size; k++) out[k] = pre[k] <= 0 ? 0 : pre[k];
  } else if (activation === "tanh") {
    for (let k = 0; k < size; k++) out[k] = Math.tanh(pre[k]);
  } else {
    for (let k = 0; k < size; k++) {
      const a = pre[k];
      if (a >= 0) {
        out[k] = 1 / (1 + Math.exp(-a));
      } else {
        const e = Math.exp(a);
        out[k] = e / (1 + e);
      }
    }
  }
}

/** Offsets of each layer's parameters in the flat array; the total count. */
export function paramLayout(sizes) {
  const offs = [];
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    offs.push(n);
    n += sizes[l + 1] * (sizes[l] + 1);
  }
  return { offs, count: n };
}

/** Fresh parameters for `sizes`, uniform in [-1, 1) from the seeded generator, in Neuron's order. */
export function initParams(sizes, seed) {
  const rng = new Rng(seed), P = new Float64Array(paramLayout(sizes).count);
  for (let k = 0; k < P.length; k++) P[k] = rng.uniform(-1, 1);
  return P;
}

export class LocalTrainer {
  /** `saved`: {config, grid, data: {Xtrain, ytrain, Xtest, ytest, extent} (flat Float64Arrays),
   *  params, init (the seeded start, for reset), steps, history: {step, train, test}}: the Python
   *  playground's state, which the page starts from (and returns to for the saved settings). */
  constructor(saved) {
    this.config = { ...saved.config, hidden: saved.config.hidden.slice() };
    this.grid = saved.grid;
    this.saved = { config: { ...this.config }, data: saved.data, init: Float64Array.from(saved.init) };
    this.bufs = new Map();
    this.data = saved.data;
    this._plane();
    this._model(Float64Array.from(saved.init));
    this.P = Float64Array.from(saved.params);
    this.steps = saved.steps;
    this.history = { step: saved.history.step.slice(), train: saved.history.train.slice(), test: saved.history.test.slice() };
  }

  get sizes() {
    return [2, ...this.config.hidden, 1];
  }

  _plane() {
    this.gridX = gridPoints(this.data.extent, this.grid);
    this.order = Array.from({ length: this.data.ytrain.length }, (_, i) => i);
    this.all = this.order.slice();
  }

  /** A new model from `init`, step 0, empty history, the minibatch generator re-seeded. */
  _model(init) {
    const sizes = this.sizes;
    Object.assign(this, paramLayout(sizes));
    this.init = init;
    this.P = Float64Array.from(init);
    this.G = new Float64Array(this.count);
    this.steps = 0;
    this.version = (this.version || 0) + 1;  // a new model: the same step count means other weights
    this.history = { step: [], train: [], test: [] };
    this.rng = new Rng(this.config.seed + 1);
    this.record();
  }

  /** Points per step: the setting, at most the training set. */
  get batchSize() {
    const m = this.data.ytrain.length, b = this.config.batch_size;
    return b === null || b === undefined ? m : Math.min(b, m);
  }

  /** Change settings (all checked first); data or model changes start over. Returns the keys
   *  that changed. The saved settings give back the saved points and starting weights. */
  configure(changes) {
    const next = {};
    for (const [k, v] of Object.entries(changes)) next[k] = checkSetting(k, v);
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const changed = Object.keys(next).filter((k) => !same(next[k], this.config[k]));
    const trial = { ...this.config, ...next };
    const dataChanged = changed.some((k) => DATA_KEYS.includes(k));
    let data = this.data;
    if (dataChanged) {
      data = DATA_KEYS.every((k) => same(trial[k], this.saved.config[k])) ? this.saved.data
        : makeDataset(trial.dataset, trial.n, trial.noise, trial.test_fraction, trial.seed);
    }
    this.config = trial;
    if (dataChanged) {
      this.data = data;
      this._plane();
    }
    if (dataChanged || changed.some((k) => MODEL_KEYS.includes(k))) {
      const sizes = this.sizes;
      const saved = MODEL_KEYS.every((k) => same(trial[k], this.saved.config[k]));
      this._model(saved ? Float64Array.from(this.saved.init) : initParams(sizes, trial.seed));
    }
    return changed;
  }

  /** Back to the seeded start, step 0 (same data and settings). */
  reset() {
    this._model(Float64Array.from(this.init));
  }

  /** The next minibatch: indices into the training points, sorted (all of them on a full batch). */
  nextBatch() {
    const m = this.order.length, B = this.batchSize, o = this.order;
    if (B === m) return this.all;
    for (let i = 0; i < B; i++) {
      const j = i + this.rng.below(m - i);
      [o[i], o[j]] = [o[j], o[i]];
    }
    return o.slice(0, B).sort((a, b) => a - b);
  }

  /** Up to `n` SGD steps, stopping after `budgetMs` milliseconds (at least one); returns how many. */
  step(n = 1, budgetMs = Infinity) {
    const t0 = performance.now(), { lr } = this.config, m = this.data.ytrain.length;
    let taken = 0;
    while (taken < n) {
      const idx = this.nextBatch();
      const loss = this.lossGrad(idx);
      this.record(idx.length === m ? loss : null);
      const P = this.P, G = this.G;
      for (let k = 0; k < P.length; k++) P[k] = P[k] - lr * G[k];
      this.steps += 1;
      taken += 1;
      if (performance.now() - t0 >= budgetMs) break;
    }
    this.record();
    return taken;
  }

  _buf(name, size) {
    let b = this.bufs.get(name);
    if (!b || b.length < size) this.bufs.set(name, (b = new Float64Array(size)));
    return b;
  }

  /** Forward of B points (rows `idx` of the flat X, or all of X when idx is null): per layer the
   *  pre-activations and outputs, B x size each (the output layer is linear). */
  forward(X, idx, B, tag = "b") {
    const sizes = this.sizes, L = sizes.length - 1, P = this.P, activation = this.config.activation;
    let inp = this._buf(`${tag}in`, B * 2);
    for (let k = 0; k < B; k++) {
      const r = idx ? idx[k] : k;
      inp[2 * k] = X[2 * r];
      inp[2 * k + 1] = X[2 * r + 1];
    }
    const outs = [inp], pres = [null];
    for (let l = 0; l < L; l++) {
      const nin = sizes[l], nout = sizes[l + 1], off = this.offs[l], last = l === L - 1;
      const pre = this._buf(`${tag}pre${l}`, B * nout), out = last ? pre : this._buf(`${tag}out${l}`, B * nout);
      for (let k = 0; k < B; k++) {
        const row = k * nin;
        for (let j = 0; j < nout; j++) {
          const base = off + j * (nin + 1);
          let a = P[base + nin];
          for (let i = 0; i < nin; i++) a += P[base + i] * inp[row + i];
          pre[k * nout + j] = a;
        }
      }
      if (!last) activate(activation, pre, out, B * nout);
      pres.push(pre);
      outs.push(out);
      inp = out;
    }
    return { pres, outs };
  }

  /** Loss (mean hinge + L2) of the training points `idx`; the gradient into this.G. */
  lossGrad(idx) {
    const B = idx.length, X = this.data.Xtrain, y = this.data.ytrain, { l2, activation } = this.config;
    const sizes = this.sizes, L = sizes.length - 1, P = this.P, G = this.G.fill(0);
    const { pres, outs } = this.forward(X, idx, B);
    const c = 1 / B;
    let sum = 0;
    let d = this._buf("d1", B);
    for (let k = 0; k < B; k++) {
      const yk = y[idx[k]], z = 1 - yk * outs[L][k];
      const pass = !(z <= 0);
      sum += pass ? z : 0;
      d[k] = pass ? yk * -c : 0;
    }
    for (let l = L - 1; l >= 0; l--) {
      const nin = sizes[l], nout = sizes[l + 1], off = this.offs[l], inp = outs[l];
      if (l < L - 1) activationGrad(activation, d, pres[l + 1], outs[l + 1], B * nout);
      const din = l > 0 ? this._buf(`d${l}in`, B * nin).fill(0) : null;
      for (let k = 0; k < B; k++) {
        const row = k * nin;
        for (let j = 0; j < nout; j++) {
          const g = d[k * nout + j], base = off + j * (nin + 1);
          G[base + nin] += g;
          for (let i = 0; i < nin; i++) G[base + i] += inp[row + i] * g;
          if (din) for (let i = 0; i < nin; i++) din[row + i] += P[base + i] * g;
        }
      }
      d = din;
    }
    let sq = 0;
    for (let k = 0; k < P.length; k++) {
      sq += P[k] * P[k];
      G[k] += 2 * P[k] * l2;
    }
    return sum * c + l2 * sq;
  }

  /** The scores of the n flat points X. */
  scores(X, n) {
    const { outs } = this.forward(X, null, n, "s");
    return outs[outs.length - 1];
  }

  /** Mean hinge + L2 on points X, y (NaN with no points). */
  lossOf(X, y) {
    const n = y.length;
    if (!n) return NaN;
    const s = this.scores(X, n);
    let sum = 0, sq = 0;
    for (let k = 0; k < n; k++) sum += Math.max(1 - y[k] * s[k], 0);
    for (const p of this.P) sq += p * p;
    return sum / n + this.config.l2 * sq;
  }

  /** Note the losses at the current step, once per step (`train`: known already). */
  record(train = null) {
    const h = this.history;
    if (h.step.length && h.step[h.step.length - 1] === this.steps) return;
    const d = this.data;
    h.step.push(this.steps);
    h.train.push(train ?? this.lossOf(d.Xtrain, d.ytrain));
    h.test.push(this.lossOf(d.Xtest, d.ytest));
  }

  /** [train, test] fraction of points whose score has the label's sign (NaN with none). */
  accuracy() {
    const d = this.data;
    return [[d.Xtrain, d.ytrain], [d.Xtest, d.ytest]].map(([X, y]) => {
      if (!y.length) return NaN;
      const s = this.scores(X, y.length);
      let ok = 0;
      for (let k = 0; k < y.length; k++) ok += Math.sign(s[k]) === y[k] ? 1 : 0;
      return ok / y.length;
    });
  }

  /** (1 + neurons) rows of grid*grid values over the plane: the score, then every neuron
   *  (hidden layers, then the output), as Float64Arrays. */
  heatmaps() {
    const g2 = this.grid * this.grid, { outs } = this.forward(this.gridX, null, g2, "h");
    const sizes = this.sizes, rows = [outs[outs.length - 1].subarray(0, g2)];
    for (let l = 1; l < sizes.length; l++) {
      const n = sizes[l], out = outs[l];
      for (let j = 0; j < n; j++) {
        const row = new Float64Array(g2);
        for (let k = 0; k < g2; k++) row[k] = out[k * n + j];
        rows.push(row);
      }
    }
    return rows;
  }

  /** Per layer: weights flat [out][in] and biases, as playground/app.py's `_net`. */
  net() {
    const sizes = this.sizes, w = [], b = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const nin = sizes[l], nout = sizes[l + 1], wl = [], bl = [];
      for (let j = 0; j < nout; j++) {
        const base = this.offs[l] + j * (nin + 1);
        for (let i = 0; i < nin; i++) wl.push(this.P[base + i]);
        bl.push(this.P[base + nin]);
      }
      w.push(wl);
      b.push(bl);
    }
    return { sizes, w, b };
  }

  /** The loss curve decimated to about CURVE_POINTS points, as playground/app.py picks them. */
  curve() {
    const h = this.history, n = h.step.length, keep = [];
    for (const v of linspace(0, n - 1, Math.min(n, CURVE_POINTS))) {
      const i = Math.trunc(v);
      if (keep[keep.length - 1] !== i) keep.push(i);
    }
    const pick = (a) => keep.map((i) => (Number.isFinite(a[i]) ? a[i] : null));
    return { step: keep.map((i) => h.step[i]), train: pick(h.train), test: pick(h.test) };
  }
}

/** d (B*n, the gradient of the outputs) times the activation's derivative, in place, as the
 *  engine's rules: relu passes where not pre <= 0, tanh 1 - t*t, sigmoid s * (1 - s). */
function activationGrad(activation, d, pre, out, size) {
  if (activation === "relu") {
    for (let k = 0; k < size; k++) if (pre[k] <= 0) d[k] = 0;
  } else if (activation === "tanh") {
    for (let k = 0; k < size; k++) d[k] = (1 - out[k] * out[k]) * d[k];
  } else {
    for (let k = 0; k < size; k++) d[k] = out[k] * (1 - out[k]) * d[k];
  }
}

/** Heatmap rows as bytes 0..255 (127.5 is zero), as playground/trainer.py's quantize: the score clipped
 *  to [-1, 1], each neuron scaled by its largest magnitude over the plane, NaN as zero. */
export function quantize(rows) {
  const size = rows.length ? rows[0].length : 0, out = new Uint8Array(rows.length * size);
  rows.forEach((row, r) => {
    let top = 1;
    if (r > 0) {
      top = 0;  // numpy's max: NaN if any is NaN, and then no scaling
      for (const v of row) top = v !== v || top !== top ? NaN : Math.max(top, Math.abs(v));
      if (!(top > 0)) top = 1;
    }
    for (let k = 0; k < size; k++) {
      let v = r === 0 ? Math.min(1, Math.max(-1, row[k])) : row[k] / top;
      if (v !== v) v = 0;
      out[r * size + k] = roundHalfEven((v + 1) * 127.5);
    }
  });
  return out;
}
