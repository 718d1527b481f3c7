// The selection: the selected box and value, what it depends on and what depends on it (lineage
// masks), and the boxes the search marked. It survives a rebuilt drawing by its value.

import { lineage } from "./lineage.js";

export class Selection {
  constructor() {
    this.box = -1;        // the selected box, -1: none
    this.node = -1;       // the selected value (a node id), -1: none or a group
    this.masks = null;    // lineage(box): {dependsOn, dependents} as 0/1 masks, or null
    this.matches = null;  // boxes the search matched (a Set), or null
  }

  /** Select `box` (-1: none) of `drawing`; `node` defaults to the box's value (none for a group). */
  select(drawing, box, node) {
    const s = drawing.scene;
    this.box = box;
    this.node = node ?? (box >= 0 && !s.group[box] ? s.node[box] : -1);
    this.masks = box >= 0 ? lineage(drawing.adjacency, box) : null;
  }

  /** After `drawing` was rebuilt: the selected value's box in it (none when folded away). */
  rebind(drawing) {
    const b = this.node >= 0 ? drawing.scene.boxOfNode.get(this.node) : undefined;
    this.box = b ?? -1;
    this.masks = this.box >= 0 ? lineage(drawing.adjacency, this.box) : null;
  }

  /** Mark it in `renderer`. */
  show(renderer) {
    renderer.setHighlight(this.box, this.masks, this.matches);
  }
}
