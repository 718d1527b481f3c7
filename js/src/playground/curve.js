// The loss curve: train and test loss against step, drawn as two polylines on a canvas.

/** Scales for points {step, train, test}: x over the steps, y from 0 to the largest finite loss. */
export function curveScales(curve, width, height, pad = 4) {
  const steps = curve.step || [];
  const xs0 = steps.length ? steps[0] : 0;
  const xs1 = steps.length ? Math.max(steps[steps.length - 1], xs0 + 1) : 1;
  let top = 0;
  for (const key of ["train", "test"]) {
    for (const v of curve[key] || []) if (v !== null && Number.isFinite(v) && v > top) top = v;
  }
  if (top <= 0) top = 1;
  const x = (s) => pad + ((s - xs0) / (xs1 - xs0)) * (width - 2 * pad);
  const y = (v) => height - pad - (Math.max(0, v) / top) * (height - 2 * pad);
  return { x, y, top };
}

/** Polyline points [[x, y], ...] of one series; null/NaN values break nothing, they are skipped. */
export function curvePoints(curve, key, width, height) {
  const { x, y } = curveScales(curve, width, height);
  const out = [];
  const steps = curve.step || [];
  const vals = curve[key] || [];
  for (let i = 0; i < steps.length; i++) {
    const v = vals[i];
    if (v === null || !Number.isFinite(v)) continue;
    out.push([x(steps[i]), y(v)]);
  }
  return out;
}

export function drawCurve(ctx, curve, width, height, colors) {
  ctx.clearRect(0, 0, width, height);
  for (const key of ["test", "train"]) {
    const pts = curvePoints(curve, key, width, height);
    if (!pts.length) continue;
    ctx.strokeStyle = colors[key];
    ctx.lineWidth = key === "train" ? 2 : 1.5;
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
    ctx.stroke();
  }
}

/** "0.123" style number for the readouts (3 significant decimals; "–" for none). */
export function fmtLoss(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return v >= 100 ? v.toFixed(0) : v.toFixed(3);
}
