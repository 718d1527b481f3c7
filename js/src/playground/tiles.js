// The network picture on the page: a canvas tile per neuron showing its output over the input
// plane (the kernel's uint8 heatmaps, one row per neuron), and one canvas of edges coloured and
// sized by weight. Positions and rows come from network.js.

import { h } from "../dom.js";
import { paintBytes, weightStroke } from "./colors.js";
import { edgeCurve, layoutNetwork, mapRow, networkEdges } from "./network.js";

export const TILE = 30;    // neuron tile size (px)

/** How a neuron is named: as in Python, where its parameters are labelled layers.L.neurons.J.w.K. */
export function neuronName(layer, index, nLayers) {
  if (layer === 0) return `input x${index}`;
  return `layers.${layer - 1}.neurons.${index}${layer === nLayers - 1 ? " (output)" : ""}`;
}

/** An input neuron's "output" (the coordinate itself, scaled to [0, 1] over the plane) as bytes. */
export function inputBytes(index, grid) {
  const bytes = new Uint8Array(grid * grid);
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) bytes[r * grid + c] = Math.round((index === 0 ? c / (grid - 1) : 1 - r / (grid - 1)) * 255);
  }
  return bytes;
}

export class NetTiles {
  /** `netBox`: the tiles' container; `edgeCanvas`: the edges' canvas; `lut`, `pal`: colours
   *  (colors.js); `onOpen(layer, index)`: a neuron's tile was clicked (layer counts from 0 at the
   *  first hidden layer, as in Python). */
  constructor(netBox, edgeCanvas, lut, pal, onOpen) {
    Object.assign(this, { netBox, edgeCanvas, lut, pal, onOpen });
    this.tiles = [];   // {el, row, ctx, node, img}
    this.edges = [];   // {e, c}: edge and its curve
    this.key = "";
  }

  /** Rebuild for the `_net` trait `net` and a heatmap of grid x grid when either changed. */
  build(net, grid) {
    const sizes = net.sizes || [];
    const key = sizes.join("-") + `|${grid}`;
    if (key === this.key) return;
    this.key = key;
    for (const t of this.tiles) t.el.remove();
    this.tiles = [];
    this.edges = [];
    if (!sizes.length) return;
    const lay = layoutNetwork(sizes, TILE);
    this.netBox.style.width = `${lay.width}px`;
    this.netBox.style.height = `${lay.height}px`;
    const dpr = window.devicePixelRatio || 1, ec = this.edgeCanvas;
    ec.width = Math.ceil(lay.width * dpr);
    ec.height = Math.ceil(lay.height * dpr);
    ec.style.width = `${lay.width}px`;
    ec.style.height = `${lay.height}px`;
    this.edges = networkEdges(sizes, net.w || [], lay).map((e) => ({ e, c: edgeCurve(e) }));
    for (const n of lay.nodes) this.tiles.push(this._tile(n, sizes, grid));
  }

  _tile(n, sizes, grid) {
    const name = neuronName(n.layer, n.index, sizes.length), input = n.layer === 0;
    const c = h("canvas", {
      class: "gvp-tile" + (input ? " gvp-input" : ""), width: grid, height: grid,
      role: input ? "img" : "button", tabindex: input ? undefined : 0,
      "aria-label": input ? name : `${name}: open its scalar graph`,
    });
    c.style.left = `${n.x}px`;
    c.style.top = `${n.y}px`;
    c.style.width = c.style.height = `${TILE}px`;
    const tile = { el: c, row: mapRow(sizes, n.layer, n.index), ctx: c.getContext("2d"), node: n };
    if (input) {
      const img = tile.ctx.createImageData(grid, grid);
      paintBytes(img.data, inputBytes(n.index, grid), 0, grid * grid, this.lut);
      tile.ctx.putImageData(img, 0, 0);
    } else {
      const open = () => this.onOpen(n.layer - 1, n.index);
      c.addEventListener("click", open);
      c.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); open(); }
      });
    }
    this.netBox.append(c);
    return tile;
  }

  /** Each neuron's row of the heatmaps `bytes` (grid x grid bytes a row) into its tile. */
  paintMaps(bytes, grid) {
    const size = grid * grid;
    for (const t of this.tiles) {
      if (t.row < 0 || (t.row + 1) * size > bytes.length) continue;
      if (!t.img) t.img = t.ctx.createImageData(grid, grid);
      paintBytes(t.img.data, bytes, t.row * size, size, this.lut);
      t.ctx.putImageData(t.img, 0, 0);
    }
  }

  /** Every edge on one canvas: a few hundred strokes cost far less than as many SVG paths. */
  paintEdges(net) {
    const sizes = net.sizes || [], ec = this.edgeCanvas;
    const ctx = ec.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, ec.width, ec.height);
    for (const { e, c } of this.edges) {
      const nin = sizes[e.layer - 1];
      const w = net.w && net.w[e.layer - 1] ? net.w[e.layer - 1][e.out * nin + e.in] : NaN;
      const s = weightStroke(w, this.pal);
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width;
      ctx.beginPath();
      ctx.moveTo(c[0], c[1]);
      ctx.bezierCurveTo(c[2], c[3], c[4], c[5], c[6], c[7]);
      ctx.stroke();
    }
  }
}
