"""The JSON codec against the standard library, on the bodies the ingress decodes.

For each body (a small item, a nested item, a batch of search documents near 200 KB) it times
decoding with `shared.contracts.json_codec.decode` (msgspec and the limit checks), with plain
`json.loads`, and with `json.loads` made to check the same rules (duplicate names by
`object_pairs_hook`, `NaN`/`Infinity` by `parse_constant`, overflow by `parse_float`, then a walk
for depth, integers and surrogates), and encoding with `json_codec.encode` and `json.dumps`.
Figures are ratios against plain `json.loads` / `json.dumps` in the same run (lower is faster):

    .venv/bin/python -m bench.json_codec --seconds 1
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from typing import Any

from shared.contracts import json_codec
from shared.contracts.json_codec import BODY, MAX_SAFE_INTEGER


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    merged = dict(pairs)
    if len(merged) != len(pairs):
        raise ValueError("duplicate name")
    return merged


def _constant(name: str) -> Any:
    raise ValueError(name)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("overflow")
    return value


def stdlib_checked(raw: bytes) -> Any:
    """The same rules with the standard library: what the codec would cost without msgspec."""
    if len(raw) > BODY.max_bytes:
        raise ValueError("too large")
    value = json.loads(raw, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= BODY.max_depth:
                raise ValueError("too deep")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str):
                    key.encode()
                stack.append((child, depth + 1))
        elif isinstance(node, str):
            node.encode()
        elif type(node) is int and abs(node) > MAX_SAFE_INTEGER:
            raise ValueError("integer")
    return value


def bodies() -> dict[str, bytes]:
    small = {"title": "note", "n": 1, "tags": ["a", "b"], "done": False}
    nested: dict[str, Any] = {"leaf": 1.5}
    for level in range(40):
        nested = {"level": level, "child": nested, "list": [level, str(level)]}
    documents = [
        {"id": f"doc-{n}", "content": "lorem ipsum dolor sit amet " * 6, "rank": n, "x": 0.5}
        for n in range(1100)
    ]
    return {
        "small item": json.dumps(small).encode(),
        "nested item (40 levels)": json.dumps(nested).encode(),
        "search batch": json.dumps(documents).encode(),
    }


def rate(work: Callable[[], Any], seconds: float) -> float:
    """Calls per second of `work`, over about `seconds`."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(20):
            work()
        count += 20
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description="JSON codec vs the standard library")
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    seconds = parser.parse_args().seconds
    for name, raw in bodies().items():
        value = json.loads(raw)
        reference = rate(lambda raw=raw: json.loads(raw), seconds)
        codec = rate(lambda raw=raw: json_codec.decode(raw), seconds)
        checked = rate(lambda raw=raw: stdlib_checked(raw), seconds)
        dumps = rate(lambda value=value: json.dumps(value).encode(), seconds)
        encode = rate(lambda value=value: json_codec.encode(value), seconds)
        print(
            f"{name} ({len(raw):,} bytes): time per decode vs json.loads: "
            f"codec {reference / codec:.2f}, stdlib with the same checks "
            f"{reference / checked:.2f}; time per encode vs json.dumps: codec {dumps / encode:.2f}"
        )


if __name__ == "__main__":
    main()
