"""The widget room: the notebook explorer (``GraphWidget``), the page state it and ``to_html`` both
build from, the wire format the page reads, and the built page bundle."""
from .graph_widget import GraphWidget
from .standalone import to_html

__all__ = ["GraphWidget", "to_html"]
