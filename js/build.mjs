// Bundles src/widget.js and src/playground/index.js (each with its CSS) into
// ../gradviz/static/{widget,playground}.{js,css}.
// Deterministic: no timestamps, no absolute paths, no source maps; pinned esbuild.
import * as esbuild from "esbuild";

const common = {
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "none",
  charset: "utf8",
  sourcemap: false,
  logLevel: "warning",
};

await esbuild.build({ ...common, entryPoints: ["src/widget.js"], outfile: "../gradviz/static/widget.js" });
await esbuild.build({ ...common, entryPoints: ["src/playground/index.js"], outfile: "../gradviz/static/playground.js" });
