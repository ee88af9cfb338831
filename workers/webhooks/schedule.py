"""When to try a webhook again: the Standard Webhooks schedule, with jitter and `Retry-After`."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.settings import Settings

MAX_RETRY_AFTER_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class RetrySchedule:
    """`delays[i]` is the wait before attempt i (attempt 0 goes at once); then no more."""

    delays: Sequence[float]
    jitter: float = 0.1
    """Each wait is moved by up to this share of it, either way, so retries do not bunch."""
    uniform: Callable[[], float] = field(default=random.random)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetrySchedule:
        """The schedule the settings give (the Standard Webhooks one by default)."""
        return cls(tuple(settings.webhook_retry_schedule_seconds), settings.webhook_retry_jitter)

    def delay_after(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait after a failed `attempt` (0-based), or None if it was the last.

        An endpoint's `Retry-After` is honoured: the wait is never shorter (capped at a day).
        """
        following = attempt + 1
        if following >= len(self.delays):
            return None
        wait = self.delays[following] * (1 + self.jitter * (2 * self.uniform() - 1))
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER_SECONDS))
        return max(wait, 0.0)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A `Retry-After` header (seconds or an HTTP date) as seconds from `now`, or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
