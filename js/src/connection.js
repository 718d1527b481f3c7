// Is a kernel behind this page? The widget tells the user plainly when it is not (a notebook
// reopened from its saved state, a restarted kernel, a closed comm): its picture is then a saved
// one, and anything the page computes is not in Python. It never waits forever on a send that
// cannot go, nor on an answer that does not come.

/** The class ipywidgets puts on a view whose model has no live comm (saved state, kernel restart). */
export const DISCONNECTED_CLASS = "jupyter-widgets-disconnected";
export const NOT_CONNECTED = "not connected: a saved picture. Changes here are computed in this page only, " +
  "not in Python; run the notebook's cells again to connect a kernel.";
export const NO_ANSWER = (s) => `no answer from the kernel for ${s} s: it is busy (a running cell) or gone; ` +
  "the next change is sent again";
export const COMPUTED_HERE = "computed in this page, not in Python";

/** True when `el` (the element anywidget renders the widget into) or an ancestor carries the disconnected class. */
export function isDisconnected(el) {
  return !!(el && el.closest && el.closest(`.${DISCONNECTED_CLASS}`));
}

/** Sends to the kernel through `send`, unless `isLive()` says no kernel is behind the page. A send
 *  that throws (JupyterLab's "Cannot send" on a disposed comm) marks the link dead instead of
 *  escaping: later sends are refused at once. */
export class Link {
  constructor(send, isLive = () => true) {
    this._send = send;
    this._isLive = isLive;
    this.dead = false;
    this.lastError = null;
  }

  get live() {
    return !this.dead && this._isLive();
  }

  /** Returns true when the message went out. */
  send(msg) {
    if (!this.live) return false;
    try {
      this._send(msg);
      return true;
    } catch (e) {
      this.dead = true;
      this.lastError = e;
      return false;
    }
  }

  /** The kernel answered: it is there after all (e.g. a comm that came back). */
  revive() {
    this.dead = false;
  }
}

/** Watches the one request in flight: `arm(req)` when it goes out, `answered()` when its answer
 *  comes; if none comes within `ms`, `onTimeout(req)` runs (once per request). `setTimer` and
 *  `clearTimer` are injectable for tests. */
export class AckWatch {
  constructor(ms, onTimeout, setTimer = (fn, t) => setTimeout(fn, t), clearTimer = (id) => clearTimeout(id)) {
    this.ms = ms;
    this._onTimeout = onTimeout;
    this._set = setTimer;
    this._clear = clearTimer;
    this._timer = null;
    this.req = 0;
  }

  arm(req) {
    this.answered();
    this.req = req;
    this._timer = this._set(() => {
      this._timer = null;
      const r = this.req;
      this.req = 0;
      this._onTimeout(r);
    }, this.ms);
  }

  answered() {
    if (this._timer !== null) this._clear(this._timer);
    this._timer = null;
    this.req = 0;
  }
}
