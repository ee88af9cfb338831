"""The Bicep files as syntax trees, from `pycep-parser` (the parser checkov uses).

pycep lives in checkov's own virtual environment (`.tools/checkov`, made by scripts/bootstrap),
so the trees are produced there, all files in one process, and read back as JSON. A file that
does not parse fails the test that asked for it, with the parser's message.

In the trees, names and string literals are both plain strings (pycep does not tell them apart);
`resolve` treats a string as a name when the file declares a parameter or variable of that name.
"""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
CHECKOV_PYTHON = ROOT / ".tools" / "checkov" / "bin" / "python"

_PARSE_ALL = """
import json, pathlib, sys
from pycep import BicepParser
out = {}
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.bicep")):
    try:
        out[str(path.relative_to(sys.argv[1]))] = {"tree": BicepParser().parse(file_path=path)}
    except Exception as error:
        out[str(path.relative_to(sys.argv[1]))] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(out, default=str))
"""


@functools.cache
def _all_trees() -> dict[str, dict[str, Any]]:
    assert CHECKOV_PYTHON.exists(), "checkov's venv is missing (scripts/bootstrap makes .tools/)"
    result = subprocess.run(
        [str(CHECKOV_PYTHON), "-c", _PARSE_ALL, str(INFRA)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    parsed: dict[str, dict[str, Any]] = json.loads(result.stdout)
    return parsed


def bicep_files() -> list[str]:
    """Every Bicep file under infra/, relative to it."""
    return sorted(_all_trees())


def tree(relative: str) -> dict[str, Any]:
    """The syntax tree of `infra/<relative>`; fails with the parser message if it does not parse."""
    entry = _all_trees()[relative]
    assert "tree" in entry, f"{relative} does not parse: {entry.get('error')}"
    found: dict[str, Any] = entry["tree"]
    return found


def declared(file_tree: dict[str, Any]) -> set[str]:
    """The parameter and variable names a file declares."""
    return set(file_tree.get("parameters", {})) | set(file_tree.get("variables", {}))


def config(node: dict[str, Any]) -> dict[str, Any]:
    """A resource's or module's body, looking through `if (...)` and `for` wrappers."""
    body: dict[str, Any] = node["config"]
    while (
        isinstance(body, dict) and "config" in body and ("condition" in body or "loop_type" in body)
    ):
        body = body["config"]
    return body


def condition(node: dict[str, Any]) -> Any:
    """The `if (...)` condition of a resource or module, or None."""
    body = node["config"]
    return body.get("condition") if isinstance(body, dict) else None


def function(expression: Any, name: str) -> dict[str, Any] | None:
    """The parameters of a call to `name` if `expression` is one."""
    if isinstance(expression, dict) and "function" in expression:
        call = expression["function"]
        if call.get("type") == name:
            parameters: dict[str, Any] = call.get("parameters", {})
            return parameters
    return None
