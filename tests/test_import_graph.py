"""The layout holds: no import circle between files or between folders, and the core never
imports the console or the tools.

Built from the source (ast), counting imports inside functions too: a lazy import is still a
dependency, and a circle hidden in a function is still a circle. Imports under
``if TYPE_CHECKING:`` do not count (they never run).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "easymo_core", "easymo_tools")

KNOWN_FILE_CIRCLES: set[frozenset[str]] = set()
KNOWN_FOLDER_CIRCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                return True
    return False


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    own = _module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from pkg import mod` imports the module pkg.mod when there is one, else pkg
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                     for alias in node.names]
        else:
            continue
        if _type_checking_only(node, parents):
            continue
        for name in names:
            # the longest known module the name starts with
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != own:
                found.add(name)
    return found


@cache
def import_graph() -> dict[str, set[str]]:
    paths = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): imports_of(p, modules) for p in paths}


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def folder_graphs(graph: dict[str, set[str]], packages: set[str]) -> dict[str, dict[str, set[str]]]:
    """For each folder, the graph among its entries (sub-folders and files): an import from
    anywhere under entry A of anything under entry B is an edge A -> B."""
    result: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for source, targets in graph.items():
        for target in targets:
            a, b = source.split("."), target.split(".")
            common = 0
            while common < min(len(a), len(b)) and a[common] == b[common]:
                common += 1
            if common == len(a) or common == len(b):
                continue  # a package and a module inside it
            folder = ".".join(a[:common])
            src, dst = ".".join(a[: common + 1]), ".".join(b[: common + 1])
            if src in packages or dst in packages:  # files among themselves: the file-level check
                result[folder][src].add(dst)
    return result


def test_no_import_circle_between_files() -> None:
    found = [c for c in circles(import_graph()) if frozenset(c) not in KNOWN_FILE_CIRCLES]
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(sorted(c)) for c in found)


def test_no_import_circle_between_folders() -> None:
    graph = import_graph()
    packages = {m for m in graph if (ROOT / m.replace(".", "/")).is_dir()}
    found = []
    for folder, entries in folder_graphs(graph, packages).items():
        for circle in circles(entries):
            if any(entry in packages for entry in circle) and frozenset(circle) not in KNOWN_FOLDER_CIRCLES:
                found.append(f"in {folder or '.'}: " + " <-> ".join(sorted(circle)))
    assert not found, "folder import circles:\n" + "\n".join(found)


def test_the_core_imports_neither_the_console_nor_the_tools() -> None:
    bad = sorted(
        f"{source} imports {target}"
        for source, targets in import_graph().items() if source.startswith("easymo_core")
        for target in targets if target.split(".")[0] in ("app", "easymo_tools")
    )
    assert not bad, "\n".join(bad)


def test_the_checks_see_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert circles({"a": {"b"}, "b": set()}) == []
    folders = folder_graphs({"p.x.m": {"p.y.n"}, "p.y.n": {"p.x.k"}}, {"p", "p.x", "p.y"})
    assert circles(folders["p"]) == [{"p.x", "p.y"}]


def test_the_console_runs_no_sql() -> None:
    """Queries live in easymo_core (query objects Services builds); app/ only calls them."""
    graph_sources = [p for p in sorted((ROOT / "app").rglob("*.py"))]
    bad = []
    for path in graph_sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "sqlalchemy"]
    assert not bad, "\n".join(bad)
