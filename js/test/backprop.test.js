// The Backprop mode's logic, on the cases tests/widget/test_backprop_widget.py writes from Python's
// backprop_steps (js/test/steps_cases.json): grads after each step bit for bit, the step texts,
// the rules, the chain-rule paths; and the bar's buttons.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { installFakeDom } from "./fakedom.js";
import { h } from "../src/dom.js";
import { BackpropBar, BackpropMode, boxShowing, chainPaths, parentOf, decodeSteps, gradsAt, pathText, ruleText, stepLabels, stepView } from "../src/backprop.js";

installFakeDom();

const CASES = JSON.parse(readFileSync(new URL("./steps_cases.json", import.meta.url), "utf8"));
const byName = Object.fromEntries(CASES.map((c) => [c.name, c]));

function ctxOf(c) {
  return {
    labels: c.labels, ops: c.ops, root: c.root, exponents: new Map(),
    kids: (i) => c.childIdx.slice(c.childPtr[i], c.childPtr[i + 1]),
  };
}

test("grads after every step are Python's, bit for bit, blank where not reached", () => {
  for (const c of CASES) {
    const steps = decodeSteps(c.steps);
    const n = c.labels.length;
    c.grads.forEach((want, k) => {
      const { grad, blank } = gradsAt(steps, n, c.root, k);
      for (let i = 0; i < n; i++) {
        if (want[i] === null) assert.equal(blank[i], 1, `${c.name} step ${k} node ${i} is blank`);
        else {
          assert.equal(blank[i], 0);
          assert.ok(Object.is(grad[i], want[i]), `${c.name} step ${k} node ${i}: ${grad[i]} vs ${want[i]}`);
        }
      }
    });
  }
});

test("the lecture graph's steps read as the lecture says them", () => {
  const c = byName.lecture;
  const steps = decodeSteps(c.steps);
  const ctx = ctxOf(c);
  const v0 = stepView(steps, 0, ctx);
  assert.equal(v0.node, c.root);
  assert.match(v0.title, /^step 0 of 3: L\.grad = 1/);
  const v1 = stepView(steps, 1, ctx);
  assert.equal(c.labels[v1.node], "L");
  assert.deepEqual(v1.edges.map((e) => e.text), ["∂L/∂d = f = -2.0000", "∂L/∂f = d = 4.0000"]);
  assert.deepEqual(v1.adds.map((a) => a.text), ["d.grad += -2 × 1 = -2", "f.grad += 4 × 1 = 4"]);
  const v3 = stepView(steps, 3, ctx);
  assert.deepEqual(v3.adds.map((a) => a.text), ["a.grad += -3 × -2 = 6", "b.grad += 2 × -2 = -4"]);
  assert.match(v3.title, /^step 3 of 3: e \(grad -2\) pushes to a, b/);
});

test("each push's formula is Python's rule_texts", () => {
  for (const c of CASES) {
    const steps = decodeSteps(c.steps);
    const ctx = ctxOf(c);
    ctx.exponents = new Map(c.ops.map((op, i) => [i, /^\*\*[-\d.]/.test(op) ? Number(op.slice(2)) : undefined]).filter(([, k]) => k !== undefined));
    for (let s = 0; s < steps.k; s++) {
      const got = [];
      for (let p = steps.ptr[s]; p < steps.ptr[s + 1]; p++) got.push(ruleText(steps, s, p, ctx));
      assert.deepEqual(got, c.rules[s], `${c.name} step ${s}`);
    }
  }
});

test("chain-rule paths: Python's paths, products and sum", () => {
  for (const c of CASES) {
    const steps = decodeSteps(c.steps);
    const r = chainPaths(steps, c.labels.length, c.root, c.leaf);
    assert.deepEqual(r.paths.map((p) => p.nodes), c.paths.map((p) => p.nodes), c.name);
    assert.deepEqual(r.paths.map((p) => p.product), c.paths.map((p) => p.product), c.name);
    assert.ok(Math.abs(r.total - c.total) <= 1e-12 * Math.abs(c.total), c.name);
    assert.equal(r.grad, c.grad);
  }
  const n = byName.neuron;
  const r = chainPaths(decodeSteps(n.steps), n.labels.length, n.root, n.leaf);
  assert.equal(pathText(r.paths[0], n.labels), "-3 × 1 × 1 × 0.5 = -1.5   (x1 → x1*w1 → x1*w1 + x2*w2 → n → o)");
  const two = byName["a + a"];
  const r2 = chainPaths(decodeSteps(two.steps), two.labels.length, two.root, two.leaf);
  assert.equal(r2.paths.length, 3, "a reaches c through b twice (a + a) and once directly");
  const few = chainPaths(decodeSteps(two.steps), two.labels.length, two.root, two.leaf, 2);
  assert.match(few.error, /3 paths lead from the output to that node, more than 2/);
});

