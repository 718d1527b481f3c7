// Entry of the standalone page (gradviz.to_html): the widget, drawn from the state saved in the
// page, with a PageModel whose engine answers nudges, steps and resets in the browser.
import widget from "./widget.js";
import { decodeState, PageEngine, PageModel } from "./page.js";

const saved = decodeState(JSON.parse(document.getElementById("gradviz-state").textContent));
const engine = new PageEngine(saved.state, saved.init);
if (!engine.tape && !saved.state._structure.readonly) {
  saved.state._structure = { ...saved.state._structure, readonly: "a picture only: this graph has ops the page cannot re-run" };
}
widget.render({ model: new PageModel(saved.state, engine), el: document.getElementById("gradviz") });
