"""Names for the public API's type hints. The modules import them under ``TYPE_CHECKING`` only, so
they cost nothing when gradviz runs."""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Literal, Protocol

from ..engine import Value
from .snapshot import Graph


class ValueLike(Protocol):
    """A Value of another engine (micrograd's, or the class written along with the lecture): gradviz
    reads its ``data``, ``_prev`` and ``_op`` (and ``label`` and ``grad`` when it has them)."""

    data: float
    _prev: Any
    _op: str


# What the functions that read a graph take: a root Value (gradviz's or another engine's) or a Graph.
Root = Value | ValueLike | Graph
# A leaf, named by its Value, its label or its node id.
Leaf = Value | ValueLike | str | int
# Which groups a drawing folds: "auto", the keys of the groups, or None (every value its own box).
Collapsed = Literal["auto"] | Iterable[str] | None
Rankdir = Literal["LR", "RL", "TB", "BT"]
PathLike = str | os.PathLike[str]
