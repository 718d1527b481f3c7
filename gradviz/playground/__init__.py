"""The playground: a small network trained live on a toy dataset (datasets, trainer) and its page
(``Playground``)."""
from .app import Playground

__all__ = ["Playground"]
