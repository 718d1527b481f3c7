"""Where a Value came from: the module call that created it (``Scope``), or ``CONSTANT`` for a
number an op wrapped. The engine stamps the current scope on every new Value; drawings group by it."""
from __future__ import annotations

__all__ = ["Scope", "CONSTANT"]

CONSTANT = "constant"  # scope of numbers wrapped by an op (``2 * a``): marks them as constants


class Scope:
    """Which module call created a Value: ``module``, its ``call`` number, the enclosing scope."""

    __slots__ = ("module", "call", "parent")

    def __init__(self, module, call, parent):
        self.module, self.call, self.parent = module, call, parent

    def chain(self):
        """The scopes from the outermost call to this one."""
        out, s = [], self
        while s is not None:
            out.append(s)
            s = s.parent
        return out[::-1]

    def __repr__(self):
        return "/".join(f"{type(s.module).__name__}#{s.call}" for s in self.chain())
