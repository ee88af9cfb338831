"""What the operations (`_operations.py`) build their requests from: escaped path segments,
commands with an `Idempotency-Key`, GETs and JSON bodies without the values left unset."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from azure.core.rest import HttpRequest

VERSION = "0.1.0"


def segment(value: str) -> str:
    """One path segment, escaped."""
    return quote(value, safe="")


def command(
    method: str, path: str, *, idempotency_key: str | None = None, **body: Any
) -> HttpRequest:
    """A command (answered 202 with its job); an `Idempotency-Key` makes retries safe."""
    headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
    return HttpRequest(method, path, headers=headers, **body)


def read(path: str, params: dict[str, Any] | None = None) -> HttpRequest:
    """A GET, `None` parameters left out."""
    kept = {k: v for k, v in (params or {}).items() if v is not None}
    return HttpRequest("GET", path, params=kept)


def without_none(**fields: Any) -> dict[str, Any]:
    """A JSON body without the fields left unset."""
    return {k: v for k, v in fields.items() if v is not None}
