"""Diagnoses of a graph's numbers: ``health`` (vanishing, exploding, dead, saturated, non-finite),
``first_nonfinite`` (where a NaN or inf first appeared) and ``diff`` (what changed between two
graphs of one structure). Each returns a report: a table in notebooks, text in scripts, and the
per-node findings as data (which the widget and the drawings show as an overlay)."""
from .diff import GraphDiff, StructureMismatchError, diff
from .health import HealthReport, health
from .nonfinite import NonFinite, first_nonfinite

__all__ = ["health", "HealthReport", "first_nonfinite", "NonFinite", "diff", "GraphDiff",
           "StructureMismatchError"]
