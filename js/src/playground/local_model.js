// The kernel's part of the Playground, played by the page itself (the standalone playground page,
// gradviz.to_html(playground)): LocalPlayground answers the page's messages (tick, play, pause,
// step, reset, config, select, compare) with the traits the kernel would send, training with
// local_trainer.js; LocalModel is the anywidget model the page's view (index.js) draws from.
// What needs Python (a point's or a neuron's scalar graph, the PyTorch check) is said in a note
// where it would appear.

import { toFloat64 } from "../decode.js";
import { PageModel } from "../page.js";
import { CONFIG_KEYS, LocalTrainer, parseHidden, quantize } from "./local_trainer.js";

// A frame asked for while playing trains for at most TICK_MS or STEPS_PER_TICK steps, in a task of
// its own (LocalModel.send), so the browser paints between frames; the heatmaps are made when it
// paints. Frames follow each other as fast as the machine allows (two in flight, as with a kernel).
export const TICK_MS = 10;
export const STEPS_PER_TICK = 20;
export const NEEDS_PYTHON = "needs Python: this page has no kernel";

const finite = (v) => (Number.isFinite(v) ? v : null);

/** The saved trainer (Python's `_page_trainer`: bytes and lists) as LocalTrainer takes it. */
export function trainerState(t) {
  const f = toFloat64;
  return {
    config: t.config, grid: t.grid, steps: t.steps,
    data: { Xtrain: f(t.X_train), ytrain: f(t.y_train), Xtest: f(t.X_test), ytest: f(t.y_test), extent: t.extent },
    params: f(t.params), init: f(t.init),
    history: { step: Array.from(t.history.step), train: Array.from(f(t.history.train)), test: Array.from(f(t.history.test)) },
  };
}

/** Flat [x, y, label, ...] lists, as the `_points` trait. */
function flat(X, y) {
  const out = [];
  for (let k = 0; k < y.length; k++) out.push(X[2 * k], X[2 * k + 1], y[k]);
  return out;
}

export class LocalPlayground {
  /** `saved`: trainerState(...) of the Python playground. */
  constructor(saved) {
    const tr = (this.trainer = new LocalTrainer(saved));
    this.playing = false;
    this.tick = 0;
    this.selected = null;
    // The heatmaps are the costly part of a frame: made when the page paints (LocalModel.get),
    // once per model state, so frames trained between two paints cost none.
    this.cached = { key: null, bytes: null };
    this.maps = () => {
      const key = `${tr.steps}|${tr.version}`;
      if (this.cached.key !== key) this.cached = { key, bytes: quantize(tr.heatmaps()) };
      return this.cached.bytes;
    };
  }

  /** Every trait, as Playground._publish(data=True) sends them (`_maps` as a function that
   *  makes them: LocalModel.get calls it). */
  traits() {
    return { ...this.publish(true), _report: {}, error: "" };
  }

  publish(data = false) {
    const tr = this.trainer, patch = { config: { ...tr.config, hidden: tr.config.hidden.slice() } };
    if (data) {
      const d = tr.data;
      patch._points = { extent: d.extent.slice(), grid: tr.grid, train: flat(d.Xtrain, d.ytrain), test: flat(d.Xtest, d.ytest) };
    }
    patch._net = tr.net();
    patch._maps = this.maps;
    patch._curve = tr.curve();
    patch._status = this.status();
    return patch;
  }

  status() {
    const tr = this.trainer, h = tr.history, [trainAcc, testAcc] = tr.accuracy(), last = h.step.length - 1;
    return {
      step: tr.steps, tick: this.tick, playing: this.playing,
      train_loss: last >= 0 ? finite(h.train[last]) : null, test_loss: last >= 0 ? finite(h.test[last]) : null,
      train_acc: finite(trainAcc), test_acc: finite(testAcc), selected: this.selected,
    };
  }

  /** One message from the page; returns the traits that change. A bad message changes nothing
   *  but `error` (and `config`, shown as it is). */
  handle(msg) {
    const tr = this.trainer;
    try {
      const patch = this.answer(msg, tr);
      patch.error = "";
      return patch;
    } catch (e) {
      return { error: e.message.includes(": ") ? e.message : `Error: ${e.message}`, config: { ...tr.config } };
    }
  }

  answer(msg, tr) {
    switch (msg.type) {
      case "tick":
        this.playing = true;
        this.tick = Number(msg.tick) || 0;
        tr.step(STEPS_PER_TICK, TICK_MS);
        return this.publish();
      case "play":
      case "pause":
        this.playing = msg.type === "play";
        return { _status: this.status() };
      case "step": {
        const n = msg.n ?? 1;
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`ValueError: n must be an int from 1 to 1000, got ${JSON.stringify(n)}`);
        tr.step(n);
        return this.publish();
      }
      case "reset":
        this.playing = false;
        tr.reset();
        return this.publish(true);
      case "config": {
        const key = String(msg.key);
        if (!CONFIG_KEYS.includes(key)) throw new Error(`KeyError: unknown setting ${JSON.stringify(key)}; settings: ${CONFIG_KEYS.join(", ")}`);
        const value = key === "hidden" && typeof msg.value === "string" ? parseHidden(msg.value) : msg.value;
        const changed = tr.configure({ [key]: value });
        const restart = changed.some((k) => !["lr", "l2", "batch_size"].includes(k));
        if (restart) this.selected = null;
        return this.publish(restart);
      }
      case "select":
        return this.select(msg);
      case "compare":
        return { _report: { note: true, step: tr.steps, text: `The check with PyTorch ${NEEDS_PYTHON}. In a notebook, Playground.compare() checks this step's loss and grads against torch.` } };
      default:
        throw new Error(`ValueError: unknown message ${JSON.stringify(msg.type)}`);
    }
  }

  /** A point or a neuron: ringed (a point), and a note where its scalar graph would open. */
  select(msg) {
    const tr = this.trainer;
    if (msg.what === "neuron") {
      const layer = Number(msg.layer), index = Number(msg.index);
      this.selected = ["neuron", layer, index];
      return {
        _status: this.status(),
        _inspector: `The scalar graph of neuron layers.${layer}.neurons.${index} opens in a GraphWidget, which ${NEEDS_PYTHON}. ` +
          `In a notebook: pg.select_neuron(${layer}, ${index}).`,
      };
    }
    const split = msg.split === "test" ? "test" : "train", index = Number(msg.index);
    const m = (split === "test" ? tr.data.ytest : tr.data.ytrain).length;
    if (!Number.isInteger(index) || index < 0 || index >= m) throw new Error(`IndexError: ${split} point index must be an int in 0..${m - 1}, got ${msg.index}`);
    this.selected = ["sample", split, index];
    return {
      _status: this.status(),
      _inspector: `The scalar graph of ${split} point ${index} (its hinge loss through every neuron) opens in a GraphWidget, ` +
        `which ${NEEDS_PYTHON}. In a notebook: pg.select_sample(${index}, "${split}").`,
    };
  }
}

/** The anywidget model of the page: traits in an object, messages answered by a LocalPlayground
 *  after the current task (a frame's training in a task of its own, so the page paints between). */
export class LocalModel extends PageModel {
  /** A trait; one sent as a function (the heatmaps) is made now. */
  get(key) {
    const v = this.state[key];
    return typeof v === "function" ? v() : v;
  }

  send(msg) {
    if (msg.type === "tick") setTimeout(() => this.update(this.engine.handle(msg)), 0);
    else super.send(msg);
  }
}
