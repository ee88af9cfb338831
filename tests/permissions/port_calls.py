"""Which port methods each identity's code calls, from mypy's view of the code.

mypy runs once (no cache) with tests/permissions/port_calls_plugin.py, which notes every call
whose receiver is typed as a port of `shared.ports`. A call belongs to an identity when its file
is in that identity's code: the identity's own modules, and the modules of `shared` they import,
directly or not (an import anywhere in a module counts, lazy ones too). The adapters themselves
(`shared/adapters`) are the implementation, not callers.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = Path(__file__).with_name("port_calls_plugin.py")

# The code each deployed identity runs (README, "Least privilege").
IDENTITY_ROOTS: dict[str, list[str]] = {
    "ingress": ["ingress"],
    "workers": ["workers", "functions", "function_app.py"],
    "operator": ["cli/tenants.py", "cli/dlq.py", "cli/replay.py"],
    "console": ["console"],
}


@functools.cache
def port_calls() -> dict[str, frozenset[str]]:
    """File (relative) -> the port methods called in it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p for p in project["tool"]["mypy"]["packages"] if (ROOT / p).exists()]
    if (ROOT / "console").is_dir() and "console" not in packages:
        packages.append("console")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "mypy.ini"
        config.write_text(
            "[mypy]\npython_version = 3.11\n"
            f"plugins = pydantic.mypy, {PLUGIN}\n"
            "ignore_missing_imports = True\nfollow_imports = silent\nincremental = False\n"
            "check_untyped_defs = True\n"
        )
        out = Path(folder) / "calls.jsonl"
        out.touch()
        result = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", str(config), *packages],
            cwd=ROOT,
            env=os.environ | {"PORT_CALLS_OUT": str(out)},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert result.returncode in (0, 1), result.stderr[-2000:]
        calls: dict[str, set[str]] = {}
        for line in out.read_text().splitlines():
            entry = json.loads(line)
            calls.setdefault(entry["file"], set()).add(entry["method"])
    assert calls, "mypy recorded no port call: the plugin did not run"
    return {file: frozenset(methods) for file, methods in calls.items()}


def _module_files(name: str) -> list[Path]:
    module = ROOT.joinpath(*name.split("."))
    return [path for path in (module.with_suffix(".py"), module / "__init__.py") if path.exists()]


def _imports(path: Path) -> list[str]:
    package = path.relative_to(ROOT).parent.parts
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[: len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return names


def code_of(identity: str) -> set[str]:
    """The files (relative) an identity runs: its roots and the shared modules they reach."""
    pending: list[Path] = []
    for root in IDENTITY_ROOTS[identity]:
        path = ROOT / root
        pending += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            if name.split(".")[0] == "shared" and not name.startswith("shared.adapters"):
                pending += _module_files(name)
    return {str(path.relative_to(ROOT)) for path in seen}


def methods_of(identity: str) -> set[str]:
    """The port methods (`shared.ports.<module>.<Protocol>.<method>`) an identity's code calls."""
    calls = port_calls()
    return {method for file in code_of(identity) for method in calls.get(file, frozenset())}
