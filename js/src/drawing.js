// The drawing: the scene the kernel laid out (its `_view` trait, scene.js), the renderer that draws
// it (SVG up to SVG_MAX_BOXES boxes, a canvas above), and what finds its boxes: the lineage
// adjacency and the hit grid. Rebuilt whenever the drawn view, the structure or show_grads changes.

import { SpatialGrid } from "./geometry.js";
import { viewAdjacency } from "./lineage.js";
import { makeScene } from "./scene.js";
import { CanvasRenderer } from "./canvas.js";
import { SvgRenderer } from "./svg.js";

export const SVG_MAX_BOXES = 1500;   // above this the drawing is on a canvas

/** Which renderer draws `nBoxes` boxes: "svg" or "canvas". */
export function rendererKind(nBoxes) {
  return nBoxes > SVG_MAX_BOXES ? "canvas" : "svg";
}

export class Drawing {
  /** `stage`: the element the renderer draws into; `renderers`: the classes by rendererKind
   *  (replaceable in tests, which have no layout). */
  constructor(stage, renderers = { svg: SvgRenderer, canvas: CanvasRenderer }) {
    this.stage = stage;
    this.renderers = renderers;
    this.scene = null;      // scene.js makeScene: boxes, op ellipses, edges, in world px
    this.renderer = null;   // SvgRenderer or CanvasRenderer
    this.kind = "";         // rendererKind of the scene
    this.adjacency = null;  // lineage.js viewAdjacency of the boxes
    this.grid = null;       // geometry.js SpatialGrid: which box is under a point
  }

  /** Draw the view `view` (the `_view` trait) of `graph` ({structure, childPtr, childIdx}) with
   *  `values` ({data, grad}); `theme()` reads the page's colours (for the canvas). */
  build(view, graph, values, showGrads, theme) {
    this.destroy();
    const s = (this.scene = makeScene(view, graph.structure, graph.childPtr, graph.childIdx));
    this.adjacency = viewAdjacency(s.n, s.esrc, s.edst);
    this.grid = new SpatialGrid(s.x, s.y, s.w, s.h);
    this.kind = rendererKind(s.n);
    this.renderer = this.kind === "canvas"
      ? new this.renderers.canvas(this.stage, s, values.data, values.grad, showGrads, theme())
      : new this.renderers.svg(this.stage, s, values.data, values.grad, showGrads);
    return s;
  }

  /** The box at world point (wx, wy), or -1. */
  boxAt(wx, wy) {
    return this.grid.hit(wx, wy);
  }

  /** The canvas takes the page's colours again (a theme change); SVG follows the CSS itself. */
  retheme(theme) {
    if (this.kind === "canvas" && this.renderer) { this.renderer.theme = theme(); this.renderer.draw(); }
  }

  destroy() {
    if (this.renderer) this.renderer.destroy();
    this.renderer = null;
  }
}