test("labels sit beside each operand: its edge's derivative and the addition to its grad", () => {
  const c = byName.lecture;
  const steps = decodeSteps(c.steps);
  const n = c.labels.length;
  const s = { n, x: Float64Array.from({ length: n }, (_, i) => 100 * i), y: Float64Array.from({ length: n }, (_, i) => 10 * i),
    w: new Float64Array(n).fill(40), h: new Float64Array(n).fill(20), boxOfNode: new Map(Array.from({ length: n }, (_, i) => [i, i])) };
  const d = c.labels.indexOf("d"), f = c.labels.indexOf("f");
  const labels = stepLabels(s, stepView(steps, 1, ctxOf(c)));
  assert.deepEqual(labels, [
    { x: 100 * d + 24, y: 10 * d, text: "∂L/∂d = f = -2.0000\nd.grad += -2 × 1 = -2", cls: "gv-bp-label-step" },
    { x: 100 * f + 24, y: 10 * f, text: "∂L/∂f = d = 4.0000\nf.grad += 4 × 1 = 4", cls: "gv-bp-label-step" },
  ]);
  s.boxOfNode.delete(d);  // d hidden in a folded group: no label for it
  assert.deepEqual(stepLabels(s, stepView(steps, 1, ctxOf(c))).map((l) => l.text.split("\n")[0]), ["∂L/∂f = d = 4.0000"]);
  const two = byName["a + a"];
  const st2 = decodeSteps(two.steps);
  const b = two.labels.indexOf("b"), a = two.labels.indexOf("a");
  const v = stepView(st2, st2.k, ctxOf(two));
  assert.equal(two.labels[v.node], "b");
  const s2 = { ...s, boxOfNode: new Map([[a, a], [b, b]]) };
  assert.equal(stepLabels(s2, v)[0].text, "∂b/∂a = 1.0000, ∂b/∂a = 1.0000\na.grad += 1 × 108 = 108\na.grad += 1 × 108 = 108");
});

test("the bar: Next, Previous and the scrubber ask for a position; Play walks to the end", async () => {
  const asked = [];
  const bar = new BackpropBar((k) => { asked.push(k); bar.show(k, 3, { title: `at ${k}`, note: "" }); });
  bar.show(0, 3, { title: "at 0", note: "" });
  assert.equal(bar.prev.disabled, true);
  bar.next.click();
  bar.next.click();
  bar.prev.click();
  bar.scrub.value = "3";
  bar.scrub.dispatch("input");
  assert.deepEqual(asked, [1, 2, 1, 3]);
  assert.equal(bar.next.disabled, true);
  assert.equal(bar.text.textContent, "at 3");
  bar.show(1, 3, { title: "note", note: "its _backward gives d/da = 1, the chain rule for + gives 2" });
  assert.match(bar.note.textContent, /chain rule for \+ gives 2/);
  bar.hide();
  assert.equal(bar.el.hidden, true);
});

test("no steps, or Python's error, decode as such", () => {
  assert.equal(decodeSteps({}), null);
  assert.equal(decodeSteps(null), null);
  assert.deepEqual(decodeSteps({ error: "no Values" }), { error: "no Values" });
});

/** A host for BackpropMode over a case: a model that fires change events, and records of what the
 *  mode asked the widget to do. */
function fakeHost(c, { steps = true } = {}) {
  const handlers = {};
  const state = { _steps: steps ? c.steps : {}, backprop_step: -1, paths_leaf: -1 };
  const model = {
    get: (k) => state[k],
    set: (k, v) => { state[k] = v; (handlers[`change:${k}`] || []).forEach((f) => f()); },
    on: (ev, f) => { (handlers[ev] = handlers[ev] || []).push(f); },
    save_changes() {},
  };
  const n = c.labels.length;
  const scene = { n, x: new Float64Array(n), y: new Float64Array(n), w: new Float64Array(n).fill(10), h: new Float64Array(n).fill(10),
    esrc: new Int32Array(0), edst: new Int32Array(0), boxOfNode: new Map(Array.from({ length: n }, (_, i) => [i, i])) };
  const log = { paints: [], restores: 0, highlights: [], selected: [], errors: [], requests: [] };
  const host = {
    model, root: { dataset: {} }, stageWrap: h("div"),
    structure: () => ({ n, root: c.root, labels: c.labels, ops: c.ops, exponents: new Map(), scopes: new Array(n).fill("") }),
    scene: () => scene, kids: (i) => c.childIdx.slice(c.childPtr[i], c.childPtr[i + 1]), vp: () => ({ scale: 1, tx: 0, ty: 0 }),
    paint: (data, grad) => log.paints.push({ data, grad }), restore: () => { log.restores += 1; },
    highlight: (b, m) => log.highlights.push([b, [...m.dependsOn.keys()].filter((i) => m.dependsOn[i])]), select: (i) => log.selected.push(i),
    request: (m) => { log.requests.push(m); return false; }, error: (m) => log.errors.push(m),
    hidingBox: () => -1, edgePoints: () => Float64Array.of(0, 0, 10, 10), afterPaint: (f) => f(),
  };
  const mode = new BackpropMode(host);
  model.on("change:backprop_step", () => mode.onStep());
  model.on("change:paths_leaf", () => mode.onPaths());
  model.on("change:_steps", () => mode.onSteps());
  mode.load();
  return { mode, log, state, host };
}

