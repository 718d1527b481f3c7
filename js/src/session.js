// The session with the kernel: the values the page shows and how the kernel's answers and the
// page's own replay are reconciled. The kernel's answers are the truth. With local replay
// (local.js) the page computes a change itself and shows it at once; when the kernel answers, its
// values replace the page's, except an answer to a request that later ones have superseded (the
// page already shows a newer change). Without a kernel the page's replay is all there is, and its
// changes are labelled as computed here.

import { COMPUTED_HERE } from "./connection.js";
import { ReplayError } from "./replay.js";
import { changeBase, changeText, localTape, replayChange, stepChanges, stepText } from "./local.js";

export class Session {
  /** `kernel`: the conversation (kernel.js Kernel: live, busy, request, answered, lost). */
  constructor(kernel) {
    this.kernel = kernel;
    this.values = { data: new Float64Array(0), grad: new Float64Array(0) };  // what the page shows
    this.tape = null;          // the page's replay (local.js localTape), or null: the kernel answers alone
    this.localNudge = null;    // the output panel's record of the last change computed here
    this.shownAhead = new Set();  // event times of requests whose change the page already shows
    this.noAnswer = false;     // a request went unanswered for the kernel's ackMs
    this.answers = 0;          // answers to this page's requests, painted
    this.locals = 0;           // changes computed here, painted
  }

  /** Replay in the page when `enabled` and the graph {structure, childPtr, childIdx} allows it. */
  setupReplay(graph, enabled) {
    this.tape = localTape(graph.structure, graph.childPtr, graph.childIdx, enabled);
    return this.tape !== null;
  }

  /** Values from the kernel (or the saved picture): shown as they are. */
  take(data, grad) {
    this.values = { data, grad };
    this.localNudge = null;
  }

  /** Whether anything can compute a change: a kernel, or the page's replay. */
  get canCompute() { return this.kernel.live || this.tape !== null; }

  /** Set leaves `changes` ({id: value}) at event time `t0`: computed here at once when the page
   *  replays (`shown(r)` paints it, before the request goes: the user need not wait for the send),
   *  and asked of the kernel. Returns false when nothing can compute it. `r`: {shown (new values to
   *  paint), error (a domain error: every value stays)}. */
  set(changes, t0, labels, root, shown) {
    if (!this.canCompute) return false;
    if (this.tape) shown(this.computeHere(changes, t0, changeText(changes, labels), "set", root));
    this.kernel.request({ type: "set", values: changes }, t0);
    return true;
  }

  /** A gradient step of size `lr` on the leaves `controls`: asked of the kernel, or computed here
   *  when no kernel is there. Returns {sent: true}, or computeHere's answer (null: nothing could). */
  step(lr, t0, controls, root) {
    if (this.kernel.request({ type: "step", lr }, t0)) return { sent: true };
    if (!this.tape) return null;
    const base = changeBase(this.tape, this.values.data, this.values.grad);
    return this.computeHere(stepChanges(controls, base.data, base.grad, lr), t0, stepText(lr), "step", root);
  }

  /** Forward and backward from the leaves as they are (the Recompute button): asked of the
   *  kernel, or computed here when no kernel is there. Returns like step(). */
  recompute(t0, root) {
    if (this.kernel.request({ type: "recompute" }, t0)) return { sent: true };
    if (!this.tape) return null;
    return this.computeHere({}, t0, "recomputed forward and backward", "recompute", root);
  }

  /** Every leaf back to the kernel's first values; false when no kernel is there (the caller shows
   *  the saved picture again). */
  reset(t0) {
    return this.kernel.request({ type: "reset" }, t0);
  }

  /** Run a change in the page: {shown, error}. A domain error leaves every value. */
  computeHere(changes, t0, what, kind, root) {
    const r = { shown: false, error: "" };
    try {
      const out = replayChange(this.tape, this.values.data, this.values.grad, changes, root, what, kind);
      this.values = { data: out.data, grad: out.grad };
      this.localNudge = out.nudge;
      r.shown = true;
    } catch (e) {
      if (!(e instanceof ReplayError)) throw e;
      r.error = e.message;
    }
    this.shownAhead.add(t0);
    return r;
  }

  /** The kernel's update carried `_ack` = `ack`. Returns {t0 (the event time of the request it
   *  answers, or null), show (whether its values are to be shown), ahead (the page showed that
   *  change already), wasWaiting (the status said no answer: it must change)}. */
  answered(ack) {
    const t0 = this.kernel.answered(ack);
    const wasWaiting = this.noAnswer;
    this.noAnswer = false;
    const superseded = this.tape !== null && t0 !== null && this.kernel.busy;
    const ahead = t0 !== null && this.shownAhead.delete(t0);
    return { t0, show: !superseded, ahead, wasWaiting };
  }

  /** The kernel is gone: forget what was in flight. Returns whether the page must show the
   *  picture's values again (nothing here computed the last change). */
  lost() {
    this.kernel.lost();
    return this.tape === null;
  }

  /** The last change for the output panel (this page's, else the kernel's `kernelNudge`) and
   *  where it was computed ("" for the kernel). */
  lastChange(kernelNudge) {
    const nudge = this.localNudge || kernelNudge || {};
    return { nudge, where: this.localNudge && !this.kernel.live ? COMPUTED_HERE : "" };
  }
}
