// What the page writes into its root's data attributes for tests and benchmarks (the Python
// browser tests and benchmarks/run.py read them): when it was ready, how long a change took to
// show, and how many answers and local changes it painted. Each is written after the frame that
// painted it (paint.js afterPaint).

import { afterPaint } from "./paint.js";

/** The first frame is painted: render took this long since `tStart`. */
export function recordReady(root, tStart, session) {
  afterPaint(() => {
    root.dataset.renderMs = (performance.now() - tStart).toFixed(2);
    root.dataset.nudgeCount = String(session.answers);
    root.dataset.gradvizReady = "1";
  });
}

/** The kernel answered a request of this page made at `t0` (null: none of ours), which the page
 *  showed ahead (`ahead`: computed here first) or not; then `after()` (the deferred updates). */
export function recordAnswer(root, t0, ahead, session, onCounted, after) {
  afterPaint(() => {
    if (t0 !== null) {
      const ms = (performance.now() - t0).toFixed(2);
      session.answers += 1;
      root.dataset.lastConfirmMs = ms;
      if (!ahead) root.dataset.lastNudgeMs = ms;
      root.dataset.nudgeCount = String(session.answers);
      onCounted();
    }
    after();
  });
}

/** A change made at `t0` was computed and painted in the page; then `after()`. */
export function recordLocal(root, t0, session, after) {
  afterPaint(() => {
    session.locals += 1;
    root.dataset.lastNudgeMs = (performance.now() - t0).toFixed(2);
    root.dataset.localCount = String(session.locals);
    after();
  });
}
