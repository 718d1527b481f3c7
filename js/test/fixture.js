// A small graph for the module tests, as the kernel would send it: a = 2, b = -3 (inputs),
// c = a * b, d = cube(c) through a custom op (its own _backward), d the output.
import { makeScene } from "../src/scene.js";

export const CONSTANTS = {
  palette: { light: { bg: "#fefefe", box: "#ffffff", sel: "#aa0000" }, dark: { bg: "#101010", box: "#202020", sel: "#ff8888" } },
  charWidth: 8, fontSize: 12, fontMono: "test-mono, monospace", fontUi: "test-ui, sans-serif",
  opMarks: { custom: "custom op: its own closure", none: "passes no gradient" },
};

export function smallGraph({ backward = [[3, "custom"]], readonly = "", n = 4 } = {}) {
  const structure = {
    n, root: 3, source: "gradviz",
    labels: ["a", "b", "c", "d"], ops: ["", "", "*", "cube"], kinds: ["input", "input", "intermediate", "output"],
    scopes: ["", "", "", ""], controls: [0, 1], control_init: [2, -3], readonly, constants: CONSTANTS, backward,
  };
  const childPtr = Int32Array.from([0, 0, 0, 2, 3]);
  const childIdx = Int32Array.from([0, 1, 2]);
  const view = {
    identity: true, width: 600, height: 100, edges: null, op_box: null,
    box_x: [50, 50, 250, 450], box_y: [25, 75, 50, 50], box_w: [80, 80, 100, 120], box_h: [26, 26, 26, 26],
    op_x: [180, 380], op_y: [50, 50], op_w: [40, 40], op_h: [26, 26], collapsed: [], expanded: [],
  };
  const scene = makeScene(view, structure, childPtr, childIdx);
  const data = Float64Array.from([2, -3, -6, -216]);
  const grad = Float64Array.from([-324, 216, 108, 1]);
  return { structure, childPtr, childIdx, scene, data, grad, view };
}
