"""Identifiers the service generates: prefixed, random or derived from a command id."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    """A fresh random id such as `job_3f9c...` (96 bits, hex)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def derived_id(prefix: str, *parts: str) -> str:
    """A stable id for the effect of a command: the same command always names the same resource.

    Retries of a handler after a crash therefore create nothing twice.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{prefix}_{digest}"