test("the mode: Backprop enters at step 0, Next walks, leaving restores the full picture", () => {
  const c = byName.lecture;
  const { mode, log, state, host } = fakeHost(c);
  mode.toggle();
  assert.equal(state.backprop_step, 0);
  const first = log.paints.at(-1);
  assert.equal(first.grad[c.root], 1);
  assert.equal(first.grad.blank[c.labels.indexOf("a")], 1, "a is blank at step 0");
  assert.deepEqual(log.highlights.at(-1), [c.root, []]);
  mode.bar.next.click();
  assert.equal(state.backprop_step, 1);
  assert.deepEqual(log.highlights.at(-1), [c.root, [c.labels.indexOf("d"), c.labels.indexOf("f")]]);
  assert.equal(log.paints.at(-1).grad[c.labels.indexOf("f")], 4);
  assert.equal(host.root.dataset.bpStep, "1");
  assert.ok(Number(host.root.dataset.bpMs) >= 0);
  mode.toggle();
  assert.equal(state.backprop_step, -1);
  assert.equal(log.restores, 1);
  assert.equal(mode.bar.el.hidden, true);
  assert.equal(host.root.dataset.backprop, "off");
});

test("the path view: the output, then a leaf; the sum is the leaf's grad", () => {
  const c = byName.neuron;
  const { mode, log, state } = fakeHost(c);
  mode.onSelect(-1, c.root);
  assert.equal(state.paths_leaf, -1);
  mode.onSelect(c.root, c.leaf);
  assert.equal(state.paths_leaf, c.leaf);
  assert.deepEqual(log.selected, [c.leaf]);
  assert.match(mode.bar.paths.textContent, /1 path from the output to x1/);
  assert.match(mode.bar.paths.textContent, /-3 × 1 × 1 × 0\.5 = -1\.5/);
  assert.match(mode.bar.paths.textContent, /sum of the products = -1\.5 = x1\.grad \(-1\.5\)/);
  mode.onSelect(c.leaf, c.labels.indexOf("w2"));
  assert.equal(state.paths_leaf, -1);
  assert.equal(mode.bar.paths.hidden, true);
});

test("without steps and without a kernel the mode says what to do", () => {
  const { mode, log, state } = fakeHost(byName.lecture, { steps: false });
  mode.toggle();
  assert.equal(state.backprop_step, -1);
  assert.deepEqual(log.requests, [{ type: "backprop", k: 0 }]);
  assert.match(log.errors[0], /Backprop needs the steps of backward/);
});

test("a value drawn by no box is shown by its group, else by the nearest value it feeds", () => {
  const c = byName.lecture;
  const steps = decodeSteps(c.steps);
  const n = c.labels.length;
  const parent = parentOf(steps, n);
  const L = c.root, d = c.labels.indexOf("d"), e = c.labels.indexOf("e"), a = c.labels.indexOf("a");
  assert.deepEqual([parent[L], parent[d], parent[e], parent[a]], [-1, L, d, e]);
  const s = { n: 2, boxOfNode: new Map([[L, 0]]) };
  const scopes = new Array(n).fill("");
  scopes[a] = "MLP#1";
  const hiding = (scope) => (scope === "MLP#1" ? 1 : -1);
  assert.equal(boxShowing(s, a, scopes, hiding, parent), 1, "a's group");
  assert.equal(boxShowing(s, e, scopes, hiding, parent), 0, "e feeds d, d feeds L: L's record");
  assert.equal(boxShowing(s, e, scopes, hiding), -1, "without the parents: not drawn");
});
