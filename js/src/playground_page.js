// Entry of the standalone playground page (gradviz.to_html(playground)): the Playground's view
// (playground/index.js), drawn from the state saved in the page, with a LocalModel whose
// LocalPlayground trains in the browser. Below it, where a clicked point's graph would open in a
// notebook, a note says what needs Python.
import playground from "./playground/index.js";
import { decodeState } from "./page.js";
import { LocalModel, LocalPlayground, trainerState } from "./playground/local_model.js";

const saved = decodeState(JSON.parse(document.getElementById("gradviz-state").textContent));
const engine = new LocalPlayground(trainerState(saved.trainer));
const model = new LocalModel({ ...engine.traits(), _constants: saved.constants, _inspector: "" }, engine);
const el = document.getElementById("gradviz");
playground.render({ model, el });
const note = document.createElement("p");
note.className = "gvp-inspector";
note.setAttribute("role", "note");
note.setAttribute("aria-label", "scalar graph");
el.append(note);
model.on("change:_inspector", () => { note.textContent = model.get("_inspector") || ""; });
