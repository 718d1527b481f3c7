"""The graph room: a read-only snapshot of a computation (``Graph``, ``snapshot.py``), how it is
taken from gradviz's Values or another engine's (``trace.py``, ``foreign.py``), and how it leaves
(JSON in ``snapshot.py``, ``to_networkx`` in ``trace.py``)."""
from .snapshot import Graph
from .trace import to_networkx, trace

__all__ = ["Graph", "trace", "to_networkx"]
