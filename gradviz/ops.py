"""The op table: every built-in op of gradviz, defined once.

Each entry (``OPS``, below) gives an op's name, its arity, its forward, the gradient it pushes into
each operand (``d out/d operand * g``, written as the engine computes it, so the float operations
and their order are the engine's), its domain errors and its PyTorch mirror. The formulas are
Python expressions over ``a``, ``b`` (operands), ``k`` (the constant exponent of ``**k``), ``out``
(the op's value) and ``g`` (the gradient arriving at the op), with the functions ``exp log tanh
pow isfinite is_integer`` and the constant ``nan``. They are written once and instantiated:

- for Python floats (``scalar(op)``): as the engine computes; ``pow`` is C's (an overflow is a
  signed ``inf``), ``exp`` overflows to ``inf``;
- for numpy arrays (``vector(op)``): the expression's ``x if c else y`` becomes ``where(c, x, y)``
  and ``and/or/not`` become ``& | ~``; ``exp log tanh pow`` are the C library's, as the engine's
  (numpy's own kernels can differ in the last bit), so arrays match the engine bit for bit;
- as code (``code(op, ...)``) for the generated loops of the scalar Tape plan;
- for PyTorch (``torch_fn(op, torch)``), from the ``torch`` expression.

The local derivative d out/d operand (the tooltip's) is the pushed gradient at ``g = 1``.
``engine.py`` keeps its own fast in-place rules; ``tests/test_ops.py`` checks them against this
table on every case below. An op name becomes (op, k) with ``split_op`` (``"**2.0"`` ->
``("**k", 2.0)``), the one place that reads an exponent out of a name; the page gets each
``**k`` node's exponent from it as data (``gradviz.widget.wire.exponents``).

Domain errors: each op lists ``Err(when, key, who)``, checked in order before the forward;
``ERROR_TEMPLATES[key]`` is the message, ``"Type: text"`` with ``{name}`` (the operand ``who``,
named as the engine names a node), ``{x}`` (its value) and ``{k}`` (the exponent), numbers
formatted as Python's ``repr``. The page gets the templates as data (the widget's ``constants.opErrors``).

The case file (``python -m gradviz.cases ops > js/test/op_cases.json``): ``{"templates":
ERROR_TEMPLATES, "names": [[name, op, k], ...], "cases": [case, ...]}``. ``names``: op names and
how ``split_op`` reads them. A case: ``{"op": table name, "name": the node's op name ("**2.0"),
"k": repr or null, "labels": operand labels, "args": operand values, "g": the gradient arriving,
"out": value, "pushed": gradient pushed into each operand, "local": d out/d operand, "error": null
or {"type", "message" (full, with the operand's name), "where": "forward", "key": the
template's}}``; ``out``, ``pushed``
and ``local`` are null when there is an error. Every float is a string, Python's ``repr`` (so
nan, inf and -0.0 survive JSON and the page's number formatting is tested too). The JS tests
(js/test/ops.test.js) replay every case in js/src/replay.js and the tooltip's derivatives.
"""
from __future__ import annotations

import ast
import functools
import json
import math
import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

__all__ = ["Op", "Err", "OPS", "ERROR_TEMPLATES", "split_op", "lookup", "scalar", "vector", "code",
           "torch_fn", "domain_error", "first_error", "cases", "register_op", "unregister_op", "CUSTOM"]


class Err(NamedTuple):
    """A domain error: raised before the forward when ``when`` holds, naming operand ``who``."""

    when: str
    key: str
    who: str


class Op(NamedTuple):
    """One op: ``forward`` and ``pushed`` (one per operand) are expressions (see the module doc)."""

    name: str
    arity: int
    forward: str
    pushed: tuple
    errors: tuple = ()
    torch: str = ""
    exponent: str = ""  # the operand or constant that is the exponent ({k} in messages)


