// The page's side of the conversation with the kernel: one request in flight at a time (waiting
// "set"s merged, coalesce.js), a watch on its answer (AckWatch), and a link that knows whether
// anyone is there (Link). Messages that need no answer (expand, collapse) go through tell().

import { Coalescer, mergeSet } from "./coalesce.js";
import { AckWatch, Link } from "./connection.js";

export class Kernel {
  /** `send(msg)`: the model's send; `isLive()`: whether a kernel is behind the page.
   *  `onNoAnswer()`: a request went unanswered for `ackMs` (the queue is dropped first);
   *  `onSendFailed()`: a request could not go (called in a microtask). `firstId`: the first request
   *  id (random by default, so two views of one widget never collide); timers injectable for tests. */
  constructor(send, isLive, { ackMs = 10000, onNoAnswer = () => {}, onSendFailed = () => {}, firstId, setTimer, clearTimer } = {}) {
    this.ackMs = ackMs;
    this.link = new Link(send, isLive);
    this.watch = new AckWatch(ackMs, () => { this.queue.clear(); onNoAnswer(); }, setTimer, clearTimer);
    this.queue = new Coalescer((msg) => {
      if (this.link.send(msg)) this.watch.arm(msg.req);
      else queueMicrotask(onSendFailed);
    }, mergeSet, firstId ?? 1 + Math.floor(Math.random() * 2 ** 30));
  }

  get live() { return this.link.live; }

  /** A request is awaiting its answer. */
  get busy() { return this.queue.busy; }

  /** Send a message that needs no answer; false when it could not go. */
  tell(msg) { return this.link.send(msg); }

  /** Queue a request (set, step, reset) caused by a user event at `t0`; false when no kernel is
   *  there to take it. */
  request(payload, t0 = performance.now()) {
    if (!this.link.live) return false;
    this.queue.push(payload, t0);
    return true;
  }

  /** The kernel's update carried `_ack` = `req`: returns the event time of the request it answers
   *  (null when it answers none of ours) and sends the next waiting one. */
  answered(req) {
    const t0 = this.queue.ack(req);
    if (t0 !== null) { this.watch.answered(); this.link.revive(); }
    return t0;
  }

  /** The kernel is gone: forget what was in flight or waiting. */
  lost() {
    this.queue.clear();
    this.watch.answered();
  }

  /** The comm says it is back. */
  revive() { this.link.revive(); }
}

/** Whether a kernel is behind the widget element `el` of `model`: ipywidgets knows whether the model's comm
 *  is live (false for a saved state, after a kernel restart or a close), anywidget's model proxy
 *  does not say, so ask the widget manager for the model itself, by the id the kernel wrote into
 *  `_self_id`. Returns `isLive()`; `onKnown()` runs once the answer is in. `disconnected(el)`:
 *  whether the element is marked disconnected (connection.js isDisconnected). */
export function kernelLiveness(model, el, disconnected, onKnown) {
  let backbone = null;
  Promise.resolve(model.widget_manager?.get_model?.(model.get("_self_id") || ""))
    .then((m) => { if (m && "comm_live" in m) { backbone = m; onKnown(); } })
    .catch(() => {});
  return () => !disconnected(el) && backbone?.comm_live !== false;
}
