"""The drawing room: which boxes a graph folds into (grouping), where they go (layout), how big
their text is (textsize, tensor text), the colours (theme), and the SVG and Graphviz output (render)."""
from .render import draw_dot, to_svg

__all__ = ["to_svg", "draw_dot"]
