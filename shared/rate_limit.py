"""A rate limiter whose state every process on the machine shares: exact across processes.

One small file per tenant holds the tenant's theoretical arrival time (GCRA, the token bucket
counted in time). A request takes an exclusive `lockf` lock on the file, reads eight bytes,
decides, writes eight bytes and lets go: no fsync, no server, microseconds. Several ingress
processes on one machine (`tenantry up --ingress-processes N`) thus grant exactly the tenant's
burst and rate between them. On Azure each ingress instance keeps its own files, a second line
behind API Management's `rate-limit-by-key` on the tenant claim.
"""

from __future__ import annotations

import fcntl
import math
import os
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_TAT = struct.Struct("<d")
_EPSILON = 1e-9


@dataclass(frozen=True)
class Decision:
    """Whether a request may go on, and what the `RateLimit-*` headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float
    """Until the bucket is full again."""
    retry_after_seconds: float
    """Until the next request would be allowed (0 when this one was)."""

    def headers(self) -> dict[str, str]:
        """`RateLimit-Limit`, `-Remaining`, `-Reset`, and `Retry-After` when refused."""
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_seconds - _EPSILON)),
        }
        if not self.allowed:
            values["Retry-After"] = str(max(1, math.ceil(self.retry_after_seconds - _EPSILON)))
        return values


def decide(tat: float, now: float, rate: float, burst: int) -> tuple[Decision, float]:
    """One request against a bucket of `burst` refilled at `rate` per second; the new TAT.

    `tat` is when the bucket would be full again if no one took from it any more.
    """
    interval = 1.0 / rate
    tolerance = burst * interval
    start = max(tat, now)
    after = start + interval
    if after - now > tolerance + _EPSILON:
        wait = after - tolerance - now
        remaining = 0
        return Decision(False, burst, remaining, start - now, wait), tat
    remaining = math.floor((tolerance - (after - now)) / interval + _EPSILON)
    return Decision(True, burst, remaining, after - now, 0.0), after


class SharedRateLimiter:
    """Per-tenant buckets in files under `directory`, shared by every process that opens it."""

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self._directory = directory
        self._clock = clock
        self._files: dict[str, int] = {}
        self._guard = threading.Lock()

    def _file(self, tenant_id: str) -> int:
        fd = self._files.get(tenant_id)
        if fd is None:
            self._directory.mkdir(parents=True, exist_ok=True)
            # tenant ids are `[A-Za-z0-9][A-Za-z0-9_.-]*` (shared.tenancy): a plain file name
            path = self._directory / f"{tenant_id}.bucket"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self._files[tenant_id] = fd
        return fd

    def take(self, tenant_id: str, rate: float, burst: int) -> Decision:
        """Take one request from the tenant's bucket, or say how long until one is there."""
        with self._guard:  # a record lock excludes other processes, not this one's threads
            fd = self._file(tenant_id)
            return self._take(fd, rate, burst)

    def _take(self, fd: int, rate: float, burst: int) -> Decision:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        try:
            raw = os.pread(fd, _TAT.size, 0)
            tat = _TAT.unpack(raw)[0] if len(raw) == _TAT.size else 0.0
            decision, after = decide(tat, self._clock(), rate, burst)
            if after != tat:
                os.pwrite(fd, _TAT.pack(after), 0)
            return decision
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the files."""
        with self._guard:
            for fd in self._files.values():
                os.close(fd)
            self._files.clear()
