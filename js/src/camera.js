// Where the view looks: the viewport (scale and offset) over the scene, and the moves made on it —
// fit, the first view, pan and zoom, bringing a search hit or an opened group into view. Every move
// ends in `apply()` (the drawing and the overview follow the viewport). Until the user moves the
// view, a resize re-plans the first view (the output stays in view).

import { Viewport } from "./geometry.js";
import { boxScale, expandedFocus, firstViewPlan, readableScale } from "./framing.js";
import { expandedBounds } from "./groups.js";

export class Camera {
  constructor(apply) {
    this.vp = new Viewport();
    this.size = [0, 0];       // the stage's size in CSS px
    this.userMoved = false;   // the user panned, zoomed, fitted or searched
    this.apply = apply;
  }

  /** The whole scene in view (no-op before the stage has a size). */
  fit(scene) {
    const [W, H] = this.size;
    if (!W || !H || !scene) return;
    this.vp.fit(scene.width, scene.height, W, H);
    this.apply();
  }

  /** The first view: the whole graph if its text is readable that way, else the output (node
   *  `root`) at a readable zoom. `Hmax` is the most the stage takes; returns the plan (its stageH
   *  is the stage height to set), or null for an empty scene (fitted instead). */
  first(scene, root, Hmax) {
    const W = this.size[0];
    if (!scene.n) { this.fit(scene); return null; }
    const b = scene.boxOfNode.get(root) ?? scene.n - 1;
    const out = { x: scene.x[b], y: scene.y[b], w: scene.w[b], h: scene.h[b] };
    const p = firstViewPlan(scene.width, scene.height, W, Hmax, out, readableScale(scene.fontPx), 120, !!scene.vertical);
    this.size = [W, p.stageH];
    this.vp.scale = p.scale; this.vp.tx = p.tx; this.vp.ty = p.ty;
    this.apply();
    return p;
  }

  pan(dx, dy) { this.userMoved = true; this.vp.pan(dx, dy); this.apply(); }

  zoomAt(px, py, k) { this.userMoved = true; this.vp.zoomAt(px, py, k); this.apply(); }

  /** Zoom by `k` about the stage's centre. */
  zoom(k) { this.zoomAt(this.size[0] / 2, this.size[1] / 2, k); }

  /** Fit, as the user asked for it. */
  userFit(scene) { this.userMoved = true; this.fit(scene); }

  /** Centre on world point (x, y). */
  centreOn(x, y) { this.userMoved = true; this.vp.centreOn(x, y, this.size[0], this.size[1]); this.apply(); }

  /** Centre box b, zoomed in to a readable size if the view is smaller than that. */
  showBox(scene, b) {
    this.userMoved = true;
    this.vp.scale = boxScale(this.vp.scale, scene.w[b], this.size[0], readableScale(scene.fontPx));
    this.centreOn(scene.x[b], scene.y[b]);
  }

  /** After an expand: bring what group `key` opened into view, readable if it fits. */
  showExpanded(scene, scopes, key) {
    const r = expandedBounds(scene, scopes, key);
    if (!r) return;
    const f = expandedFocus(r, this.size[0], this.size[1], readableScale(scene.fontPx));
    this.vp.scale = f.scale;
    this.centreOn(f.cx, f.cy);
  }
}
