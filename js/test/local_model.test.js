// The standalone playground page's stand-in for the kernel: the datasets and generator made in the
// page (local_data.js), the settings' checks (local_trainer.js), and the messages LocalPlayground
// answers (local_model.js) as Playground._on_msg does in Python.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DATASETS, extentOf, gridPoints, linspace, makeDataset, Rng, roundHalfEven } from "../src/playground/local_data.js";
import { checkSetting, parseHidden } from "../src/playground/local_trainer.js";
import { LocalModel, LocalPlayground, STEPS_PER_TICK } from "../src/playground/local_model.js";
import { CASES, savedOf } from "./pgcases.js";

test("the seeded generator repeats for a seed, differs between seeds, stays in [0, 1)", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xs = Array.from({ length: 1000 }, () => a.next());
  assert.deepEqual(Array.from({ length: 1000 }, () => b.next()), xs);
  assert.notDeepEqual(Array.from({ length: 1000 }, () => c.next()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  const normals = Array.from({ length: 4000 }, () => a.normal(1, 2));
  const m = normals.reduce((s, x) => s + x, 0) / normals.length;
  const sd = Math.sqrt(normals.reduce((s, x) => s + (x - m) ** 2, 0) / normals.length);
  assert.ok(Math.abs(m - 1) < 0.15 && Math.abs(sd - 2) < 0.15, `normal(1, 2): mean ${m}, sd ${sd}`);
  assert.deepEqual(new Rng(3).permutation(6).slice().sort(), [0, 1, 2, 3, 4, 5]);
});

test("numpy's linspace and round-half-to-even", () => {
  assert.deepEqual(Array.from(linspace(0, 1, 5)), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(Array.from(linspace(2, 3, 1)), [2]);
  assert.equal(linspace(-1.3, 2.7, 50)[49], 2.7);
  assert.deepEqual([0.5, 1.5, 2.5, 126.5, 127.5, -1.5, 3.2].map(roundHalfEven), [0, 2, 2, 126, 128, -2, 3]);
  const P = gridPoints([-1, 1, -2, 2], 3);
  assert.deepEqual(Array.from(P.slice(0, 6)), [-1, 2, 0, 2, 1, 2], "row 0 is the top of the plane");
  assert.deepEqual(Array.from(P.slice(12)), [-1, -2, 0, -2, 1, -2]);
});

test("every dataset: n points split as Python splits them, labels -1 and +1, seeded", () => {
  for (const name of DATASETS) {
    const d = makeDataset(name, 41, 0.1, 0.25, 3);
    assert.equal(d.ytrain.length + d.ytest.length, 41, name);
    assert.equal(d.ytest.length, 10, `${name}: round(0.25 * 41)`);
    assert.equal(d.Xtrain.length, 2 * d.ytrain.length);
    const ys = [...d.ytrain, ...d.ytest];
    assert.ok(ys.every((y) => y === 1 || y === -1), name);
    if (name !== "xor") assert.equal(ys.filter((y) => y === -1).length, 20, `${name}: n // 2 of label -1`);
    const [x0, x1, y0, y1] = d.extent;
    for (let k = 0; k < d.Xtrain.length; k += 2) assert.ok(d.Xtrain[k] > x0 && d.Xtrain[k] < x1 && d.Xtrain[k + 1] > y0 && d.Xtrain[k + 1] < y1);
    assert.deepEqual(makeDataset(name, 41, 0.1, 0.25, 3), d, `${name}: the same seed, the same points`);
    assert.notDeepEqual(makeDataset(name, 41, 0.1, 0.25, 4).Xtrain, d.Xtrain, `${name}: another seed, other points`);
  }
  const xor = makeDataset("xor", 200, 0, 0, 1);
  for (let k = 0; k < xor.ytrain.length; k++) assert.equal(xor.ytrain[k], xor.Xtrain[2 * k] * xor.Xtrain[2 * k + 1] > 0 ? 1 : -1);
  const moons = makeDataset("moons", 10, 0, 0, 0), pts = [];
  for (let k = 0; k < 10; k++) pts.push([moons.Xtrain[2 * k], moons.Xtrain[2 * k + 1], moons.ytrain[k]]);
  assert.ok(pts.some(([x, y, l]) => x === 1 && y === 0 && l === -1), "moons without noise: (cos 0, sin 0) on the first moon");
  assert.deepEqual(extentOf([[0, 0], [2, 1]]), [-0.2, 2.2, -0.7, 1.7], "a square, 15% and 0.05 around the points");
  assert.throws(() => makeDataset("moons", 10, 0, 0.9, 0), /fewer than 2 training points/);
});

test("settings are checked as Python checks them", () => {
  assert.deepEqual(checkSetting("hidden", 4), [4]);
  assert.equal(checkSetting("batch_size", 0), null);
  assert.deepEqual(parseHidden("16; 8,4"), [16, 8, 4]);
  assert.throws(() => parseHidden("16, x"), /hidden layers must be sizes separated by commas/);
  assert.throws(() => checkSetting("hidden", [40]), /ValueError: hidden must be a list of up to 6 layer sizes/);
  assert.throws(() => checkSetting("lr", 500), /ValueError: lr must be a number between 0 and 100, got 500/);
  assert.throws(() => checkSetting("n", 10.5), /n must be an int between 10 and 2000/);
  assert.throws(() => checkSetting("dataset", "blobs"), /unknown dataset "blobs"; choose one of moons/);
  assert.throws(() => checkSetting("activation", "linear"), /unknown activation/);
  assert.throws(() => checkSetting("depth", 3), /KeyError: unknown setting "depth"/);
});

const fresh = () => new LocalPlayground(savedOf(CASES[0]));

test("the page's kernel: ticks train and send every trait, step and reset as Python's", () => {
  const pg = fresh(), t = pg.traits(), grid = t._points.grid, maps0 = Array.from(t._maps());
  assert.equal(t._status.step, 0);
  assert.deepEqual(t._net.sizes, [2, 16, 16, 1]);
  assert.equal(t._maps().length, (1 + 16 + 16 + 1) * grid * grid);
  assert.equal(t._points.train.length, 3 * 24);
  const p = pg.handle({ type: "tick", tick: 1 });
  assert.notDeepEqual(Array.from(p._maps()), maps0, "the heatmaps follow the weights");
  assert.ok(p._status.step >= 1 && p._status.step <= STEPS_PER_TICK && p._status.playing && p._status.tick === 1);
  assert.equal(p._curve.step.length, p._status.step + 1);
  assert.equal(p.error, "");
  assert.ok(!("_points" in p), "the points are sent only when they change");
  const s = pg.handle({ type: "step", n: 5 })._status.step;
  assert.equal(s, p._status.step + 5);
  assert.match(pg.handle({ type: "step", n: 0 }).error, /n must be an int from 1 to 1000/);
  assert.equal(pg.trainer.steps, s, "a bad message changes nothing");
  const r = pg.handle({ type: "reset" });
  assert.equal(r._status.step, 0);
  assert.deepEqual(r._net, t._net);
  assert.deepEqual(Array.from(r._maps()), maps0);
});

test("the page's kernel: settings; the saved settings give back the saved points and weights", () => {
  const pg = fresh(), t = pg.traits();
  pg.handle({ type: "step", n: 3 });
  const lr = pg.handle({ type: "config", key: "lr", value: 0.5 });
  assert.equal(lr.config.lr, 0.5);
  assert.equal(lr._status.step, 3, "lr applies from the next step");
  const other = pg.handle({ type: "config", key: "dataset", value: "spiral" });
  assert.equal(other._status.step, 0);
  assert.notDeepEqual(other._points.train, t._points.train);
  const back = pg.handle({ type: "config", key: "dataset", value: "moons" });
  assert.deepEqual(back._points, t._points);
  assert.deepEqual(back._net, t._net);
  const h = pg.handle({ type: "config", key: "hidden", value: "4; 3" });
  assert.deepEqual(h._net.sizes, [2, 4, 3, 1]);
  assert.equal(h._maps().length, (1 + 4 + 3 + 1) * t._points.grid ** 2);
  const bad = pg.handle({ type: "config", key: "noise", value: 5 });
  assert.match(bad.error, /^ValueError: noise must be a number between 0 and 2, got 5$/);
  assert.equal(bad.config.noise, t.config.noise, "the settings are sent back as they are");
  const mb = pg.handle({ type: "config", key: "batch_size", value: 5 });
  assert.equal(mb.config.batch_size, 5);
  const batch = pg.trainer.nextBatch();
  assert.equal(batch.length, 5);
  assert.deepEqual(batch, [...new Set(batch)].sort((a, b) => a - b));
});

test("what needs Python says so where it would appear; nothing fails", () => {
  const pg = fresh();
  const a = pg.handle({ type: "select", what: "sample", split: "test", index: 2 });
  assert.deepEqual(a._status.selected, ["sample", "test", 2]);
  assert.match(a._inspector, /test point 2 .* needs Python: this page has no kernel\. In a notebook: pg\.select_sample\(2, "test"\)/);
  const n = pg.handle({ type: "select", what: "neuron", layer: 1, index: 4 });
  assert.match(n._inspector, /layers\.1\.neurons\.4 .*pg\.select_neuron\(1, 4\)/);
  assert.match(pg.handle({ type: "select", what: "sample", split: "train", index: 99 }).error, /IndexError: train point index must be an int in 0\.\.23/);
  const c = pg.handle({ type: "compare" });
  assert.ok(c._report.note && /PyTorch needs Python/.test(c._report.text));
  assert.equal(c.error, "");
});

test("a frame is answered in a task of its own (the page paints between), others after the current task", async () => {
  const pg = fresh(), model = new LocalModel({ ...pg.traits() }, pg);
  let statuses = 0;
  model.on("change:_status", () => { statuses += 1; });
  model.send({ type: "tick", tick: 1 });
  await Promise.resolve();
  assert.equal(statuses, 0, "not in a microtask");
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(statuses, 1);
  assert.ok(model.get("_status").step >= 1);
  model.send({ type: "step", n: 1 });
  await Promise.resolve();
  assert.equal(statuses, 2);
});
