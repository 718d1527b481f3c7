// The tooltip over a box: what the value is, its data and grad in full, its op with the local
// derivative to each operand, a mark for ops whose gradient is not a built-in rule, its scope.
// Built as HTML from escaped text only.

import { escapeXml, fmtFull, nodeTitle } from "./format.js";
import { childrenOf, exponentOf } from "./decode.js";
import { localDerivatives } from "./replay.js";
import { tipPosition } from "./framing.js";
import { referenceLines } from "./reference.js";

/** The tooltip's lines (HTML) for box `b`. `g` = {scene, structure, childPtr, childIdx, data,
 *  grad, ref (reference.js: gradviz's reference beside another class's own grads, or null)};
 *  `marks`: the constants' opMarks texts. */
export function tipLines(g, b, marks = {}) {
  const s = g.scene, S = g.structure, id = s.node[b];
  const lines = [];
  if (s.group[b]) lines.push(`<b>${escapeXml(s.group[b])}</b> (${s.size[b]} values)`, `output: ${escapeXml(nodeTitle(S.labels[id], S.ops[id], id))}`);
  else lines.push(`<b>${escapeXml(nodeTitle(S.labels[id], S.ops[id], id))}</b> <i>${escapeXml(S.kinds[id])}</i>`);
  if (S.tips) lines.push(...S.tips[id].map(escapeXml));  // a PyTorch graph: every statistic
  else lines.push(`data ${fmtFull(g.data[id])}`, `grad ${fmtFull(g.grad[id])}`);
  if (!s.group[b]) for (const t of referenceLines(g.ref, id, g.grad)) lines.push(`<span class="gv-mark">${escapeXml(t)}</span>`);
  if (S.ops[id] && !S.tips) {
    lines.push(`op ${escapeXml(S.ops[id])}`);
    const k = s.opOf[b];
    const how = k >= 0 && s.opHow ? s.opHow[k] : "";
    if (how) lines.push(`<span class="gv-mark">${escapeXml(marks[how] || how)}</span>`);
    const kids = Array.from(childrenOf(g.childPtr, g.childIdx, id));
    const loc = how ? null : localDerivatives(S.ops[id], exponentOf(S.exponents, id), g.data[id], kids.map((c) => g.data[c]));
    kids.forEach((c, j) => {
      const name = escapeXml(nodeTitle(S.labels[c], S.ops[c], c));
      lines.push(`∂/∂${name} = ${loc ? fmtFull(loc[j]) : "?"}`);
    });
  }
  if (S.scopes[id] && !s.group[b]) lines.push(`<span class="gv-dim">${escapeXml(S.scopes[id])}</span>`);
  if (s.group[b]) lines.push('<span class="gv-dim">double-click to open</span>');
  return lines;
}

/** Show the tooltip element `tip` with `lines` near the pointer (px, py) in a W x H stage. */
export function showTip(tip, lines, px, py, W, H) {
  tip.innerHTML = lines.join("<br>");
  tip.hidden = false;
  const [x, y] = tipPosition(px, py, tip.offsetWidth, tip.offsetHeight, W, H);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}
