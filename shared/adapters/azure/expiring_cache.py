"""Values kept for a while, so a hot path does not ask a remote service each time."""

from __future__ import annotations

from collections.abc import Callable


class ExpiringCache:
    """Values by key, each forgotten `seconds` after it was put (on the given clock)."""

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._seconds = seconds
        self._clock = clock
        self._values: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        """The value put under `key`, unless there is none or it expired."""
        kept = self._values.get(key)
        if kept is not None and kept[1] > self._clock():
            return kept[0]
        return None

    def put(self, key: str, value: str) -> None:
        """Keep `value` under `key` from now on, for `seconds`."""
        self._values[key] = (value, self._clock() + self._seconds)

    def forget(self, key: str) -> None:
        """Drop what is kept under `key`, if anything."""
        self._values.pop(key, None)
