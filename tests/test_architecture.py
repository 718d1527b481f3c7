"""The house's rules, read from the source with ``ast``: imports run one way (no circle between
modules, nothing imports from a higher room), no function over 100 lines, no module over 600.

Every import counts: at the top, inside functions, under ``TYPE_CHECKING``, relative or absolute.
"""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gradviz"

# The rooms, lowest first. A module may import from its own room and from any lower one, never from
# a higher one. A new room gets a line here (rooms not built yet are listed, so they can land
# without a change to this test). Keys are the first name below ``gradviz``.
RANK = {
    "ops": 0, "names": 0,            # the op table and node naming: import nothing from gradviz
    "scopes": 1, "closures": 1,      # the engine's parts: where a Value came from; custom ops' gradients
    "engine": 1,                     # Value
    "nn": 2,                         # Module, Neuron, Layer, MLP, losses
    "graph": 3,                      # Graph snapshot, trace, JSON, foreign Values
    "replay": 4,                     # Tape and its plans, batched
    "check": 5, "backprop": 5,       # gradient checks; backprop steps and chain-rule paths
    "comparison": 5,                 # the report of a cross-check with PyTorch or JAX
    "diagnose": 6,                   # health, first non-finite, diff
    "draw": 7,                       # grouping, layout, text, theme, SVG / Graphviz
    "widget": 8,                     # GraphWidget, its state, wire format, to_html, bundle
    "pytorch": 9, "jax": 9, "model_explorer": 9,  # bridges: beside the stack, may import all of it
    "playground": 10,                # trains and shows a network; may compare with torch
    "cases": 11,                     # writes the page's case files from ops, names, grouping
    "__init__": 12,                  # the public API (imports everything, lazily)
}

MAX_FUNCTION_LINES = 100
MAX_MODULE_LINES = 600


def _modules():
    """{dotted module name: path} of every module of the package (a package is its ``__init__``)."""
    out = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def _resolve(name, node):
    """The gradviz modules an ``import``/``from ... import`` names (a ``from pkg import sub`` names
    the submodule when ``sub`` is one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "gradviz"]
    if node.level:  # relative: from the module's package, one level up per extra dot
        base = name.split(".") if _is_package(name) else name.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target.split(".")[0] != "gradviz":
        return []
    out = []
    for a in node.names:
        sub = f"{target}.{a.name}"
        out.append(sub if sub in MODULES else target)
    return out


def imports():
    """{module: {(imported module, line)}}, every gradviz module each module imports, anywhere in it."""
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _resolve(name, node):
                    # a module is imported with its packages; the package's own __init__ is not an edge
                    if target != name and target in MODULES:
                        found.add((target, node.lineno))
        graph[name] = found
    return graph


def _room(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_room_is_ranked():
    unknown = sorted({_room(m) for m in MODULES} - set(RANK))
    assert not unknown, f"rooms with no rank in RANK (add a line saying where they sit): {unknown}"


def test_no_import_goes_up_a_room():
    bad = []
    for name, found in imports().items():
        for target, line in sorted(found):
            if _room(name) in RANK and _room(target) in RANK and RANK[_room(target)] > RANK[_room(name)]:
                bad.append(f"{name}:{line} imports {target} ({_room(name)}={RANK[_room(name)]} < "
                           f"{_room(target)}={RANK[_room(target)]})")
    assert not bad, "imports from a higher room:\n  " + "\n  ".join(bad)


def cycles(graph):
    """Every strongly connected set of more than one module (iterative Tarjan), each sorted."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    edges = {n: sorted({t for t, _ in ts}) for n, ts in graph.items()}
    for start in edges:
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter[0]; counter[0] += 1
                stack.append(v); on.add(v)
            kids = edges.get(v, [])
            if i < len(kids):
                work.append((v, i + 1))
                w = kids[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {("b", 1)}, "b": {("c", 1)}, "c": {("a", 1)}, "d": {("a", 1)}}) == [["a", "b", "c"]]
    assert cycles({"a": {("b", 1)}, "b": set()}) == []


def test_no_import_circles():
    graph = imports()
    found = cycles(graph)
    detail = []
    for comp in found:
        members = set(comp)
        detail.append(" <-> ".join(comp) + ": " + "; ".join(
            f"{m}:{line} imports {t}" for m in comp for t, line in sorted(graph[m]) if t in members))
    assert not found, "import circles:\n  " + "\n  ".join(detail)


def test_no_function_over_100_lines():
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name} ({n} lines, line {node.lineno})")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_module_over_600_lines():
    big = {}
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MAX_MODULE_LINES:
            big[name] = lines
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def test_the_rules_see_imports_inside_functions_and_type_checking():
    """The reader counts what a top-level-only reader would miss (the engine's old ops circle hid
    inside a function; graph <-> types under TYPE_CHECKING)."""
    graph = imports()
    capture = {t for t, _ in graph["gradviz.pytorch.capture"]}
    assert "gradviz.pytorch.gradflow" in capture  # imported under TYPE_CHECKING and inside a method
    assert {t for t, _ in graph["gradviz.draw.render"]} >= {"gradviz.graph.types", "gradviz.draw.layout"}
