"""One way to name a node in a message, and one way to find the node a user names.

``node_name`` is the wording of every message about a node: its label, quoted (``'a'``), else
``unlabelled <op> node`` (``unlabelled leaf node`` for a leaf); a node of a Graph also gets its id
(``unlabelled exp node #4``), which is all that tells unlabelled nodes apart there.

``resolve_leaf`` and ``resolve_node`` turn what a user passes for a node (a Value of the graph, a
label, or a node id) into the node's id. Every failure raises ``NodeLookupError`` saying what was
wrong and what to pass instead; a node of the wrong type raises ``TypeError``.

This module imports nothing from gradviz, so the engine (the bottom layer) names nodes with it too.
The page names nodes with its copy of ``node_name`` (``nodeName`` in js/src/format.js), checked
against js/test/name_cases.json, which ``python -m gradviz.cases names`` writes from this module.
"""
from __future__ import annotations

import difflib
import weakref
from numbers import Integral

__all__ = ["node_name", "resolve_leaf", "resolve_node", "NodeLookupError"]


class NodeLookupError(KeyError, ValueError):
    """The node asked for (by Value, label or id) is not in the graph, is not the only one with
    that label, or is not a leaf where a leaf is needed.

    It is a ``KeyError`` (a failed lookup: ``key in mirror`` and ``mirror.get(key)`` work) and a
    ``ValueError`` (a bad argument), so code catching either catches it."""

    def __str__(self):  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


def node_name(x, i=None):
    """How messages name a node: ``'a'`` (its label), else ``unlabelled exp node`` or
    ``unlabelled leaf node``.

    ``x``: a Value (anything with ``label`` and ``_op``), or a Graph with the node's id ``i``; an
    unlabelled node of a Graph is also given its id: ``unlabelled exp node #4``."""
    if i is None:
        label, op = x.label, x._op
        return repr(label) if label else f"unlabelled {op or 'leaf'} node"
    label = x.labels[i]
    return repr(label) if label else f"unlabelled {x.ops[i] or 'leaf'} node #{i}"


def _arity(g, i):
    ptr = g.child_ptr
    return int(ptr[i + 1]) - int(ptr[i])


def _is_value(x):
    return hasattr(x, "_prev") and hasattr(x, "data") and not hasattr(x, "child_ptr")


_LABELS = weakref.WeakKeyDictionary()  # Graph -> {label: [node ids]}, built on first use
_VALUES = weakref.WeakKeyDictionary()  # Graph -> {id(Value): node id}, built on first use


def _by_label(g):
    """``{label: [node ids]}`` of Graph ``g``, built once per Graph (Graphs are immutable)."""
    hit = _LABELS.get(g)
    if hit is None:
        hit = _LABELS[g] = {}
        for i, label in enumerate(g.labels):
            if label:
                hit.setdefault(label, []).append(i)
    return hit


def _by_value(g):
    """``{id(Value): node id}`` of Graph ``g`` (it holds its Values, so the ids stay theirs)."""
    hit = _VALUES.get(g)
    if hit is None:
        hit = _VALUES[g] = {id(v): i for i, v in enumerate(g.values)}
    return hit


def _leaves(g):
    """Ids of the leaves of Graph ``g`` (numpy is imported here, so ``import gradviz`` stays light)."""
    import numpy as np
    return np.flatnonzero(np.diff(np.asarray(g.child_ptr)) == 0).tolist()


def _some(g, ids, limit=12):
    names = sorted({g.labels[i] for i in ids if g.labels[i]})
    return ", ".join(map(repr, names[:limit])) + (", ..." if len(names) > limit else "") or "none"


def _ids(ids, limit=8):
    return ", ".join(map(str, ids[:limit])) + (", ..." if len(ids) > limit else "")


def resolve_node(g, node):
    """The id of ``node`` in Graph ``g``: ``node`` is one of its Values, a label carried by exactly
    one node, or a node id. Raises ``NodeLookupError`` (or ``TypeError``), naming the fix."""
    return _resolve(g, node, leaf=False)


