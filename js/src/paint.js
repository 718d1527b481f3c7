// Paint scheduling. A repaint writes what can be seen in the frame that answers a change; what is
// out of view (records, table rows) is brought up to date after that frame has been painted.

/** Runs `fn` after the next frame has been painted: rAF callbacks run before that frame's style,
 *  layout and paint; a task queued from one runs after them. */
export function afterPaint(fn, raf = requestAnimationFrame) {
  raf(() => setTimeout(fn, 0));
}

/** `fn` wrapped so that any number of calls in one task run it once, in a microtask: one kernel
 *  message can change _data, _grad and _ack together, and is painted once. */
export function oncePerTask(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => { queued = false; fn(); });
  };
}

/** The world rectangle [x0, y0, x1, y1] a W x H stage shows through viewport `vp`, widened by
 *  `marginPx` screen pixels; null before the stage has a size. */
export function visibleWorld(W, H, vp, marginPx = 40) {
  if (!W || !H) return null;
  const m = marginPx / vp.scale;
  return [-vp.tx / vp.scale - m, -vp.ty / vp.scale - m, (W - vp.tx) / vp.scale + m, (H - vp.ty) / vp.scale + m];
}
