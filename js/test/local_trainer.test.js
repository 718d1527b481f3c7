// The page's trainer (local_trainer.js) against Python's Trainer: js/test/playground_cases.json,
// written by `python -m gradviz.cases playground` (tests/playground/test_playground_page.py checks the
// file is current). From the same weights and points, each SGD step's loss, grads and new weights
// agree to 1e-12, and the heatmap bytes are the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LocalTrainer, quantize } from "../src/playground/local_trainer.js";
import { CASES, f8, savedOf } from "./pgcases.js";

function close(actual, expected, what, tol = 1e-12) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], a = actual[i];
    if (e === null) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: NaN expected, got ${a}`);
      continue;
    }
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs Python's ${e}`);
  }
}

for (const c of CASES) {
  test(`page trainer = Python's Trainer: ${c.name}`, () => {
    const tr = new LocalTrainer(savedOf(c));
    const batches = c.batches ? c.batches.map((b) => b.slice()) : null;
    if (batches) tr.nextBatch = () => batches.shift();
    c.steps.forEach((s, k) => {
      const before = Float64Array.from(tr.P);
      const idx = batches ? c.batches[k] : tr.nextBatch();
      const loss = tr.lossGrad(idx);
      close([loss], [s.loss], `step ${k} loss`);
      tr.P.set(before);
      assert.equal(tr.step(1), 1);
      close(tr.G, s.grad, `step ${k} grads`);
      close(tr.P, s.params, `step ${k} weights`);
    });
    assert.equal(tr.steps, c.steps.length);
    assert.deepEqual(tr.history.step, c.history.step);
    close(tr.history.train, c.history.train, "train losses");
    close(tr.history.test, c.history.test, "test losses");
    close(tr.accuracy(), c.accuracy, "accuracy");
    const bytes = quantize(tr.heatmaps()), want = Buffer.from(c.maps, "base64");
    assert.equal(bytes.length, want.length, "heatmap rows x grid points");
    assert.deepEqual(Array.from(bytes), Array.from(want), "heatmap bytes");
  });
}

test("reset goes back to the saved start; a full batch is every point", () => {
  const c = CASES[0], tr = new LocalTrainer(savedOf(c));
  tr.step(5);
  tr.reset();
  assert.equal(tr.steps, 0);
  assert.deepEqual(Array.from(tr.P), Array.from(f8(c.start.params)));
  assert.deepEqual(tr.history.step, [0]);
  close(tr.history.train, c.history.train.slice(0, 1), "train loss at step 0");
  assert.deepEqual(tr.nextBatch(), Array.from({ length: tr.data.ytrain.length }, (_, i) => i));
});