ERROR_TEMPLATES = {
    "div_zero": "ZeroDivisionError: division by zero: the divisor {name} has data {x}",
    "log_domain": "ValueError: log of a non-positive number: {name} has data {x}; log needs data > 0",
    "pow_negative_base": ("ValueError: a negative base to a non-integer power is not real: {name} has "
                          "data {x} and the exponent is {k}; use an integer exponent or a positive base"),
    "pow_zero_negative": "ZeroDivisionError: 0 to a negative power: {name} has data {x}, exponent {k}",
}

_POW_ERRORS = (Err("a < 0.0 and isfinite(k) and not is_integer(k)", "pow_negative_base", "a"),
               Err("a == 0.0 and k < 0.0", "pow_zero_negative", "a"))

# name       arity  forward                          pushed into each operand (d out/d operand * g)
_TABLE = [
    Op("+", 2, "a + b", ("g", "g"), torch="a + b"),
    Op("-", 2, "a - b", ("g", "-g"), torch="a - b"),
    Op("*", 2, "a * b", ("b * g", "a * g"), torch="a * b"),
    Op("/", 2, "a / b", ("g / b", "-(g * out / b)"),
       errors=(Err("b == 0.0", "div_zero", "b"),), torch="a / b"),
    Op("neg", 1, "-a", ("-g",), torch="-a"),
    Op("exp", 1, "exp(a)", ("out * g",), torch="torch.exp(a)"),
    Op("log", 1, "log(a)", ("g / a",),  # log(nan) is nan: only a number <= 0 is refused
       errors=(Err("a <= 0.0", "log_domain", "a"),), torch="torch.log(a)"),
    Op("tanh", 1, "tanh(a)", ("(1.0 - out * out) * g",), torch="torch.tanh(a)"),
    Op("relu", 1, "0.0 if a <= 0.0 else a",  # relu(nan) is nan, and passes g on (as PyTorch)
       ("0.0 if a <= 0.0 else g",), torch="torch.relu(a)"),
    Op("sigmoid", 1,  # exp of a positive number could overflow; the second form cannot
       "1.0 / (1.0 + exp(-a)) if a >= 0.0 else exp(a) / (1.0 + exp(a))",
       ("out * (1.0 - out) * g",), torch="torch.sigmoid(a)"),
    Op("**k", 1, "pow(a, k)",  # a ** k, k a number: a ** 0 is constant, so 0 even for a NaN g
       ("0.0 if k == 0.0 else k * pow(a, k - 1.0) * g",),
       errors=_POW_ERRORS, torch="torch.pow(a, k)", exponent="k"),
    Op("**", 2, "pow(a, b)",  # d/db = a**b * ln(a): 0 for a zero base (as PyTorch), NaN below
       ("0.0 if b == 0.0 else b * pow(a, b - 1.0) * g",
        "(out * log(a) if a > 0.0 else 0.0 if a == 0.0 else nan) * g"),
       errors=(Err("a < 0.0 and isfinite(b) and not is_integer(b)", "pow_negative_base", "a"),
               Err("a == 0.0 and b < 0.0", "pow_zero_negative", "a")),
       torch="torch.pow(a, b)", exponent="b"),
]
OPS = {op.name: op for op in _TABLE}


def split_op(name):
    """An op name as ``(op, k)``: ``"**2.0"`` (and micrograd's ``"**2"``) -> ``("**k", 2.0)``, any
    other name -> ``(name, None)``. The one place an exponent is read out of a name."""
    return _split(name) if type(name) is str else (name, None)


@functools.lru_cache(maxsize=4096)  # the engine's **k rule asks once a node
def _split(name):
    if name.startswith("**") and len(name) > 2:
        try:
            return "**k", float(name[2:])
        except ValueError:
            pass
    return name, None


def lookup(name):
    """``(Op, k)`` for an op name, or ``(None, None)`` when it is not a built-in op."""
    op, k = split_op(name)
    entry = OPS.get(op) if isinstance(op, str) else None
    if entry is None or (op == "**k") != (k is not None):
        return None, None
    return entry, k


