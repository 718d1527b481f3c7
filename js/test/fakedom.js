// A minimal stand-in DOM for node tests of the modules that build elements (dom, table, controls,
// panels, toolbar, theme): elements with attributes, children, classes, dataset, style, text and
// events; text nodes; a document with createElement/createTextNode. Nothing is laid out:
// getBoundingClientRect returns what a test sets in `el.rect`.

class Node {
  constructor() { this.parentNode = null; this.childNodes = []; }
  get firstChild() { return this.childNodes[0] || null; }
  append(...kids) {
    for (const k of kids) {
      const n = typeof k === "string" ? new Text(k) : k;
      if (n.parentNode) n.parentNode.childNodes.splice(n.parentNode.childNodes.indexOf(n), 1);
      n.parentNode = this;
      this.childNodes.push(n);
    }
  }
  appendChild(k) { this.append(k); return k; }
  replaceChildren(...kids) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    this.append(...kids);
  }
  remove() {
    if (this.parentNode) this.parentNode.childNodes.splice(this.parentNode.childNodes.indexOf(this), 1);
    this.parentNode = null;
  }
  get textContent() { return this.childNodes.map((c) => c.textContent).join(""); }
  set textContent(v) { this.replaceChildren(); if (v !== "") this.append(new Text(String(v))); }
  getRootNode() { let n = this; while (n.parentNode) n = n.parentNode; return n; }
}

export class Text extends Node {
  constructor(data) { super(); this.data = data; }
  get textContent() { return this.data; }
  set textContent(v) { this.data = String(v); }
}

class ClassList {
  constructor(el) { this.el = el; }
  get _set() { return new Set(this.el.className.split(/\s+/).filter(Boolean)); }
  _write(s) { this.el.className = [...s].join(" "); }
  contains(c) { return this._set.has(c); }
  add(...cs) { const s = this._set; cs.forEach((c) => s.add(c)); this._write(s); }
  remove(...cs) { const s = this._set; cs.forEach((c) => s.delete(c)); this._write(s); }
  toggle(c, on) { const s = this._set; const want = on === undefined ? !s.has(c) : !!on; if (want) s.add(c); else s.delete(c); this._write(s); return want; }
}

class Style {
  constructor() { this.props = {}; }
  setProperty(k, v) { this.props[k] = v; }
  getPropertyValue(k) { return this.props[k] ?? ""; }
}

const REFLECTED = new Set(["value", "min", "max", "step", "type"]);

export class Element extends Node {
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.className = "";
    this.classList = new ClassList(this);
    this.dataset = {};
    this.style = new Style();
    this.listeners = {};
    this.hidden = false;
    this.disabled = false;
    this.value = "";
    this.validity = { badInput: false };
    this.rect = { left: 0, top: 0, width: 0, height: 0 };
  }
  setAttribute(k, v) {
    this.attributes[k] = String(v);
    if (REFLECTED.has(k)) this[k] = String(v);  // as the DOM reflects these attributes to properties
  }
  getAttribute(k) { return k === "class" ? this.className : (this.attributes[k] ?? null); }
  hasAttribute(k) { return k in this.attributes; }
  removeAttribute(k) { delete this.attributes[k]; }
  addEventListener(type, fn) { (this.listeners[type] = this.listeners[type] || []).push(fn); }
  removeEventListener(type, fn) { this.listeners[type] = (this.listeners[type] || []).filter((f) => f !== fn); }
  /** Fire an event of `type` (fields from `init`) at the listeners and the on<type> handler. */
  dispatch(type, init = {}) {
    const ev = { type, target: this, defaultPrevented: false, preventDefault() { this.defaultPrevented = true; }, ...init };
    for (const fn of (this.listeners[type] || []).slice()) fn(ev);
    if (typeof this["on" + type] === "function") this["on" + type](ev);
    return ev;
  }
  click() { return this.dispatch("click"); }
  getBoundingClientRect() { return this.rect; }
  /** Descendant elements matching a predicate, in document order. */
  findAll(pred) {
    const out = [];
    const walk = (n) => { for (const c of n.childNodes) if (c instanceof Element) { if (pred(c)) out.push(c); walk(c); } };
    walk(this);
    return out;
  }
  byTag(tag) { return this.findAll((e) => e.tagName === tag.toUpperCase()); }
  byLabel(label) { return this.findAll((e) => e.attributes["aria-label"] === label)[0] || null; }
}

/** Install `document` (and `getComputedStyle`, reading inline style) as globals; returns it. */
export function installFakeDom() {
  const document = {
    activeElement: null,
    createElement: (tag) => new Element(tag),
    createTextNode: (data) => new Text(data),
  };
  document.body = new Element("body");
  document.documentElement = new Element("html");
  globalThis.document = document;
  globalThis.getComputedStyle = (el) => ({ getPropertyValue: (k) => el.style.getPropertyValue(k) });
  return document;
}
