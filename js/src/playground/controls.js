// The settings panel: what each control is, how its text becomes a value for the kernel.

export const DATASETS = ["moons", "circles", "xor", "spiral", "gaussians"];
export const ACTIVATIONS = ["relu", "tanh", "sigmoid"];

/** Controls in page order: key, visible label, kind (select/number/text), options or step. */
export const CONTROLS = [
  { key: "dataset", label: "Dataset", kind: "select", options: DATASETS },
  { key: "noise", label: "Noise", kind: "number", step: 0.05, min: 0, max: 2 },
  { key: "n", label: "Points", kind: "number", step: 10, min: 10, max: 2000 },
  { key: "test_fraction", label: "Test fraction", kind: "number", step: 0.05, min: 0, max: 0.9 },
  { key: "hidden", label: "Hidden layers", kind: "text" },
  { key: "activation", label: "Activation", kind: "select", options: ACTIVATIONS },
  { key: "lr", label: "Learning rate", kind: "number", step: 0.01, min: 0, max: 100 },
  { key: "l2", label: "L2", kind: "number", step: 0.0001, min: 0, max: 10 },
  { key: "batch_size", label: "Batch size (0 = all)", kind: "number", step: 1, min: 0, max: 2000 },
  { key: "seed", label: "Seed", kind: "number", step: 1, min: 0 },
];

/** A config value as the control shows it. */
export function showValue(key, v) {
  if (key === "hidden") return (v || []).join(", ");
  if (key === "batch_size") return v === null || v === undefined ? "0" : String(v);
  return String(v);
}

/** The control's text as the value sent to the kernel (which checks it); null if not a number. */
export function parseValue(key, text) {
  const c = CONTROLS.find((k) => k.key === key);
  if (!c) throw new Error(`unknown control ${key}`);
  if (c.kind === "select" || c.kind === "text") return String(text);
  const s = String(text).trim();
  if (s === "") return null;
  const v = Number(s);
  if (!Number.isFinite(v)) return null;
  if (key === "n" || key === "seed" || key === "batch_size") return Number.isInteger(v) ? v : null;
  return v;
}

/** A point number typed by the user: a whole number >= 0, or null. */
export function parseIndex(text) {
  const s = String(text).trim();
  if (!/^\d+$/.test(s)) return null;
  return Number(s);
}
