"""The graph room: a read-only snapshot of a computation (``Graph``), how it is taken from gradviz's
Values or another engine's (``trace``), and how it leaves (JSON, ``to_networkx``)."""
from .snapshot import Graph, to_networkx, trace

__all__ = ["Graph", "trace", "to_networkx"]