# ---- ops of your own ---------------------------------------------------------------------------

class Custom(NamedTuple):
    """An op registered with ``register_op``: Python callables instead of formulas."""

    name: str
    forward: object      # forward(*xs) -> float, xs the operands' values
    derivatives: object  # derivatives(*xs, out) -> d out/d x_i for each operand, or None
    torch: object        # torch(*tensors) -> tensor, or None


CUSTOM = {}  # name -> Custom: ops registered by the user


def register_op(name: str, forward: Callable[..., float],
                derivatives: Callable[..., Sequence[float]] | None = None,
                torch: Callable[..., Any] | None = None) -> None:
    """Make the op called ``name`` known to every part of gradviz, as a built-in op is.

    ``forward(*xs)`` computes the op's value from its operands' values (any number of them);
    ``derivatives(*xs, out)`` gives d out/d x_i for each operand (a sequence of floats);
    ``torch(*tensors)``, optional, is its PyTorch mirror. Then ``backward()`` uses ``derivatives``
    for a node of this op that has no ``_backward`` closure (a node with one runs its closure);
    ``Tape``, ``grad_check`` and the widget re-run the op with ``forward`` (backpropagating with
    ``derivatives``, else with the node's closure); ``compare_with_torch`` mirrors it with
    ``torch``. Registering a name again replaces it; ``unregister_op(name)`` forgets it."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"the op name must be a non-empty str, got {name!r}")
    if lookup(name)[0] is not None or name == "**k" or split_op(name)[1] is not None:
        raise ValueError(f"{name!r} is a built-in op of gradviz (see gradviz.ops.OPS); give your op a "
                         f"name of its own")
    for what, f in (("forward", forward), ("derivatives", derivatives), ("torch", torch)):
        if f is not None and not callable(f):
            raise TypeError(f"register_op({name!r}): {what} must be a function, got {type(f).__name__!r}")
    if forward is None:
        raise TypeError(f"register_op({name!r}) needs a forward function: forward(*xs) -> float")
    CUSTOM[name] = Custom(name, forward, derivatives, torch)
    _forget(name)


def real_result(x, what):
    """``x``, a registered op's forward result or one of its derivatives, as a Python float. A real
    number (int, float, numpy's float32 ...) is converted; anything else (a str such as "1.5", a
    bool, a complex number, an array) is a TypeError saying ``what`` gave it, so no wrong or
    complex number reaches a ``.grad``."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    t = type(x)
    raise TypeError(f"{what} returned {x!r:.60} (a {t.__module__}.{t.__qualname__}); it must be a "
                    f"real number (a float)")


def real_derivatives(ds, n, what):
    """The ``n`` derivatives ``ds`` a registered op's ``derivatives`` returned, as floats: exactly
    one per operand (``zip`` would silently drop the extra ones or the missing operands)."""
    try:
        ds = list(ds)
    except TypeError:
        raise TypeError(f"{what} returned {ds!r:.60}; it must return a sequence of {n} numbers, "
                        f"d out/d x for each operand") from None
    if len(ds) != n:
        raise ValueError(f"{what} returned {len(ds)} derivative(s) for {n} operand(s); it must give "
                         f"one per operand, in operand order")
    return [real_result(d, f"{what} (derivative {i})") for i, d in enumerate(ds)]


def unregister_op(name: str) -> None:
    """Forget an op registered with ``register_op`` (no error if it was not)."""
    CUSTOM.pop(name, None)
    _forget(name)


_ON_CHANGE = []  # functions told the name of every op registered or unregistered


def on_change(fn):
    """Call ``fn(name)`` whenever ``register_op``/``unregister_op`` changes what op ``name`` means
    (the engine installs one to forget the rule it remembered for that name)."""
    _ON_CHANGE.append(fn)


def _forget(name):
    for fn in _ON_CHANGE:
        fn(name)


def _name_of(label, op=""):
    """How errors name a node (the engine's ``_name``)."""
    return repr(label) if label else f"unlabelled {op or 'leaf'} node"


