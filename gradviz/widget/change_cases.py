"""The change rules' case file: what ``GraphWidget`` answers to the page's step, set and reset
messages on one small graph. The page's copy of those rules (``js/src/local.js``) is checked
against it by the JS tests; ``python -m gradviz.cases changes > js/test/change_cases.json`` writes it.
"""
from __future__ import annotations

import json

from .graph_widget import _HANDLERS, GraphWidget

_CASE_LRS = (0.01, -0.01, 0.1, -0.5, 3.0, 1e-07, -2.5e-05, 1234567.0, 0.30000000000000004)
_CASE_SETS = ({"a": 2.5}, {"f": -1e-07}, {"#": 0.125}, {"a": 3.0, "b": 1e+16})


def _case_widget():
    """The lecture's L = (a*b + c) * f, plus an unlabelled leaf times a constant (a leaf with no
    control): a fresh widget on fresh Values for every case."""
    from ..engine import Value
    a, b, c, f, u = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f"), Value(0.5)
    return GraphWidget((a * b + c) * f + u * 2.0, recompute=True), u


def cases():
    """``{"graph": {labels, ops, ptr, idx, controls, data, grad}, "changes": [{type, lr or
    values, first (a change made before), what, kind, data, grad, before, after, predicted,
    actual}]}``: what GraphWidget
    answers to the page's step, set and reset messages on one small graph (node ids as in
    ``graph``; a set's "#" names the unlabelled leaf)."""
    w, u = _case_widget()
    g = w.graph
    unlabelled = next(i for i, v in enumerate(g.values) if v is u)
    graph = {"labels": list(g.labels), "ops": list(g.ops), "ptr": [int(x) for x in g.child_ptr],
             "idx": [int(x) for x in g.child_ids], "controls": list(w._s.controls),
             "data": w.data.tolist(), "grad": w.grad.tolist()}
    msgs = [{"type": "step", "lr": lr} for lr in _CASE_LRS]
    msgs += [{"type": "set", "values": {str(unlabelled if k == "#" else g.labels.index(k)): v for k, v in s.items()}}
             for s in _CASE_SETS]
    msgs.append({"type": "reset", "first": {"type": "step", "lr": 0.5}})
    out = []
    for m in msgs:
        w, _ = _case_widget()
        if "first" in m:  # a reset undoes a step
            _HANDLERS[m["first"]["type"]](w, m["first"])
        _HANDLERS[m["type"]](w, m)
        assert not w.error, w.error
        out.append({**m, **w.last_nudge, "data": w.data.tolist(), "grad": w.grad.tolist()})
        w.close()
    return {"graph": graph, "changes": out}


def case_file_text():
    """The case file, one change a line (readable diffs)."""
    c = cases()
    return ('{"graph": ' + json.dumps(c["graph"]) + ',\n"changes": [\n'
            + ",\n".join(json.dumps(x) for x in c["changes"]) + "\n]}\n")
