// Search: value labels and group titles ("sample 7"). Each Enter moves to the next hit; a value
// hidden inside a folded group brings that group into view (select it to expand it).

import { groupHiding } from "./groups.js";

/** Node ids whose label matches `query` (case-insensitive): exact matches first, then prefixes,
 *  then substrings; at most `limit`. */
export function search(labels, query, limit = 50) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const exact = [], prefix = [], sub = [];
  for (let i = 0; i < labels.length; i++) {
    const l = (labels[i] || "").toLowerCase();
    if (!l) continue;
    if (l === q) exact.push(i);
    else if (l.startsWith(q)) prefix.push(i);
    else if (l.includes(q)) sub.push(i);
    if (exact.length >= limit) break;
  }
  return exact.concat(prefix, sub).slice(0, limit);
}

/** Group boxes whose title or key contains `query` (case-insensitive): exact matches first (the
 *  title without its "(N nodes)" count, or the key, is the query: "sample 7" is sample 7, not 70),
 *  then titles where the query ends at a word's end ("sample 7, layer 1"), then the rest; in box
 *  order within each rank. */
export function searchGroups(groups, titles, query, limit = 50) {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const ranked = [[], [], [], []];
  for (let b = 0; b < groups.length; b++) {
    if (!groups[b]) continue;
    const title = String(titles[b]).toLowerCase(), key = groups[b].toLowerCase();
    if (!title.includes(q) && !key.includes(q)) continue;
    const name = title.replace(/\s*\([^()]*\)$/, "");
    const at = name.indexOf(q), next = name.charAt(at + q.length);
    const rank = name === q || key === q ? 0 : at >= 0 && !/[\p{L}\p{N}]/u.test(next) ? 1 : at === 0 ? 2 : 3;
    ranked[rank].push(b);
  }
  return ranked.flat().slice(0, limit);
}

/** Hits for `query`: group boxes first, then values (`b`: the value's box, undefined when it is
 *  folded into a group; `id`: the node, undefined for a group). */
export function searchHits(structure, scene, query) {
  const ids = search(structure.labels, query);
  const groups = searchGroups(scene.group, scene.title, query);
  return [...groups.map((b) => ({ b, id: undefined })), ...ids.map((id) => ({ b: scene.boxOfNode.get(id), id }))];
}

/** The boxes to mark as matches. */
export function matchedBoxes(hits) {
  return new Set(hits.map((x) => x.b).filter((b) => b !== undefined));
}

/** What hit `hit` asks for: {select: box or -1, node: id or undefined, show: box to bring into
 *  view (its own, or the group hiding it), or -1}. */
export function hitTarget(hit, scene, scopes) {
  const show = hit.b !== undefined ? hit.b : groupHiding(scene, scopes[hit.id]);
  return { select: hit.b ?? -1, node: hit.id, show };
}

/** The search box's state: the hits of the last query and which one is shown. */
export class Finder {
  constructor() { this.index = 0; }

  /** Run `query`; with `advance`, move to the next hit (wrapping), else to the first. Returns
   *  {hits, matches, target (null when nothing matched)}. */
  run(structure, scene, query, advance) {
    const hits = searchHits(structure, scene, query);
    const matches = matchedBoxes(hits);
    if (!hits.length) return { hits, matches, target: null };
    this.index = advance ? (this.index + 1) % hits.length : 0;
    return { hits, matches, target: hitTarget(hits[this.index], scene, structure.scopes) };
  }
}
