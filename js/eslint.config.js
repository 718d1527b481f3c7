// ESLint (flat config) for the widget's sources and tests: `npm run lint`, run by .ci/run after
// the bundle check. The recommended rules catch real mistakes (undefined names, unused variables,
// unreachable code); a few more keep the code in one style, and the house's sizes: no function
// over 150 lines, no source module over 600 (blank lines and comments included).
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  {
    files: ["src/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["test/**/*.js", "build.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
  {
    files: ["src/**/*.js"],
    rules: {
      "max-lines-per-function": ["error", { max: 150, skipBlankLines: false, skipComments: false }],
      "max-lines": ["error", { max: 600, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    rules: {
      "no-var": "error",
      "prefer-const": ["error", { destructuring: "all" }],
      eqeqeq: ["error", "smart"],
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-shadow-restricted-names": "error",
    },
  },
];