def domain_error(key, name, x, k=None):
    """The exception of error ``key`` for the operand called ``name`` (see ``_name_of``) of value
    ``x``, the exponent ``k``: its type and full message from ``ERROR_TEMPLATES``."""
    kind, text = ERROR_TEMPLATES[key].split(": ", 1)
    exc = {"ValueError": ValueError, "ZeroDivisionError": ZeroDivisionError}[kind]
    return exc(text.format(name=name, x=repr(x), k=repr(k)))


# ---- instantiation: Python floats --------------------------------------------------------------

def _odd(k):
    return math.isfinite(k) and k.is_integer() and k % 2.0 == 1.0


def cpow(x, k):
    """``x ** k`` as C's pow: ``inf`` (signed) where Python's raises on overflow or for 0 ** -k."""
    try:
        return float(x ** k)
    except OverflowError:  # |x ** k| beyond the float range
        return -math.inf if x < 0.0 and _odd(k) else math.inf
    except ZeroDivisionError:  # 0 to a negative power: inf, signed as the zero for an odd power
        return math.copysign(math.inf, x) if _odd(k) else math.inf


def dpow(x, k):
    """d(x**k)/dx = k * x**(k-1), as PyTorch computes it (0 for k == 0; infinite at 0 for k < 1)."""
    if k == 0.0:
        return 0.0
    return k * cpow(x, k - 1.0)


def pow_log(a, out):
    """d(a**b)/db = a**b * ln(a); 0 for a zero base (as PyTorch), NaN for a negative base."""
    if a > 0.0:
        return out * math.log(a)
    return 0.0 if a == 0.0 else math.nan


def cexp(x):
    """``math.exp``, with ``inf`` beyond the float range (as PyTorch and C)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


FLOAT_NAMES = {"exp": cexp, "log": math.log, "tanh": math.tanh, "pow": cpow, "isfinite": math.isfinite,
               "is_integer": float.is_integer, "nan": math.nan}


def _lambda(expr, names, params="a, b, k, out, g", tree=None):
    src = ast.Expression(ast.Lambda(
        args=ast.parse(f"lambda {params}: 0", mode="eval").body.args,
        body=tree if tree is not None else ast.parse(expr, mode="eval").body))
    ast.fix_missing_locations(src)
    return eval(compile(src, f"<op {expr}>", "eval"), dict(names))


class Formulas(NamedTuple):
    """An op's formulas as functions ``f(a, b, k, out, g)``: ``forward``, ``pushed`` (one per
    operand) and ``errors`` (``(when, key, who)`` with ``when`` a function)."""

    op: Op
    forward: object
    pushed: tuple
    errors: tuple


@functools.cache
def scalar(name):
    """The op's formulas on Python floats (as the engine computes them)."""
    op = OPS[name]
    f = functools.partial(_lambda, names=FLOAT_NAMES)
    return Formulas(op, f(op.forward), tuple(map(f, op.pushed)),
                    tuple((f(e.when), e.key, e.who) for e in op.errors))


def first_error(name, a, b=None, k=None, name_of=lambda who: _name_of("")):
    """The domain error the op raises on these operands (the first of its ``errors`` that holds),
    or None. ``name_of("a")`` / ``name_of("b")``: how the error names an operand."""
    failing = failing_check(name, a, b, k)
    if failing is None:
        return None
    key, who = failing
    return domain_error(key, name_of(who), a if who == "a" else b, k if OPS[name].exponent == "k" else b)


def failing_check(name, a, b=None, k=None):
    """``(key, operand)`` of the first domain error of the op that holds here, or None."""
    for when, key, who in scalar(name).errors:
        if when(a, b, k, None, None):
            return key, who
    return None


# ---- instantiation: numpy arrays ---------------------------------------------------------------

