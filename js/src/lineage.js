// What a box of the drawn view depends on and what depends on it: the view's adjacency both
// ways and an iterative walk over it (views can be deep).

/** Adjacency of the drawn view (boxes; edges child box -> parent box) in CSR form both ways. */
export function viewAdjacency(nBoxes, src, dst) {
  const build = (from, to) => {
    const ptr = new Int32Array(nBoxes + 1);
    for (let k = 0; k < from.length; k++) ptr[from[k] + 1]++;
    for (let i = 0; i < nBoxes; i++) ptr[i + 1] += ptr[i];
    const fill = ptr.slice(0, nBoxes);
    const idx = new Int32Array(from.length);
    for (let k = 0; k < from.length; k++) idx[fill[from[k]]++] = to[k];
    return { ptr, idx };
  };
  return { up: build(src, dst), down: build(dst, src) };
}

function reach(adj, start) {
  const seen = new Uint8Array(adj.ptr.length - 1);
  const stack = [start];
  seen[start] = 1;
  while (stack.length) {
    const i = stack.pop();
    for (let k = adj.ptr[i]; k < adj.ptr[i + 1]; k++) {
      const j = adj.idx[k];
      if (!seen[j]) { seen[j] = 1; stack.push(j); }
    }
  }
  seen[start] = 0;
  return seen;
}

/** Boxes box `b` depends on (ancestors in the data flow: its operands, their operands, ...) and
 *  boxes that depend on it, as 0/1 masks. */
export function lineage(adjacency, b) {
  return { dependsOn: reach(adjacency.down, b), dependents: reach(adjacency.up, b) };
}
