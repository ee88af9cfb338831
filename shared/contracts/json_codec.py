"""The one JSON codec of both sides of the bus, and its limits.

The ingress decodes request bodies with it and the workers decode envelopes with it (so does
`tenantry dlq replay`, through the worker): whatever the ingress accepts, a worker can decode.
The profile is I-JSON (RFC 7493), which every store and client of ours reads the same way:

- UTF-8 only; no lone surrogates (`\\ud800` without its pair), in strings or in names;
- no duplicate names in an object (parsers disagree on which one wins);
- numbers: no `NaN` or `Infinity`, none that overflow a double (`1e999`), integers within
  +-(2**53 - 1) (what a double, so Cosmos DB and JavaScript, holds exactly);
- nesting at most `MAX_DEPTH` containers for a request body (an envelope adds
  `ENVELOPE_DEPTH` around it);
- at most `MAX_BYTES` bytes (the bus's message size).

Decoding is msgspec's (strict JSON, exact integers, refuses lone surrogates, overflow, NaN),
then one walk over the result for what it does not check.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import msgspec

MAX_DEPTH = 64
"""Containers a request body may nest (Cosmos DB allows 128)."""
ENVELOPE_DEPTH = 4
"""Levels an envelope adds around a body: the envelope, its `data`, the body's field."""
MAX_BYTES = 256 * 1024
"""A request body's size in bytes: a command must fit a bus message."""
MAX_SAFE_INTEGER = 2**53 - 1

_ESCAPED_COLON = re.compile(rb"\\u003[aA]")
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


@dataclass(frozen=True)
class JsonLimits:
    """How large and how deep a document may be."""

    max_bytes: int
    max_depth: int


BODY = JsonLimits(max_bytes=MAX_BYTES, max_depth=MAX_DEPTH)
"""A request body."""
ENVELOPE = JsonLimits(max_bytes=MAX_BYTES + 64 * 1024, max_depth=MAX_DEPTH + ENVELOPE_DEPTH)
"""An envelope on the bus: a body and what the ingress stamps around it."""


class JsonRefused(ValueError):
    """The document is not JSON we accept; `kind` says which rule it broke."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def decode(raw: bytes, limits: JsonLimits = BODY) -> Any:
    """The value `raw` holds, or `JsonRefused` naming the rule it breaks."""
    if len(raw) > limits.max_bytes:
        raise JsonRefused("json_too_large", f"The document is over {limits.max_bytes} bytes.")
    try:
        value = msgspec.json.decode(raw)
    except msgspec.ValidationError as exc:  # msgspec's word for a number out of range
        raise JsonRefused("json_number", f"A number is out of range: {exc}.") from exc
    except msgspec.DecodeError as exc:
        raise _malformed(raw, exc) from exc
    except RecursionError as exc:
        raise _too_deep(limits) from exc
    _check(value, raw, limits)
    return value


def encode(value: Any) -> bytes:
    """Compact JSON, keys in their order."""
    return msgspec.json.encode(value)


def _malformed(raw: bytes, exc: Exception) -> JsonRefused:
    if _LONE_SURROGATE.search(raw):
        return JsonRefused(
            "json_surrogate",
            "A string or name holds a lone surrogate (\\ud800 to \\udfff without its pair).",
        )
    return JsonRefused("json_invalid", f"The document is not valid JSON: {exc}.")


def _too_deep(limits: JsonLimits) -> JsonRefused:
    return JsonRefused(
        "json_too_deep", f"The document nests more than {limits.max_depth} objects or arrays."
    )


def _check(value: Any, raw: bytes, limits: JsonLimits) -> None:
    """Depth and integers; then duplicate names, by counting: every `:` outside a string
    separates one member, so fewer members than such colons means some were merged."""
    members = 0
    colons_in_strings = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is dict:
            if depth >= limits.max_depth:
                raise _too_deep(limits)
            members += len(node)
            for key, item in node.items():
                colons_in_strings += key.count(":")
                stack.append((item, depth + 1))
        elif kind is list:
            if depth >= limits.max_depth:
                raise _too_deep(limits)
            stack.extend((item, depth + 1) for item in node)
        elif kind is str:
            colons_in_strings += node.count(":")
        elif kind is int and not -MAX_SAFE_INTEGER <= node <= MAX_SAFE_INTEGER:
            raise JsonRefused(
                "json_number",
                f"An integer is beyond +-{MAX_SAFE_INTEGER} (2**53 - 1); send it as a string.",
            )
    if _ESCAPED_COLON.search(raw):  # a `:` written as an escape: count exactly instead
        json.loads(raw, object_pairs_hook=_refuse_duplicates)
    elif raw.count(b":") - colons_in_strings != members:
        raise _duplicate()


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    merged = dict(pairs)
    if len(merged) != len(pairs):
        raise _duplicate()
    return merged


def _duplicate() -> JsonRefused:
    return JsonRefused("json_duplicate_key", "An object names the same member twice.")
