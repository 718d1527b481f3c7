// The page trainer's cases (playground_cases.json, written by `python -m gradviz.cases
// playground`) and their starts as the page's trainer takes them.
import { readFileSync } from "node:fs";

export const CASES = JSON.parse(readFileSync(new URL("./playground_cases.json", import.meta.url), "utf8"));

export const f8 = (b64) => {
  const buf = Buffer.from(b64, "base64");
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
};

/** A case's start as LocalTrainer takes it (local_model.js trainerState does the same for the
 *  page's decoded bytes). */
export function savedOf(c) {
  const s = c.start;
  return {
    config: s.config, grid: s.grid, steps: s.steps,
    data: { Xtrain: f8(s.X_train), ytrain: f8(s.y_train), Xtest: f8(s.X_test), ytest: f8(s.y_test), extent: s.extent },
    params: f8(s.params), init: f8(s.init),
    history: { step: c.history0.step, train: c.history0.train, test: c.history0.test.map((v) => v ?? NaN) },
  };
}
