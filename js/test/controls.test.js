import { test } from "node:test";
import assert from "node:assert/strict";
import { installFakeDom } from "./fakedom.js";
import { keepTyping, LeafControls, MAX_CONTROLS, shownControls, sliderRange } from "../src/controls.js";
import { Element } from "./fakedom.js";
import { smallGraph } from "./fixture.js";

const document = installFakeDom();

test("every leaf gets controls, or only the selected one when there are many", () => {
  const few = [1, 2, 3];
  assert.deepEqual(shownControls(few, -1), few);
  const many = Array.from({ length: MAX_CONTROLS + 1 }, (_, i) => i);
  assert.deepEqual(shownControls(many, -1), []);
  assert.deepEqual(shownControls(many, 7), [7]);
  assert.deepEqual(shownControls(many, 99), [], "a selected node that is not a leaf");
});

test("a number box keeps what the user is typing, and only that", () => {
  assert.equal(keepTyping(true, "3.", 2), true);
  assert.equal(keepTyping(true, "2", 2), false, "focused but showing the value: update it");
  assert.equal(keepTyping(false, "3.", 2), false);
});

function setup(structure, data) {
  const sets = [], errors = [];
  const section = new Element("section");
  const c = new LeafControls(section, { onSet: (id, v) => sets.push([id, v]), onError: (m) => errors.push(m), valueOf: (id) => data[id] });
  c.build(structure, data, -1);
  return { c, section, sets, errors };
}

test("a slider and a number box per leaf; moving and typing report the value", () => {
  const g = smallGraph();
  const { c, section, sets } = setup(g.structure, g.data);
  assert.equal(section.byTag("h4")[0].textContent, "leaves (2)");
  const slider = section.byLabel("a slider"), num = section.byLabel("a");
  assert.equal(num.value, "2");
  slider.value = "2.5";
  slider.dispatch("input", { timeStamp: 5 });
  assert.equal(num.value, "2.5");
  num.value = "4";
  num.dispatch("keydown", { key: "Enter", timeStamp: 6 });
  assert.deepEqual(sets, [[0, 2.5], [0, 4]]);
  assert.equal(c.rows.get(0).shown, 4);
});

test("what is not a number is refused with a message, and the box shows the value again", () => {
  const g = smallGraph();
  const { section, sets, errors } = setup(g.structure, g.data);
  const num = section.byLabel("b");
  num.value = "abc";
  num.dispatch("change");
  assert.deepEqual(sets, []);
  assert.equal(num.value, "-3");
  assert.equal(errors.length, 1);
  assert.match(errors[0], /type a finite number for b \(it stays -3\.0\)/);
});

test("new values reach the boxes, not a box being typed in; a slider widens to take them", () => {
  const g = smallGraph();
  const { c, section } = setup(g.structure, g.data);
  const numA = section.byLabel("a"), numB = section.byLabel("b"), sliderA = section.byLabel("a slider");
  numB.value = "7";                        // typing, not committed
  document.activeElement = numB;
  numB.getRootNode = () => document;
  c.update(Float64Array.from([1000, -2, 0, 0]));
  assert.equal(numA.value, "1000");
  assert.equal(sliderA.max, "1000");
  assert.equal(sliderA.value, "1000");
  assert.equal(numB.value, "7", "the user's typing stays");
  document.activeElement = null;
  c.update(Float64Array.from([1000, -2, 0, 0]));
  assert.equal(numB.value, "-2");
});

test("a read-only graph shows its reason instead of controls", () => {
  const g = smallGraph({ readonly: "read-only: a custom op" });
  const { c, section } = setup(g.structure, g.data);
  assert.equal(section.textContent, "read-only: a custom op");
  assert.equal(c.rows.size, 0);
});

test("many leaves: a note until one is selected", () => {
  const g = smallGraph();
  const n = MAX_CONTROLS + 5;
  const S = { ...g.structure, n, labels: Array.from({ length: n }, (_, i) => `w${i}`), kinds: new Array(n).fill("parameter"),
    controls: Array.from({ length: n }, (_, i) => i), control_init: new Array(n).fill(0) };
  const data = new Float64Array(n);
  const { c, section } = setup(S, data);
  assert.match(section.textContent, /25 leaves: click a leaf/);
  c.build(S, data, 3);
  assert.equal(c.rows.size, 1);
  assert.ok(section.byLabel("w3"));
});

test("slider range is centred on the starting value", () => {
  assert.deepEqual(sliderRange(2), { min: 0, max: 4, step: 0.02 });
  assert.deepEqual(sliderRange(0.1), { min: -0.9, max: 1.1, step: 0.01 });
  assert.deepEqual(sliderRange(NaN), { min: -1, max: 1, step: 0.01 });
});
