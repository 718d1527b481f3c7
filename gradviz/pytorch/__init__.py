"""The PyTorch bridge: rebuild a gradviz graph in torch and compare (bridge), read a torch autograd
graph back (autograd), record a model's run (capture) and its gradient flow. torch is imported on
first use, never by ``import gradviz``."""
from .autograd import from_torch
from .bridge import compare_with_torch, to_torch
from .capture import TorchCapture, capture_torch, module_groups
from .gradflow import GradientFlow, gradient_flow

__all__ = ["compare_with_torch", "to_torch", "from_torch", "capture_torch", "TorchCapture", "module_groups",
           "gradient_flow", "GradientFlow"]