class _ToArrays(ast.NodeTransformer):
    """``x if c else y`` -> ``where(c, x, y)``; ``and``/``or``/``not`` -> ``&``/``|``/``~``."""

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return ast.Call(ast.Name("where", ast.Load()), [node.test, node.body, node.orelse], [])

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        out = node.values[0]
        for v in node.values[1:]:
            out = ast.BinOp(out, op, v)
        return out

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.UnaryOp(ast.Invert(), node.operand)
        return node


def _array_names():
    """numpy's functions for the special cases (inf, NaN, the engine's errors), the C library's (as
    Python's ``math`` and ``**``) for the values: numpy's own exp, log and power may use SIMD
    kernels that differ from it in the last bit for a few percent of inputs."""
    import numpy as np
    ndarray = np.ndarray

    def libm(f, out, ok, *args):
        """``out`` (flat) with the entries where ``ok`` recomputed by the C library's ``f``."""
        if ok.all():
            try:
                return np.fromiter(map(f, *(a.tolist() for a in args)), np.float64, len(out))
            except (OverflowError, ValueError):
                pass  # at the edge of the range: entry by entry below
        for i in np.flatnonzero(ok).tolist():
            try:
                out[i] = f(*(float(a[i]) for a in args))
            except (OverflowError, ValueError):
                pass  # the engine raises here; the caller's check reports it
        return out

    def flat(fn):
        """``fn`` on flat arrays, given arrays of any shape (Batched's are 2-d) or numbers."""
        def run(*args):
            x = args[0]
            if type(x) is ndarray and x.ndim == 1 and (len(args) == 1 or type(args[1]) is ndarray
                                                        and args[1].shape == x.shape):
                return fn(*args)  # the Tape's case: flat arrays of one length
            args = [np.asarray(a, dtype=np.float64) for a in args]
            shape = args[0].shape
            if len(args) > 1 and args[1].shape != shape:
                args = np.broadcast_arrays(*args)
                shape = args[0].shape
            if len(shape) == 1:
                return fn(*args)
            return fn(*(a.ravel() for a in args)).reshape(shape)
        return run

    def exp(x):
        with np.errstate(all="ignore"):
            out = np.exp(x)
        return libm(math.exp, out, np.isfinite(out) | np.isnan(x), x)

    def log(x):
        with np.errstate(all="ignore"):
            out = np.log(x)
        return libm(math.log, out, (x > 0.0) | np.isnan(x), x)

    def tanh(x):
        return np.fromiter(map(math.tanh, x.tolist()), np.float64, len(x))

    def power(x, k):
        with np.errstate(all="ignore"):
            out = np.power(x, k)
        ok = np.isfinite(out) & ~((x == 0.0) & (k < 0.0)) | (np.isnan(out) & (np.isnan(x) | np.isnan(k)))
        return libm(math.pow, out, ok, x, k)

    return {"exp": flat(exp), "log": flat(log), "tanh": flat(tanh), "pow": flat(power),
            "isfinite": np.isfinite, "is_integer": lambda k: k == np.floor(k), "nan": math.nan,
            "where": np.where}


@functools.cache
def vector(name):
    """The op's formulas on numpy arrays (numpy broadcasting; a ``k`` may be a number or an
    array), equal to the engine's entry by entry. Errors are masks; ``pushed`` may return a
    number for a constant formula (``+``'s ``g`` is ``g``)."""
    op = OPS[name]
    names = _array_names()

    def f(expr):
        return _lambda(expr, names, tree=_ToArrays().visit(ast.parse(expr, mode="eval").body))
    return Formulas(op, f(op.forward), tuple(map(f, op.pushed)),
                    tuple((f(e.when), e.key, e.who) for e in op.errors))


# ---- instantiation: code for generated loops ---------------------------------------------------

class _Rename(ast.NodeTransformer):
    def __init__(self, subs):
        self.subs = subs

    def visit_Name(self, node):
        new = self.subs.get(node.id)
        return ast.parse(new, mode="eval").body if new is not None else node


def code(expr, **subs):
    """``expr`` as source with names replaced by code (``code("a * g", a="d[ia]")``)."""
    return ast.unparse(_Rename(subs).visit(ast.parse(expr, mode="eval").body))


