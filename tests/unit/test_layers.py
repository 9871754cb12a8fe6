"""The packages stand in floors, one per role: each imports only from the floors below its own, and
no two modules import each other, directly or round a circle. Every import counts, those inside
functions and under `if TYPE_CHECKING` too: an import put off until run time still ties the modules."""

from __future__ import annotations

import ast
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from core.paths import PROJECT_ROOT

# Lowest floor first. A package imports only from the floors before its own; tests import anything.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("extractors",),
    ("sources",),
    ("content",),
    ("warehouse",),
    ("expectations",),
    ("mix",),
    ("nightly",),
    ("reports",),
    ("sandbox",),
    ("benchmarks", "dags"),
)
FLOOR = {package: floor for floor, packages in enumerate(LAYERS) for package in packages}


@dataclass(frozen=True)
class Import:
    """One import statement of a project module that names another project module."""

    importer: str
    imported: str
    path: Path
    line: int
    statement: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(PROJECT_ROOT)}:{self.line}: {self.statement}"


def package(module: str) -> str:
    return module.split(".")[0]


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for name in FLOOR for path in sorted((PROJECT_ROOT / name).rglob("*.py"))}


def imported_names(node: ast.Import | ast.ImportFrom, importer: str, path: Path, modules: dict[str, Path]) -> list[str]:
    """The dotted names an import statement loads: `from a import b` loads the module a.b if there is
    one, else takes b from a."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        here = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
        base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]


def project_module(name: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name lies in (its longest prefix that is one); None for a library."""
    parts = name.split(".")
    return next((".".join(parts[:end]) for end in range(len(parts), 0, -1) if ".".join(parts[:end]) in modules), None)


def project_imports() -> list[Import]:
    modules = project_modules()
    found = []
    for importer, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                targets = {project_module(name, modules) for name in imported_names(node, importer, path, modules)}
                found += [
                    Import(importer, imported, path, node.lineno, ast.unparse(node))
                    for imported in sorted(targets - {None, importer})
                ]
    return found


def circles(imports: Iterable[Import], node: Callable[[str], str]) -> list[list[Import]]:
    """Circles in the graph of `node(module)`: one shortest circle through each node that lies on
    one, each circle once, as the imports round it."""
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for i in imports:
        if node(i.importer) != node(i.imported):
            edges[node(i.importer)].setdefault(node(i.imported), i)
    found: dict[frozenset[Import], list[Import]] = {}
    for start in sorted(edges):
        reached_by: dict[str, Import] = {}
        queue = deque([start])
        while queue and start not in reached_by:
            for target, i in sorted(edges[queue.popleft()].items()):
                if target not in reached_by:
                    reached_by[target] = i
                    queue.append(target)
        if start in reached_by:
            circle = [reached_by[start]]
            while node(circle[0].importer) != start:
                circle.insert(0, reached_by[node(circle[0].importer)])
            found.setdefault(frozenset(circle), circle)
    return list(found.values())


def described(circle: list[Import], node: Callable[[str], str]) -> str:
    route = " -> ".join([node(circle[0].importer), *(node(i.imported) for i in circle)])
    return route + "".join(f"\n    {i}" for i in circle)


def test_every_package_stands_on_a_floor():
    packages = {path.parent.name for path in PROJECT_ROOT.glob("*/__init__.py")} | {"dags"}
    assert packages <= set(FLOOR), f"packages on no floor of LAYERS: {sorted(packages - set(FLOOR))}"


def test_no_package_imports_from_its_own_floor_or_above():
    upward = [
        i
        for i in project_imports()
        if package(i.importer) != package(i.imported) and FLOOR[package(i.imported)] >= FLOOR[package(i.importer)]
    ]
    order = " -> ".join("/".join(floor) for floor in LAYERS)
    assert not upward, f"imports against the layer order ({order}):\n" + "\n".join(
        f"  {i}  ({package(i.importer)} may not import {package(i.imported)})" for i in upward
    )


def test_no_circle_between_packages():
    found = circles(project_imports(), package)
    assert not found, "packages importing each other:\n" + "\n".join(described(c, package) for c in found)


def test_no_circle_between_modules():
    found = circles(project_imports(), str)
    assert not found, "modules importing each other, round a circle:\n" + "\n".join(described(c, str) for c in found)
