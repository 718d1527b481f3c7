// Bundles src/widget.js (+ its CSS) into ../gradviz/static/widget.{js,css}.
// Deterministic: no timestamps, no absolute paths, no source maps; pinned esbuild.
import * as esbuild from "esbuild";

await esbuild.build({
  entryPoints: ["src/widget.js"],
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "none",
  charset: "utf8",
  sourcemap: false,
  outfile: "../gradviz/static/widget.js",
  logLevel: "warning",
});
