"""Reading the few facts the agreement tests need out of the Bicep files' text.

No Bicep compiler installs from the registries this project can reach, so the tests read the
literal blocks they check (object keys, `name: value` properties, array parameters) directly.
Each reader fails loudly when the block it looks for is gone, rather than finding nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

INFRA = Path(__file__).resolve().parents[2] / "infra"


def text(relative: str) -> str:
    """The text of a file under `infra/`."""
    return (INFRA / relative).read_text(encoding="utf-8")


def block(source: str, opening: str) -> str:
    """The `{ ... }` block that starts at the first line containing `opening`."""
    start = source.index(opening)
    brace = source.index("{", start)
    depth = 0
    for index in range(brace, len(source)):
        depth += {"{": 1, "}": -1}.get(source[index], 0)
        if depth == 0:
            return source[brace + 1 : index]
    raise ValueError(f"unbalanced block after {opening!r}")


def keys(object_block: str) -> set[str]:
    """The top-level keys of an object literal's body."""
    found: set[str] = set()
    depth = 0
    for line in object_block.splitlines():
        match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:", line)
        if match and depth == 0:
            found.add(match.group(1))
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    if not found:
        raise ValueError("no keys found: the block changed shape")
    return found


def property_value(object_block: str, name: str) -> str:
    """The literal value of `name: value` in a block (quotes removed)."""
    match = re.search(rf"^\s*{re.escape(name)}\s*:\s*(.+?)\s*$", object_block, re.MULTILINE)
    if match is None:
        raise KeyError(name)
    return match.group(1).strip("'")


def string_array_param(source: str, name: str) -> list[str]:
    """The default of `param name array = ['a', 'b']`."""
    match = re.search(rf"param {re.escape(name)} array = \[([^\]]*)\]", source)
    if match is None:
        raise KeyError(name)
    return re.findall(r"'([^']*)'", match.group(1))
