"""The code's shape: no import cycles, and no tenant route reaching an unscoped adapter."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "ingress", "workers", "functions", "cli", "console")
TENANT_DATA_PORTS = frozenset({"store", "blobs", "search", "engine", "secrets", "embedder"})
"""The `Services` fields that reach every tenant's data: a tenant route gets them scoped."""


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _top_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module loads, those under `if TYPE_CHECKING:` included."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If | ast.Try):
            pending.extend(node.body)
            pending.extend(node.orelse)
            if isinstance(node, ast.Try):
                for handler in node.handlers:
                    pending.extend(handler.body)


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _top_level_imports(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_of_the_package_imports_itself_through_others() -> None:
    assert _cycles(_import_graph()) == []


def _route_functions() -> Iterator[tuple[str, ast.AsyncFunctionDef | ast.FunctionDef]]:
    for path in sorted((ROOT / "ingress" / "routers").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                yield f"{path.name}:{node.name}", node


def _unscoped_reaches(function: ast.AsyncFunctionDef | ast.FunctionDef) -> list[str]:
    reached = []
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute):
            binds = node.attr in ("for_tenant", "scope") and ast.unparse(node.value) != "caller"
            unscoped = node.attr in TENANT_DATA_PORTS and ast.unparse(node.value).endswith(
                "services"
            )
            if binds or unscoped:
                reached.append(ast.unparse(node))
    return reached


TENANT_ROUTES = [
    (name, fn)
    for name, fn in _route_functions()
    if any(arg.arg == "caller" for arg in [*fn.args.args, *fn.args.kwonlyargs])
]


def test_the_check_sees_an_unscoped_reach() -> None:
    source = (
        "async def f(caller, services):\n    return services.search.for_tenant(caller.tenant_id)"
    )
    function = ast.parse(source).body[0]
    assert isinstance(function, ast.AsyncFunctionDef)
    assert _unscoped_reaches(function) == [
        "services.search.for_tenant",
        "services.search",
    ]


@pytest.mark.parametrize(("name", "function"), TENANT_ROUTES, ids=[n for n, _ in TENANT_ROUTES])
def test_a_tenant_route_reaches_tenant_data_only_through_the_callers_scope(
    name: str, function: ast.AsyncFunctionDef | ast.FunctionDef
) -> None:
    assert _unscoped_reaches(function) == []
