"""gradviz: see and check backpropagation. A scalar autograd engine, a notebook explorer widget,
and bridges to PyTorch, JAX, Model Explorer, networkx, Graphviz and JSON."""
from typing import TYPE_CHECKING

from .engine import Value
from .nn import MLP, Layer, Module, Neuron, mse_loss, svm_loss
from .ops import register_op, unregister_op

if TYPE_CHECKING:  # what __getattr__ below loads on first use, spelled out for type checkers
    from .backprop import backprop_steps, chain_paths
    from .check import grad_check, numerical_grad, predict_vs_actual, reference_check
    from .diagnose import GraphDiff, HealthReport, NonFinite, diff, first_nonfinite, health
    from .draw.render import draw_dot, to_svg
    from .graph.snapshot import Graph
    from .graph.trace import to_networkx, trace
    from .jax.capture import capture_jax
    from .jax.compare import compare_with_jax
    from .model_explorer.write import to_model_explorer
    from .playground.app import Playground
    from .pytorch.autograd import from_torch
    from .pytorch.bridge import compare_with_torch, to_torch
    from .pytorch.capture import TorchCapture, capture_torch, module_groups
    from .pytorch.gradflow import GradientFlow, gradient_flow
    from .replay.tape import Tape
    from .widget.graph_widget import GraphWidget
    from .widget.standalone import to_html

__version__ = "0.1.0"

# Heavier parts load on first use, so ``import gradviz`` stays light and torch stays optional.
_LAZY = {
    "trace": "graph.trace", "Graph": "graph.snapshot", "to_networkx": "graph.trace",
    "Tape": "replay.tape",
    "backprop_steps": "backprop", "chain_paths": "backprop",
    "numerical_grad": "check", "grad_check": "check", "predict_vs_actual": "check", "reference_check": "check",
    "draw_dot": "draw.render", "to_svg": "draw.render",
    "GraphWidget": "widget.graph_widget", "to_html": "widget.standalone",
    "Playground": "playground.app",
    "compare_with_torch": "pytorch.bridge", "to_torch": "pytorch.bridge", "from_torch": "pytorch.autograd",
    "capture_torch": "pytorch.capture", "TorchCapture": "pytorch.capture", "module_groups": "pytorch.capture",
    "gradient_flow": "pytorch.gradflow", "GradientFlow": "pytorch.gradflow",
    "capture_jax": "jax.capture", "compare_with_jax": "jax.compare",
    "to_model_explorer": "model_explorer.write",
    "health": "diagnose", "first_nonfinite": "diagnose", "diff": "diagnose",
    "HealthReport": "diagnose", "NonFinite": "diagnose", "GraphDiff": "diagnose",
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
