"""The replay room: re-running a traced graph forward and backward from new leaf values without
touching the Values (``Tape``), by numpy levels, by plain Python, or by the learner's own rules."""
from .tape import Tape

__all__ = ["Tape"]
