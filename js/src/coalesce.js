// At most one request in flight to the kernel. While one is in flight, new requests wait; two
// waiting "set" requests merge into one (later values win per leaf), so a slider drag never queues
// hundreds of forward/backward runs, and the latest value is sent as soon as the previous answer
// arrives. Other requests (step, reset) keep their order.

export function mergeSet(a, b) {
  if (a.type !== "set" || b.type !== "set") return null;
  return { type: "set", values: { ...a.values, ...b.values } };
}

export class Coalescer {
  /** @param {(msg: object) => void} send  called with {...payload, req}
   *  @param firstId  first request id; pick it at random so two views of one widget never collide */
  constructor(send, merge = mergeSet, firstId = 1) {
    this._send = send;
    this._merge = merge;
    this._next = firstId;
    this.inFlight = 0;        // request id awaiting an answer, 0 when idle
    this.pending = [];        // [{payload, t0}] waiting to be sent
    this.sentAt = new Map();  // req -> time of the user event it answers
  }

  /** Queue a payload; `t0` is the time of the user event that caused it. Returns the req id if sent now. */
  push(payload, t0 = 0) {
    if (!this.inFlight) return this._dispatch(payload, t0);
    const last = this.pending[this.pending.length - 1];
    const merged = last && this._merge(last.payload, payload);
    if (merged) { last.payload = merged; last.t0 = t0; } else this.pending.push({ payload, t0 });
    return 0;
  }

  _dispatch(payload, t0) {
    const req = this._next++;
    this.inFlight = req;
    this.sentAt.set(req, t0);
    this._send({ ...payload, req });
    return req;
  }

  /** The kernel answered request `req`. Returns the event time of that request, or null when `req`
   *  is not one we are waiting for. Sends the next waiting payload, if any. */
  ack(req) {
    if (!req || req !== this.inFlight) return null;
    const t0 = this.sentAt.get(req);
    this.sentAt.delete(req);
    this.inFlight = 0;
    const next = this.pending.shift();
    if (next) this._dispatch(next.payload, next.t0);
    return t0;
  }

  /** Forget what is in flight (the kernel restarted or failed to answer). */
  clear() {
    this.inFlight = 0;
    this.pending = [];
    this.sentAt.clear();
  }

  get busy() {
    return this.inFlight !== 0;
  }
}
