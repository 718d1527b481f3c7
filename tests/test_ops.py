"""The op table (gradviz/ops.py) against its consumers: the engine's own rules, the Tape (vector and
scalar plans) and Batched agree with it on every case of the case file, bit for bit, with the same
errors in full; and the committed case file (read by the JS tests) is the table's."""
import json
import math
import pathlib

import numpy as np
import pytest

from gradviz import Value, ops, trace
from gradviz.replay import Tape
from gradviz.replay.batched import Batched

ROOT = pathlib.Path(__file__).resolve().parents[1]
CASES = ops.cases()["cases"]


def _f(s):
    return float(s)


def _same(x, y):
    """Equal as floats, bit for bit in sign, NaN equal to NaN."""
    return repr(float(x)) == repr(float(y))


def _apply(op, k, a, b):
    """The op through the engine's public API."""
    if op == "**k":
        return a ** k
    if op == "neg":
        return -a
    if op in ("exp", "log", "tanh", "relu", "sigmoid"):
        return getattr(a, op)()
    return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__, "**": a.__pow__}[op](b)


def _leaves(case):
    return [Value(_f(x), label=lab) for x, lab in zip(case["args"], case["labels"])]


def test_the_committed_case_file_is_the_tables():
    """js/test/op_cases.json is what `python -m gradviz.cases ops` writes now (regenerate it after
    changing the table)."""
    assert (ROOT / "js" / "test" / "op_cases.json").read_text(encoding="utf-8") == ops.case_file_text()


def test_the_case_file_covers_every_op_at_the_edges():
    ops_seen = {c["op"] for c in CASES}
    assert ops_seen == set(ops.OPS)
    ks = {c["k"] for c in CASES if c["op"] == "**k"}
    assert {"0.0", "2.0", "-1.0", "0.5", "3.0"} <= ks
    args = {x for c in CASES for x in c["args"]}
    assert {"0.0", "-0.0", "-2.0", "inf", "-inf", "nan", "1e-300", "1e+300"} <= args
    zero_base = [c for c in CASES if c["op"] == "**" and c["args"] in (["0.0", "2.0"], ["0.0", "0.0"])]
    assert {tuple(c["local"]) for c in zero_base} == {("0.0", "0.0")}  # the engine's d/db at 0 ** b
    assert {c["error"]["type"] for c in CASES if c["error"]} == {"ValueError", "ZeroDivisionError"}


@pytest.mark.parametrize("op", list(ops.OPS))
def test_the_engine_agrees_with_the_table(op):
    """Value, gradient pushed into each operand (through backward()), and error type and full
    message, on every case of the op."""
    for case in (c for c in CASES if c["op"] == op):
        leaves = _leaves(case)
        k = None if case["k"] is None else _f(case["k"])
        a, b = leaves[0], leaves[1] if len(leaves) > 1 else None
        if case["error"]:
            exc = {"ValueError": ValueError, "ZeroDivisionError": ZeroDivisionError}[case["error"]["type"]]
            with pytest.raises(exc) as info:
                _apply(op, k, a, b)
            assert str(info.value) == case["error"]["message"], case
            assert type(info.value) is exc
            continue
        out = _apply(op, k, a, b)
        assert out._op == case["name"] and _same(out.data, case["out"]), case
        g = Value(_f(case["g"]), label="g")
        (out * g).backward()  # out's gradient is g exactly, so each leaf gets 0.0 + pushed
        for leaf, pushed in zip(leaves, case["pushed"]):
            assert _same(leaf.grad, 0.0 + _f(pushed)), (case, leaf.grad)


@pytest.mark.parametrize("mode", ["vector", "scalar"])
def test_the_tape_agrees_with_the_table(mode):
    """Tape replays every case (built at harmless values, then run with the case's) as the table says."""
    for case in CASES:
        leaves = [Value(1.5, label=lab) for lab in case["labels"]]
        k = None if case["k"] is None else _f(case["k"])
        a, b = leaves[0], leaves[1] if len(leaves) > 1 else None
        out = _apply(case["op"], k, a, b)
        root = out * Value(1.0, label="g")
        g = trace(root)
        tape = Tape(g, mode=mode)
        data = np.array(g.data)
        ids = {id(v): i for i, v in enumerate(g.values)}
        for v, x in zip(leaves, case["args"]):
            data[ids[id(v)]] = _f(x)
        data[len(g) - 2] = _f(case["g"])  # the leaf g: ids are in topological order, root last
        assert g.labels[len(g) - 2] == "g"
        if case["error"]:
            exc = {"ValueError": ValueError, "ZeroDivisionError": ZeroDivisionError}[case["error"]["type"]]
            with pytest.raises(exc) as info:
                tape.run(write_back=False, data=data)
            assert type(info.value) is exc and str(info.value) == case["error"]["message"], case
            continue
        d, gr = tape.run(write_back=False, data=data)
        i_out = ids[id(out)]
        assert _same(d[i_out], case["out"]), (case, d[i_out])
        for v, pushed in zip(leaves, case["pushed"]):
            assert _same(gr[ids[id(v)]], 0.0 + _f(pushed)), (case, gr[ids[id(v)]])


