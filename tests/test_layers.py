"""The package's shape, read from its source with ``ast``: no import cycle between its
modules, no import from a lower layer to a higher one, no module over 400 lines.

Every ``import`` statement counts, also one inside a function (a lazy import is still a
dependency), and ``from a3cmem_lib.x import name`` depends on the module ``a3cmem_lib.x.name``
when there is one, else on ``a3cmem_lib.x``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "a3cmem_lib"

LAYERS = {
    "a3cmem_lib": 0,
    "atomic": 0,
    "stop_signals": 0,
    "memory": 1,
    "agent": 2,
    "envs": 3,
    "training": 4,
    "experiments": 5,
    "teaching": 6,
    "exercises": 6,
    "cli": 6,
    "__main__": 7,
}
"""Layer of each top-level module or subpackage, lowest first: a module may import its own
layer and those below (training's backends, Ray's included, are part of training);
``exercises`` is the short import path of ``teaching.exercises``."""

MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str, source: str, *, is_package: bool = False) -> set[str]:
    """The ``a3cmem_lib`` modules that ``module`` (whose code is ``source``) imports."""
    package = module if is_package else module.rpartition(".")[0]
    targets = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets += [f"{base}.{alias.name}" for alias in node.names]
    found = set()
    for target in targets:
        while target and target not in MODULES:  # a name in a module: the module
            target = target.rpartition(".")[0]
        if target and target != module:
            found.add(target)
    return found


GRAPH = {
    module: _imports(module, path.read_text(), is_package=path.name == "__init__.py")
    for module, path in MODULES.items()
}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else parts[0]]


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_every_module_has_a_layer() -> None:
    top_level = {module.split(".")[1] for module in MODULES if "." in module}
    assert top_level - set(LAYERS) == set(), "add their layers to LAYERS"


def test_no_import_cycle_between_modules() -> None:
    assert _cycles(GRAPH) == []


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert upward == []


@pytest.mark.parametrize("path", sorted(MODULES.values()), ids=_module_name)
def test_no_module_is_over_400_lines(path: Path) -> None:
    name = path.relative_to(PACKAGE.parent).as_posix()
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by job"


def test_the_checker_sees_lazy_and_relative_imports_and_cycles() -> None:
    source = (
        "from .jobs import run_job\n"
        "from . import tables\n"
        "def later():\n"
        "    from a3cmem_lib.training import TrainConfig\n"
    )
    assert _imports("a3cmem_lib.experiments.runner", source) == {
        "a3cmem_lib.experiments.jobs",
        "a3cmem_lib.experiments.tables",
        "a3cmem_lib.training",
    }
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]
