// The network picture: where each neuron's tile goes, and which weight each edge draws.
// Pure functions; index.js turns them into an SVG of edges and a tile canvas per neuron.

/** Tile positions for layer sizes (e.g. [2, 16, 16, 1]): {x, y, layer, index} per neuron, layer by
 *  layer, and the picture's width and height. Inputs are layer 0 and drawn too. */
export function layoutNetwork(sizes, tile = 30, gapX = 70, gapY = 6) {
  const tallest = Math.max(...sizes);
  const height = tallest * tile + (tallest - 1) * gapY;
  const nodes = [];
  sizes.forEach((n, layer) => {
    const colHeight = n * tile + (n - 1) * gapY;
    const top = (height - colHeight) / 2;
    for (let i = 0; i < n; i++) {
      nodes.push({ layer, index: i, x: layer * (tile + gapX), y: top + i * (tile + gapY) });
    }
  });
  const width = (sizes.length - 1) * (tile + gapX) + tile;
  return { nodes, width, height, tile };
}

/** Edges from layer l-1 to l with their weights: w is a flat [out][in] list per layer. */
export function networkEdges(sizes, w, layout) {
  const at = new Map(layout.nodes.map((n) => [`${n.layer}:${n.index}`, n]));
  const t = layout.tile;
  const edges = [];
  for (let l = 1; l < sizes.length; l++) {
    const nin = sizes[l - 1];
    for (let o = 0; o < sizes[l]; o++) {
      for (let i = 0; i < nin; i++) {
        const a = at.get(`${l - 1}:${i}`);
        const b = at.get(`${l}:${o}`);
        const wt = w[l - 1] ? w[l - 1][o * nin + i] : NaN;
        edges.push({ from: [a.x + t, a.y + t / 2], to: [b.x, b.y + t / 2], w: wt, layer: l, out: o, in: i });
      }
    }
  }
  return edges;
}

/** An edge as a cubic Bezier [x0, y0, c1x, c1y, c2x, c2y, x1, y1]: a gentle S from one tile's
 *  right side to the next tile's left side. */
export function edgeCurve(e) {
  const [x0, y0] = e.from;
  const [x1, y1] = e.to;
  const mx = (x0 + x1) / 2;
  return [x0, y0, mx, y0, mx, y1, x1, y1];
}

/** Which heatmap (row of the maps bytes) a neuron shows: row 0 is the output score, then hidden
 *  neurons layer by layer (the output neuron is the last). Inputs have none (-1). */
export function mapRow(sizes, layer, index) {
  if (layer === 0) return -1;
  let row = 1;
  for (let l = 1; l < layer; l++) row += sizes[l];
  return row + index;
}
