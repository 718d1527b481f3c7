"""A notebook saved with its widget state holds the whole picture: structure, values and the
front-end code, so the last picture shows without a kernel (HTML export, nbviewer)."""
import base64
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def test_saved_notebook_embeds_the_widget_state(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from gradviz import Value, GraphWidget\n"
        "a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = Value(10.0, label='c')\n"
        "e = a * b; e.label = 'e'; d = e + c; d.label = 'd'; f = Value(-2.0, label='f')\n"
        "L = d * f; L.label = 'L'\n"
        "L.backward(); w = GraphWidget(L); w.nudge('a', 1.0); w")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True,
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    nbformat.write(nb, tmp_path / "saved.ipynb")

    saved = nbformat.read(tmp_path / "saved.ipynb", as_version=4)
    view = [o for o in saved.cells[0].outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert view, "the cell shows a widget view"
    model_id = view[0]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
    state = saved.metadata["widgets"][WIDGET_STATE]["state"][model_id]["state"]

    assert "gradviz-root" in state["_esm"]  # the front end itself travels with the state
    labels = state["_structure"]["labels"]["table"]
    assert {"a", "b", "c", "d", "e", "f", "L"} <= set(labels)
    buffers = {tuple(b["path"]): base64.b64decode(b["data"])
               for b in saved.metadata["widgets"][WIDGET_STATE]["state"][model_id].get("buffers", [])}
    data = np.frombuffer(buffers[("_data",)], dtype=np.float64)
    grad = np.frombuffer(buffers[("_grad",)], dtype=np.float64)
    # after nudging a to 3: L = (3 * -3 + 10) * -2 = -2, and dL/da = b * f = 6
    assert data[-1] == -2.0 and grad[-1] == 1.0
    assert sorted(data.tolist()) == sorted([3.0, -3.0, -9.0, 10.0, 1.0, -2.0, -2.0])
    assert state["last_nudge"]["predicted"] == 6.0 and state["last_nudge"]["actual"] == 6.0
