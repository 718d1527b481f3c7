"""gradviz: see and check backpropagation. A scalar autograd engine, a notebook explorer widget,
and bridges to PyTorch, networkx, Graphviz and JSON."""
from typing import TYPE_CHECKING

from .engine import Value
from .nn import MLP, Layer, Module, Neuron, mse_loss, svm_loss
from .ops import register_op, unregister_op

if TYPE_CHECKING:  # what __getattr__ below loads on first use, spelled out for type checkers
    from .check import grad_check, numerical_grad, predict_vs_actual, reference_check
    from .gradflow import GradientFlow, gradient_flow
    from .graph import Graph, to_networkx, trace
    from .playground import Playground
    from .render import draw_dot, to_svg
    from .replay import Tape
    from .standalone import to_html
    from .torch_bridge import compare_with_torch, from_torch, to_torch
    from .torch_capture import TorchCapture, capture_torch, module_groups
    from .widget import GraphWidget

__version__ = "0.1.0"

# Heavier parts load on first use, so ``import gradviz`` stays light and torch stays optional.
_LAZY = {
    "trace": "graph", "Graph": "graph", "to_networkx": "graph",
    "Tape": "replay",
    "numerical_grad": "check", "grad_check": "check", "predict_vs_actual": "check",
    "reference_check": "check",
    "draw_dot": "render", "to_svg": "render",
    "GraphWidget": "widget", "to_html": "standalone",
    "Playground": "playground",
    "compare_with_torch": "torch_bridge", "to_torch": "torch_bridge", "from_torch": "torch_bridge",
    "capture_torch": "torch_capture", "TorchCapture": "torch_capture", "module_groups": "torch_capture",
    "gradient_flow": "gradflow", "GradientFlow": "gradflow",
}

__all__ = ["Value", "Module", "Neuron", "Layer", "MLP", "mse_loss", "svm_loss", "register_op", "unregister_op",
           *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib
        obj = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'gradviz' has no attribute {name!r}")