def resolve_leaf(g, leaf):
    """The id of ``leaf`` in Graph ``g``, which must be a leaf (an input, parameter or constant):
    one of its Values, a label carried by exactly one leaf, or a node id. Raises
    ``NodeLookupError`` (unknown label, a label on several leaves (listing their ids), a computed
    node, an id out of range, a Value of another graph) or ``TypeError``, each naming the fix."""
    return _resolve(g, leaf, leaf=True)


def _resolve(g, x, leaf):
    what, whats = ("leaf", "leaves") if leaf else ("node", "nodes")
    n = len(g.labels)
    if isinstance(x, str):
        hits = _by_label(g).get(x, [])
        found = [i for i in hits if not _arity(g, i)] if leaf else hits
        if len(found) > 1:
            raise NodeLookupError(f"label {x!r} names {len(found)} {whats} (ids {_ids(found)}); pass the "
                                  f"Value itself or one of these ids, or give them distinct labels")
        if found:
            return found[0]
        if hits:  # labelled, but computed
            raise _not_a_leaf(g, hits[0])
        pool = _leaves(g) if leaf else range(n)
        names = sorted({g.labels[i] for i in pool if g.labels[i]})
        close = difflib.get_close_matches(x, names, n=5)
        hint = (f"close matches: {', '.join(map(repr, close))}" if close else
                f"the labelled {whats} are {_some(g, pool)}")
        raise NodeLookupError(f"no {what} is labelled {x!r}; {hint}")
    if isinstance(x, Integral) and not isinstance(x, bool):
        i = int(x)
        if not 0 <= i < n:
            raise NodeLookupError(f"node id {i} is out of range: the graph has ids 0..{n - 1}" if n else
                                  f"node id {i} is out of range: the graph is empty")
    elif _is_value(x):
        if g.values is None:
            raise TypeError(f"this graph has no Values (it was loaded from JSON or PyTorch): name the "
                            f"{what} by its label (str) or id (int)")
        i = _by_value(g).get(id(x))
        if i is None:
            raise NodeLookupError(f"{x!r} is not a node of this graph; pass one of its {whats} (labelled "
                                  f"{whats}: {_some(g, _leaves(g) if leaf else range(n))}), "
                                  f"its label or its id")
    else:
        raise TypeError(f"a {what} is given as a Value, a label (str) or a node id (int), "
                        f"got {type(x).__name__!r}")
    if leaf and _arity(g, i):
        raise _not_a_leaf(g, i)
    return i


def _not_a_leaf(g, i):
    return NodeLookupError(f"{node_name(g, i)} is computed by {g.ops[i]!r}, not a leaf; pass one of the "
                           f"leaves it depends on (an input, parameter or constant)")


# ---- the page's copy of node_name, checked against these answers ---------------------------------

_CASE_LABELS = ("a", "", "x'y", 'q"r', "a'b\"c", "b\\n", "new\nline", "tab\there", "\x01", "\x7f", " ",
                "<b>&", "é", "\u200b", "\u2028", "\U0001f600", "L")
_CASE_OPS = ("", "*", "**2.0", "exp", "MulBackward0", "<op>")


def cases():
    """``[[label, op, id or None, name], ...]``: how ``node_name`` names a node of a Graph (with
    its id) and a Value (id None), on labels Python's ``repr`` escapes in every way."""
    from types import SimpleNamespace
    out = []
    for label in _CASE_LABELS:
        for j, op in enumerate(_CASE_OPS):
            if label and j > 1:
                continue  # a label is the name, whatever the op
            g = SimpleNamespace(labels=[label] * 5, ops=[op] * 5)
            out.append([label, op, 4, node_name(g, 4)])
            out.append([label, op, None, node_name(SimpleNamespace(label=label, _op=op))])
    return out


def case_file_text():
    """The case file, one case a line (readable diffs)."""
    import json
    c = cases()
    return "[\n" + ",\n".join(json.dumps(x) for x in c) + "\n]\n"
