// Building the page's elements: one small helper instead of a framework.

/** Element `tag` with attributes (class, text, booleans, anything else as an attribute; null,
 *  undefined and false are left out) and children. Form fields carry data-lm-suppress-shortcuts,
 *  so JupyterLab's keyboard shortcuts (ArrowRight, ...) leave their keys alone. */
export function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids) if (c != null) e.append(c);
  if (tag === "input" || tag === "select" || tag === "textarea") e.setAttribute("data-lm-suppress-shortcuts", "true");
  return e;
}

/** A plain button: visible `text`, hover `title`, accessible `name` (default: its text). */
export function button(text, title, name) {
  return h("button", { type: "button", title, text, "aria-label": name });
}
