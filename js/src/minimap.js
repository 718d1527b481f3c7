// The overview in the stage's corner: the whole scene in miniature with the visible part outlined.
// Click or drag in it to move the view there. Shown only while part of the graph is out of view.

import { overviewBox, overviewRect } from "./framing.js";

export class Minimap {
  constructor(container, onMove) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "gv-minimap";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "overview of the whole graph: click to move the view there");
    this.canvas.hidden = true;
    container.appendChild(this.canvas);
    this.base = null;
    this.ov = null;
    const go = (ev) => {
      const r = this.canvas.getBoundingClientRect();
      if (!this.ov || !r.width) return;
      onMove((ev.clientX - r.left) / this.ov.k, (ev.clientY - r.top) / this.ov.k);
    };
    let dragging = false;
    this.canvas.addEventListener("pointerdown", (ev) => { ev.stopPropagation(); dragging = true; this.canvas.setPointerCapture?.(ev.pointerId); go(ev); });
    this.canvas.addEventListener("pointermove", (ev) => { ev.stopPropagation(); if (dragging) go(ev); });
    this.canvas.addEventListener("pointerup", (ev) => { ev.stopPropagation(); dragging = false; });
    this.canvas.addEventListener("wheel", (ev) => ev.stopPropagation());
    this.canvas.addEventListener("dblclick", (ev) => ev.stopPropagation());
  }

  /** Draw the scene's boxes once, small, in the theme's colours. */
  setScene(s, theme) {
    const ov = (this.ov = overviewBox(s.width, s.height));
    const dpr = window.devicePixelRatio || 1;
    const base = document.createElement("canvas");
    base.width = Math.round(ov.w * dpr); base.height = Math.round(ov.h * dpr);
    const ctx = base.getContext("2d");
    ctx.scale(dpr, dpr);
    ctx.fillStyle = theme.bg; ctx.fillRect(0, 0, ov.w, ov.h);
    const colour = { input: theme.input, parameter: theme.param, constant: theme.constant, output: theme.output, group: theme.group };
    for (let i = 0; i < s.n; i++) {
      ctx.fillStyle = s.kinds[i] === "output" ? theme.sel : colour[s.kinds[i]] || theme.line;
      const w = Math.max(1, s.w[i] * ov.k), h = Math.max(1, s.h[i] * ov.k);
      ctx.fillRect(s.x[i] * ov.k - w / 2, s.y[i] * ov.k - h / 2, w, h);
    }
    this.base = base;
    this.theme = theme;
    this.canvas.width = base.width; this.canvas.height = base.height;
    this.canvas.style.width = `${ov.w}px`; this.canvas.style.height = `${ov.h}px`;
  }

  /** Outline what the viewport shows; hide the overview when everything is in view. */
  update(vp, W, H, s) {
    if (!this.base || !W || !H) return;
    const [x0, y0] = vp.toWorld(0, 0), [x1, y1] = vp.toWorld(W, H);
    const all = x0 <= 0 && y0 <= 0 && x1 >= s.width && y1 >= s.height;
    this.canvas.hidden = all;
    if (all) return;
    const ctx = this.canvas.getContext("2d");
    const dpr = this.base.width / this.ov.w;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const [rx, ry, rw, rh] = overviewRect(vp, W, H, this.ov);
    ctx.strokeStyle = this.theme.sel; ctx.lineWidth = 1.5;
    ctx.strokeRect(rx + 0.75, ry + 0.75, Math.max(1, rw - 1.5), Math.max(1, rh - 1.5));
  }

  destroy() { this.canvas.remove(); }
}
