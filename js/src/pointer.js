// Pointer and keyboard input on the stage: drag to pan, wheel to zoom, click to select, double-click
// to expand a group (or fit, on the background), keys + - f Escape. Moves go to `nav`:
// {pan(dx, dy), zoomAt(px, py, k), fit(), select(box), expand(box), hover(ev, box), leave(),
// boxAt(ev), size()}.

export const DRAG_PX = 3;  // a press that moves more than this (|dx| + |dy|) is a drag, not a click

/** The zoom factor a key asks for (+ and = in, - out), or 0. */
export function zoomKey(key) {
  return { "+": 1.25, "=": 1.25, "-": 0.8 }[key] || 0;
}

/** The zoom factor of a wheel turn of `deltaY`. */
export function wheelZoom(deltaY) {
  return Math.exp(-deltaY * 0.0015);
}

/** Pointer position relative to element `el`. */
export function localXY(el, ev) {
  const r = el.getBoundingClientRect();
  return [ev.clientX - r.left, ev.clientY - r.top];
}

/** Listen on `stage`; returns nothing (the listeners go with the element). */
export function attachPointer(stage, nav) {
  let drag = null;
  stage.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, moved: false };
    stage.setPointerCapture?.(ev.pointerId);
  });
  stage.addEventListener("pointermove", (ev) => {
    if (drag) {
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > DRAG_PX) drag.moved = true;
      if (drag.moved) { nav.pan(dx, dy); drag.x = ev.clientX; drag.y = ev.clientY; }
      nav.leave();
      return;
    }
    nav.hover(ev, nav.boxAt(ev));
  });
  stage.addEventListener("pointerup", (ev) => {
    const d = drag;
    drag = null;
    if (d && !d.moved) nav.select(nav.boxAt(ev));
  });
  stage.addEventListener("pointerleave", () => nav.leave());
  stage.addEventListener("dblclick", (ev) => {
    const b = nav.boxAt(ev);
    if (b >= 0) nav.expand(b);
    else nav.fit();
  });
  stage.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [px, py] = localXY(stage, ev);
    nav.zoomAt(px, py, wheelZoom(ev.deltaY));
  }, { passive: false });
  stage.addEventListener("keydown", (ev) => {
    const [W, H] = nav.size();
    const k = zoomKey(ev.key);
    if (k) nav.zoomAt(W / 2, H / 2, k);
    else if (ev.key === "f") nav.fit();
    else if (ev.key === "Escape") nav.select(-1);
  });
}