def names_in(expr):
    """The variable names an expression reads."""
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}


# ---- instantiation: PyTorch --------------------------------------------------------------------

def torch_fn(name, torch):
    """The op's PyTorch mirror ``f(a, b, k)`` (tensors; ``k`` a float64 tensor for ``**k``)."""
    return _lambda(OPS[name].torch, {"torch": torch}, params="a, b, k")


# ---- the case file -----------------------------------------------------------------------------

EDGES = (0.0, -0.0, 2.0, -2.0, math.inf, -math.inf, math.nan, 1e-300, 1e300, 710.0, -0.5)
EXPONENTS = (0.0, 2.0, -1.0, 0.5, 3.0, -0.5, 1.5, -2.0, math.inf, math.nan)
LABELS = ("a", "", "x'y", 'q"r', "b\\n")
NAMES = ("+", "**2.0", "**2", "**-1.0", "**0.5", "**3", "**nan", "**inf", "**-inf", "**1e-05",
         "**1e+16", "**k", "**", "**two", "cube", "ReLU", "")


def _case(rng, name, args, g, labels):
    op, k = split_op(name)
    fs = scalar(op)
    a = args[0]
    b = args[1] if len(args) > 1 else None
    case = {"op": op, "name": name, "k": None if k is None else repr(k), "labels": list(labels),
            "args": [repr(x) for x in args], "g": repr(g)}
    err = first_error(op, a, b, k, lambda who: _name_of(labels[0 if who == "a" else 1]))
    if err is not None:
        return {**case, "out": None, "pushed": None, "local": None,
                "error": {"type": type(err).__name__, "message": str(err), "where": "forward",
                          "key": failing_check(op, a, b, k)[0]}}
    out = fs.forward(a, b, k, None, None)
    return {**case, "out": repr(out), "pushed": [repr(p(a, b, k, out, g)) for p in fs.pushed],
            "local": [repr(p(a, b, k, out, 1.0)) for p in fs.pushed], "error": None}


def cases(seed=11, per_op=30):
    """The case file's content (see the module doc): every op at the edge points and at
    ``per_op`` seeded random points."""
    rng = random.Random(seed)
    gs = (1.0, -0.5, 2.5, 0.0, math.nan, math.inf)
    out = []

    def label_pair(i):
        return (LABELS[i % len(LABELS)], LABELS[(i + 1) % len(LABELS)])

    for op in OPS.values():
        points = []
        if op.name == "**k":
            for k in EXPONENTS:
                points += [(f"**{k!r}", (x,)) for x in EDGES]
        elif op.arity == 2:
            points += [(op.name, (x, y)) for x in EDGES for y in EDGES]
        else:
            points += [(op.name, (x,)) for x in EDGES]
        for _ in range(per_op):
            xs = tuple(rng.uniform(-3.0, 3.0) for _ in range(op.arity))
            if op.name == "**k":
                points.append((f"**{rng.choice(EXPONENTS[:8])!r}", xs))
            else:
                points.append((op.name, xs))
        for i, (name, xs) in enumerate(points):
            g = gs[i % len(gs)] if i % 3 else rng.uniform(-2.0, 2.0)
            out.append(_case(rng, name, xs, g, label_pair(i)[:op.arity]))
    names = []
    for n in NAMES:
        entry, k = lookup(n)
        names.append([n, entry and entry.name, None if k is None else repr(k)])
    return {"templates": ERROR_TEMPLATES, "names": names, "cases": out}


def case_file_text():
    """The case file, one case a line (readable diffs)."""
    c = cases()
    lines = [f'{{"templates": {json.dumps(c["templates"])},', f'"names": {json.dumps(c["names"])},',
             '"cases": [']
    lines += [json.dumps(x) + ("," if i < len(c["cases"]) - 1 else "") for i, x in enumerate(c["cases"])]
    return "\n".join(lines) + "\n]}\n"
