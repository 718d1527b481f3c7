// "Download SVG" and "Download PNG": the whole current view as a file, in the theme's colours.

import { svgMarkup } from "./svg.js";

/** CSS embedded in downloaded SVGs: the theme's colours and font (readTheme), resolved, since a
 *  file has none of the page's CSS variables. */
export function exportStyle(t) {
  return `.gv-bg{fill:${t.bg}}text{font:${t.font};fill:${t.fg};` +
    `text-anchor:middle;dominant-baseline:central}.gv-box rect{fill:${t.box};stroke:${t.line}}` +
    `.gv-box line{stroke:${t.line}}.gv-input rect{fill:${t.input}}.gv-parameter rect{fill:${t.param}}` +
    `.gv-constant rect{fill:${t.constant};stroke-dasharray:4 2}.gv-output rect{fill:${t.output};stroke-width:2}` +
    `.gv-group rect{fill:${t.group};stroke-width:2}.gv-op ellipse{fill:${t.opFill};stroke:${t.line}}` +
    `.gv-op-custom ellipse{stroke:${t.custom};stroke-dasharray:3 2}.gv-op-none ellipse{stroke:${t.nograd};stroke-dasharray:3 2}` +
    `.gv-edge,.gv-opedge{fill:none;stroke:${t.zero}}.gv-pos{stroke:${t.pos}}.gv-neg{stroke:${t.neg}}` +
    `.gv-nan{stroke:${t.nan};stroke-dasharray:4 3}`;
}

/** The downloaded SVG file's text: the whole scene with the style embedded. */
export function svgFile(scene, data, grad, showGrads, theme) {
  return svgMarkup(scene, data, grad, { showGrads, style: exportStyle(theme) });
}

/** The PNG's pixel size for a width x height scene: twice the size, but no side over `maxSide`
 *  (a canvas that big fails in browsers). Returns {k, w, h}: scale and integer size. */
export function pngSize(width, height, maxSide = 8000) {
  const k = Math.min(2, maxSide / Math.max(width, height, 1));
  return { k, w: Math.max(1, Math.round(width * k)), h: Math.max(1, Math.round(height * k)) };
}

/** Save `blob` as a file called `name` (a temporary link, clicked). */
export function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

export function downloadSvg(text) {
  download("gradviz.svg", new Blob([text], { type: "image/svg+xml" }));
}

/** Draw the SVG text on a canvas of pngSize and save that as PNG. */
export function downloadPng(text, width, height) {
  const { k, w, h } = pngSize(width, height);
  const img = new Image();
  img.onload = () => {
    const c = document.createElement("canvas");
    c.width = w; c.height = h;
    const ctx = c.getContext("2d");
    ctx.scale(k, k);
    ctx.drawImage(img, 0, 0);
    c.toBlob((blob) => blob && download("gradviz.png", blob), "image/png");
  };
  img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
}
