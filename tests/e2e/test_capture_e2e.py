"""A captured PyTorch CNN in JupyterLab: records read op | shape | value | grad, folded by module,
with no "nan" anywhere; hovering a record shows every statistic; a module expands in place."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from widget_page import drawing_text, values_table, wait_rendered

pytestmark = pytest.mark.browser
README_SHOT = Path(__file__).resolve().parents[2] / "examples" / "screenshots" / "torch_capture.png"

CNN = """\
import torch, gradviz
from torch import nn
torch.manual_seed(0)
cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(4 * 7 * 7, 3))
x = torch.randn(2, 1, 14, 14)
with gradviz.capture_torch(cnn) as cap:
    nn.functional.cross_entropy(cnn(x), torch.tensor([0, 2])).backward()
g = cap.graph()
conv = g.labels.index("conv2d")
m = g.meta[conv]
print(f"conv mean={m['value']['mean']:.3g} std={m['value']['std']:.3g} gnorm={m['grad']['norm']:.3g}")
w = gradviz.GraphWidget(g)
w"""


def test_captured_cnn_shows_values_shapes_and_gradients(e2e):
    nb = e2e.open([CNN])
    nb.run_all()
    root = wait_rendered(nb, 0)
    root.scroll_into_view_if_needed()
    out = nb.output_text(0)
    mean, std, gnorm = re.search(r"conv mean=(\S+) std=(\S+) gnorm=(\S+)", out).groups()
    # the first view: the whole model, one box per module, each with its output's summary
    text = drawing_text(root)
    for want in ("Sequential 0 (Conv2d, 3 nodes)", "2×4×14×14", f"μ{mean} σ{std}", f"‖∇‖ {gnorm}", "Sequential 5 (Linear, 4 nodes)",
                 "cross_entropy"):
        assert want in text, f"the drawing does not show {want!r}; it shows {text[:600]!r}"
    e2e.shot("cnn-folded", element=root)
    # a double click opens the conv layer in the kernel: its weight and the conv2d record show
    root.locator("svg .gv-box", has_text="Sequential 0 (").first.dblclick()
    root.locator("svg .gv-box", has_text="0.weight").first.wait_for(timeout=10_000)
    text = drawing_text(root)
    for want in ("conv2d", "2×4×14×14", f"μ{mean} σ{std}", f"‖∇‖ {gnorm}", "0.weight", "4×1×3×3",
                 "Sequential 1 (BatchNorm2d, 3 nodes)", "cross_entropy"):
        assert want in text, f"the drawing does not show {want!r}; it shows {text[:600]!r}"
    assert not re.search(r"\bnan\b", text), text
    table = values_table(root)
    assert table["conv2d"]["data"] == f"μ{mean} σ{std}" and table["conv2d"]["grad"] == f"‖∇‖ {gnorm}"
    assert not any("nan" in c for row in table.values() for c in row.values())

    e2e.shot("cnn", element=root)  # the conv layer opened
    if os.environ.get("GRADVIZ_UPDATE_SCREENSHOTS") == "1":
        root.screenshot(path=str(README_SHOT))
        print(f"README screenshot: {README_SHOT}")

    # the whole graph in view, then hover the conv record: every statistic of value and gradient
    root.get_by_role("button", name="Fit").click()
    box = root.locator("svg .gv-box", has_text="conv2d").first
    box.hover()
    tip = root.locator(".gv-tip")
    tip.wait_for(state="visible", timeout=5_000)
    tip_text = tip.inner_text()
    for k in ("mean", "std", "min", "max", "norm"):
        assert re.search(rf"value .*\b{k}\b", tip_text) and re.search(rf"grad .*\b{k}\b", tip_text), tip_text
    assert "shape 2×4×14×14" in tip_text and "module 0" in tip_text
    e2e.shot("cnn-hover")
