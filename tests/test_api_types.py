"""The public API's signatures carry type hints, and type checkers see the lazily loaded names."""
from __future__ import annotations

import ast
import inspect
import pathlib

import pytest

import gradviz

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _public_callables():
    """(name, function) for every function of gradviz.__all__, and every public method (and
    __init__) that a class of gradviz.__all__ defines itself."""
    for name in gradviz.__all__:
        obj = getattr(gradviz, name)
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                fn = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
                if inspect.isfunction(fn):
                    yield f"{name}.{attr}", fn


@pytest.mark.parametrize("name, fn", list(_public_callables()), ids=lambda x: x if isinstance(x, str) else "")
def test_public_signatures_are_annotated(name, fn):
    sig = inspect.signature(fn)
    bare = [p.name for p in sig.parameters.values()
            if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    assert not bare, f"{name}: parameters without a type hint: {bare}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return type hint"


def test_type_checkers_see_every_lazily_loaded_name():
    """gradviz/__init__.py imports under TYPE_CHECKING exactly what __getattr__ loads, each from
    the module _LAZY names."""
    tree = ast.parse((ROOT / "gradviz" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    seen = {a.name: imp.module for imp in block.body if isinstance(imp, ast.ImportFrom) for a in imp.names}
    assert seen == dict(gradviz._LAZY)
