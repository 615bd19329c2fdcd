"""The import graph of ``src/torchslim``: no cycles (lazy in-function imports included), no private imports.

Read from the source with ``ast``, so an import inside a function counts as much as one at the top.
An edge ``a -> b`` is an ``import b`` / ``from b import x`` (or ``from a's package import b``) in
module ``a``; the implicit import of a parent package is not an edge (every module would otherwise
depend on ``torchslim/__init__``).
"""

from __future__ import annotations

import ast
import pathlib
from typing import Dict, Iterator, List, Set, Tuple

import pytest

import torchslim

SRC = pathlib.Path(torchslim.__file__).parent


def _modules() -> Dict[str, Tuple[pathlib.Path, bool]]:
    """Module name -> (file, is a package)."""
    modules = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        modules[".".join(parts[:-1] if package else parts)] = (path, package)
    return modules


MODULES = _modules()


def _imports(name: str) -> Iterator[Tuple[str, List[str], int]]:
    """``(imported module, names taken from it, line)`` for every import statement of module ``name``."""
    path, package = MODULES[name]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = name.split(".") if package else name.split(".")[:-1]
                here = here[:len(here) - node.level + 1]
                base = ".".join(here + ([base] if base else []))
            yield base, [alias.name for alias in node.names], node.lineno


def _edges(name: str) -> Set[str]:
    out = set()
    for base, names, _ in _imports(name):
        targets = [f"{base}.{n}" if f"{base}.{n}" in MODULES else base for n in names] or [base]
        out.update(t for t in targets if t in MODULES and t != name)
    return out


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_finds_a_cycle_and_lazy_imports():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "torchslim.train.run_dir" in _edges("torchslim.train.learning")  # imported inside train()
    assert "torchslim.io.atomic" in _edges("torchslim.train.run_config")
    assert "torchslim.checkpoint.errors" in _edges("torchslim.checkpoint.table")  # relative: from .errors import


def test_no_import_cycle_among_the_modules():
    graph = {name: _edges(name) for name in MODULES}
    cycles = _cycles(graph)
    details = ["  " + " / ".join(f"{m} -> {sorted(graph[m] & set(c))}" for m in c) for c in cycles]
    assert not cycles, "import cycles in src/torchslim:\n" + "\n".join(details)


# Private imports that the branches working on issue 13 items 1 and 3 (ops/, layers/, tf_layers/,
# variables.py) remove; delete this set once they are merged.
def _private_imports(name: str) -> List[str]:
    return [f"{MODULES[name][0].relative_to(SRC.parent)}:{line}: from {base} import {n}"
            for base, names, line in _imports(name) if base.startswith("torchslim") and base != name
            for n in names if n.startswith("_") and not n.startswith("__")]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_another_modules_private_names(name):
    found = _private_imports(name)
    assert not found, "private names imported across modules:\n" + "\n".join(found)
