// Colours and fonts. Python defines them once (gradviz/theme.py) and sends them in the widget's
// structure as `constants`; the page sets them as CSS variables on its root (--gvl-* light,
// --gvd-* dark, --gv-font-*), and widget.css picks light or dark (or the notebook's own colours).
// Canvas drawing and exported files read the resolved colours back with readTheme.

/** Theme keys (as canvas.js, minimap.js and exportStyle use them) -> the CSS variable holding each. */
export const THEME_VARS = {
  bg: "--gv-bg", fg: "--gv-fg", line: "--gv-line", box: "--gv-box", input: "--gv-input",
  param: "--gv-param", constant: "--gv-constant", output: "--gv-output", group: "--gv-group",
  opFill: "--gv-op", pos: "--gv-pos", neg: "--gv-neg", zero: "--gv-zero", nan: "--gv-nan", sel: "--gv-sel",
  custom: "--gv-custom", nograd: "--gv-nograd",
};

/** The CSS variables of `constants` (see gradviz/theme.py constants()): each palette entry as
 *  --gvl-<name> (light) and --gvd-<name> (dark), the fonts as --gv-font-mono/-ui/-px. */
export function constantVars(constants) {
  if (!constants || !constants.palette) {
    throw new Error("the widget's structure has no `constants` (palette, fonts): the page and the kernel's gradviz differ; restart the kernel and re-run the cell");
  }
  const vars = {};
  for (const [mode, prefix] of [["light", "--gvl-"], ["dark", "--gvd-"]]) {
    for (const [k, v] of Object.entries(constants.palette[mode] || {})) vars[prefix + k] = String(v);
  }
  vars["--gv-font-mono"] = constants.fontMono;
  vars["--gv-font-ui"] = constants.fontUi;
  vars["--gv-font-px"] = `${constants.fontSize}px`;
  return vars;
}

/** Set the constants' CSS variables on element `el` (the widget's root). */
export function applyConstants(el, constants) {
  for (const [k, v] of Object.entries(constantVars(constants))) el.style.setProperty(k, v);
}

/** The resolved theme of `root`: every THEME_VARS colour (grey if unset) and the record font. */
export function readTheme(root) {
  const cs = getComputedStyle(root);
  const t = {};
  for (const [k, v] of Object.entries(THEME_VARS)) t[k] = cs.getPropertyValue(v).trim() || "#888";
  const px = cs.getPropertyValue("--gv-font-px").trim() || "12px";
  t.font = `${px} ${cs.getPropertyValue("--gv-font-mono").trim() || "monospace"}`;
  return t;
}

/** Whether a #rrggbb colour is dark (perceived luminance below half); false for anything else. */
export function hexIsDark(hex) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) return false;
  const n = parseInt(m[1], 16);
  return 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255) < 128;
}

/** Whether any CSS colour is dark: a canvas normalises it to #rrggbb first. */
export function isDark(colour) {
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = "#fff";
  probe.fillStyle = colour;
  return hexIsDark(probe.fillStyle);
}

/** The theme a page states as a class ("dark" or "light", as marimo sets on <body>), body first;
 *  "" when neither says. */
export function hostTheme(...elements) {
  for (const e of elements) {
    if (e.classList.contains("dark")) return "dark";
    if (e.classList.contains("light")) return "light";
  }
  return "";
}

/** Decide the root's theme: the host page's class wins, then the notebook's background (JupyterLab,
 *  VS Code) or the OS setting, whichever the CSS resolved --gv-bg from. Sets data-host and
 *  data-theme on `root`; returns the theme. */
export function settleTheme(root) {
  root.dataset.host = hostTheme(document.body, document.documentElement);
  root.dataset.theme = "light";
  root.dataset.theme = isDark(getComputedStyle(root).getPropertyValue("--gv-bg").trim()) ? "dark" : "light";
  return root.dataset.theme;
}
