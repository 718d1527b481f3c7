import { test } from "node:test";
import assert from "node:assert/strict";
import { Element } from "./fakedom.js";
import { attachPointer, DRAG_PX, localXY, wheelZoom, zoomKey } from "../src/pointer.js";

function stage() {
  const el = new Element("div");
  el.rect = { left: 100, top: 50, width: 400, height: 300 };
  const calls = [];
  const nav = {
    pan: (dx, dy) => calls.push(["pan", dx, dy]), zoomAt: (x, y, k) => calls.push(["zoom", x, y, k]),
    fit: () => calls.push(["fit"]), select: (b) => calls.push(["select", b]), expand: (b) => calls.push(["expand", b]),
    hover: (_ev, b) => calls.push(["hover", b]), leave: () => calls.push(["leave"]),
    boxAt: (ev) => (ev.clientX < 200 ? 4 : -1), size: () => [400, 300],
  };
  attachPointer(el, nav);
  return { el, calls };
}

test("keys and wheel: + and = zoom in, - out, a wheel turn down zooms out", () => {
  assert.equal(zoomKey("+"), 1.25);
  assert.equal(zoomKey("="), 1.25);
  assert.equal(zoomKey("-"), 0.8);
  assert.equal(zoomKey("x"), 0);
  assert.ok(wheelZoom(100) < 1 && wheelZoom(-100) > 1 && wheelZoom(0) === 1);
});

test("a click selects the box under the pointer; a drag pans and selects nothing", () => {
  const { el, calls } = stage();
  el.dispatch("pointerdown", { clientX: 150, clientY: 60 });
  el.dispatch("pointerup", { clientX: 150, clientY: 60 });
  assert.deepEqual(calls, [["select", 4]]);
  calls.length = 0;
  el.dispatch("pointerdown", { clientX: 150, clientY: 60 });
  el.dispatch("pointermove", { clientX: 150 + DRAG_PX, clientY: 60 });  // not yet a drag
  el.dispatch("pointermove", { clientX: 170, clientY: 70 });
  el.dispatch("pointerup", { clientX: 170, clientY: 70 });
  assert.deepEqual(calls, [["leave"], ["pan", 20, 10], ["leave"]]);
});

test("hovering reports the box; double-click expands a box or fits on the background", () => {
  const { el, calls } = stage();
  el.dispatch("pointermove", { clientX: 150, clientY: 60 });
  el.dispatch("dblclick", { clientX: 150, clientY: 60 });
  el.dispatch("dblclick", { clientX: 300, clientY: 60 });
  el.dispatch("pointerleave");
  assert.deepEqual(calls, [["hover", 4], ["expand", 4], ["fit"], ["leave"]]);
});

test("the wheel zooms at the pointer and keeps the page from scrolling; keys zoom at the centre", () => {
  const { el, calls } = stage();
  const ev = el.dispatch("wheel", { clientX: 300, clientY: 150, deltaY: -100 });
  assert.equal(ev.defaultPrevented, true);
  assert.deepEqual(calls[0].slice(0, 3), ["zoom", 200, 100]);
  assert.ok(calls[0][3] > 1);
  calls.length = 0;
  for (const key of ["+", "-", "f", "Escape", "q"]) el.dispatch("keydown", { key });
  assert.deepEqual(calls, [["zoom", 200, 150, 1.25], ["zoom", 200, 150, 0.8], ["fit"], ["select", -1]]);
  assert.deepEqual(localXY(el, { clientX: 130, clientY: 70 }), [30, 20]);
});
