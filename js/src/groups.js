// The grouping rules the page applies without the kernel: copies of gradviz.grouping's
// scope_prefixes, hiding_group and offers (and its `_under`), checked against the answers that
// module writes into js/test/group_cases.json (js/test/groups.test.js); and where a group's boxes
// are in a scene.

/** Scope prefixes of `scope`, outermost first ("MLP#7/layers.1" -> ["MLP#7", "MLP#7/layers.1"]). */
export function scopePrefixes(scope) {
  if (!scope) return [];
  const parts = scope.split("/");
  return parts.map((_, k) => parts.slice(0, k + 1).join("/"));
}

/** Whether group key (or scope) `k` is `key` or lies inside it. */
export function underScope(k, key) {
  return k === key || k.startsWith(key + "/");
}

/** The folded group that draws a value of `scope`: the outermost prefix in `collapsed`, or "". */
export function hidingGroup(scope, collapsed) {
  const folded = new Set(collapsed || []);
  return scopePrefixes(scope).find((p) => folded.has(p)) ?? "";
}

/** What selecting a box (or a node found by search) offers: expanding it when it is a group, or
 *  the group hiding the node when it is not drawn (`shown` false); else collapsing each scope that
 *  contains the node (innermost first) and is not folded yet. */
export function groupActions(boxGroup, nodeScope, collapsed, shown = true) {
  const folded = new Set(collapsed || []);
  if (boxGroup) {  // open it, or fold a scope around it (its sample around a layer), innermost first
    return { expand: [boxGroup], collapse: scopePrefixes(boxGroup).filter((p) => p !== boxGroup && !folded.has(p)).reverse() };
  }
  if (!shown) {  // the node is inside a folded group: offer to open the group that hides it
    const key = hidingGroup(nodeScope, collapsed);
    return { expand: key ? [key] : [], collapse: [] };
  }
  return { expand: [], collapse: scopePrefixes(nodeScope).filter((p) => !folded.has(p)).reverse() };
}

/** The group box of scene `s` that hides a node of scope `scope` (the box of its hidingGroup), or -1. */
export function groupHiding(s, scope) {
  const key = hidingGroup(scope, s.collapsed);
  return key ? s.group.indexOf(key) : -1;
}

/** Bounding box [x0, y0, x1, y1] of the boxes that show what was inside group `key` after it
 *  was expanded (sub-groups under it, and values whose scope is in it), then the centre and size
 *  [x, y, w, h] of the one holding its output; null if none. */
export function expandedBounds(s, scopes, key) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, last = -1;
  for (let b = 0; b < s.n; b++) {
    const g = s.group[b];
    const sc = g ? g : scopes[s.node[b]] || "";
    if (!underScope(sc, key)) continue;
    last = b;  // boxes are in topological order: the last one holds the group's output
    x0 = Math.min(x0, s.x[b] - s.w[b] / 2); x1 = Math.max(x1, s.x[b] + s.w[b] / 2);
    y0 = Math.min(y0, s.y[b] - s.h[b] / 2); y1 = Math.max(y1, s.y[b] + s.h[b] / 2);
  }
  return last >= 0 ? [x0, y0, x1, y1, s.x[last], s.y[last], s.w[last], s.h[last]] : null;
}
