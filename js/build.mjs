// Bundles into ../gradviz/static/: widget.{js,css} (the anywidget ESM, src/widget.js),
// standalone.js (src/standalone.js: the same widget with the page's own engine, one classic
// script that gradviz.to_html inlines into a self-contained HTML page), and
// playground.{js,css} (src/playground/index.js, the Playground's anywidget ESM) and
// playground_page.js (src/playground_page.js: the Playground with its training done in the page,
// one classic script that gradviz.to_html inlines with playground.css).
// Deterministic: no timestamps, no absolute paths, no source maps; pinned esbuild.
import * as esbuild from "esbuild";

const common = {
  bundle: true,
  target: "es2020",
  minify: true,
  legalComments: "none",
  charset: "utf8",
  sourcemap: false,
  logLevel: "warning",
};

await esbuild.build({ ...common, entryPoints: ["src/widget.js"], format: "esm", outfile: "../gradviz/static/widget.js" });
// The page inlines widget.css itself, so the standalone build drops the CSS import's output.
await esbuild.build({
  ...common, entryPoints: ["src/standalone.js"], format: "iife", outfile: "../gradviz/static/standalone.js",
  loader: { ".css": "empty" },
});
await esbuild.build({
  ...common, entryPoints: ["src/playground/index.js"], format: "esm", outfile: "../gradviz/static/playground.js",
});
await esbuild.build({
  ...common, entryPoints: ["src/playground_page.js"], format: "iife", outfile: "../gradviz/static/playground_page.js",
  loader: { ".css": "empty" },
});