def test_batched_agrees_with_the_table():
    """Batched's forward (no checks) gives the table's value on every case without an error."""
    for op in ops.OPS:
        group = [c for c in CASES if c["op"] == op and not c["error"]]
        by_k = {}
        for c in group:
            by_k.setdefault(c["k"], []).append(c)
        for kk, cs in by_k.items():
            leaves = [Value(1.5, label=f"x{i}") for i in range(ops.OPS[op].arity)]
            out = _apply(op, None if kk is None else _f(kk), leaves[0], leaves[1] if len(leaves) > 1 else None)
            bt = Batched(out, leaves)
            X = np.array([[_f(x) for x in c["args"]] for c in cs])
            got = bt.forward(X)
            for c, y in zip(cs, got.tolist()):
                assert _same(y, c["out"]), (c, y)


def test_split_op_reads_every_exponent_once():
    for name, op, k in ops.cases()["names"]:
        entry, got = ops.lookup(name)
        assert (entry and entry.name) == op and (None if got is None else repr(got)) == k, name
    assert ops.split_op("**2.0") == ("**k", 2.0) and ops.split_op("**-1") == ("**k", -1.0)
    assert ops.split_op("tanh") == ("tanh", None) and ops.lookup("**k") == (None, None)


def test_error_templates_name_the_type_and_every_placeholder_is_known():
    for template in ops.ERROR_TEMPLATES.values():
        kind, text = template.split(": ", 1)
        assert kind in ("ValueError", "ZeroDivisionError")
        text.format(name="'a'", x="1.0", k="2.0")  # only {name}, {x}, {k}
    err = ops.domain_error("log_domain", "'z'", -0.0)
    assert type(err) is ValueError and str(err) == "log of a non-positive number: 'z' has data -0.0; log needs data > 0"


def test_case_file_is_json_with_string_floats():
    data = json.loads((ROOT / "js" / "test" / "op_cases.json").read_text(encoding="utf-8"))
    assert data["templates"] == ops.ERROR_TEMPLATES
    for c in data["cases"][:50]:
        assert all(isinstance(x, str) for x in c["args"])


def _torch_departure(case):
    """The two corners where the table (the engine) and PyTorch knowingly differ, both IEEE corner
    cases of an infinite or undefined product: an infinite gradient into a divisor (PyTorch forms
    -g * a / b**2 and gets nan where the engine's -g * out / b is a signed inf), and d(0 ** b)/db
    at a NaN exponent (the engine's zero base gives 0, PyTorch nan)."""
    a, g = (float(x) for x in (case["args"][0], case["g"]))
    if case["op"] == "/":
        return math.isinf(g)
    return case["op"] == "**" and a == 0.0 and math.isnan(float(case["args"][1]))


def test_the_torch_mirror_agrees_with_the_table():
    """The fifth consumer: ``ops.torch_fn`` (what compare_with_torch builds) gives every case's
    value and pushed gradients in float64 PyTorch, to 1e-12, outside the two corners above."""
    torch = pytest.importorskip("torch")

    def close(x, y):
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        if math.isinf(x) or math.isinf(y):
            return x == y
        return abs(x - y) <= 1e-12 * max(abs(x), abs(y))

    differ, checked = [], 0
    for case in CASES:
        if case["error"]:
            continue
        ts = [torch.tensor(_f(x), dtype=torch.float64, requires_grad=True) for x in case["args"]]
        k = None if case["k"] is None else torch.tensor(_f(case["k"]), dtype=torch.float64)
        out = ops.torch_fn(case["op"], torch)(ts[0], ts[1] if len(ts) > 1 else None, k)
        out.backward(torch.tensor(_f(case["g"]), dtype=torch.float64))
        got = [out.item()] + [0.0 if t.grad is None else t.grad.item() for t in ts]
        want = [_f(case["out"])] + [_f(p) for p in case["pushed"]]
        checked += 1
        if not all(close(x, y) for x, y in zip(got, want, strict=True)):
            differ.append(case)
    assert checked > 900
    assert [c for c in differ if not _torch_departure(c)] == []
    assert differ, "the departures documented above no longer happen: drop them"
