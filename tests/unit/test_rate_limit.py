"""The shared rate limiter: the bucket's arithmetic, and exactness across processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.rate_limit import SharedRateLimiter, decide


@given(
    rate=st.floats(min_value=0.5, max_value=1000),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=200),
)
@settings(max_examples=300, deadline=None)
def test_no_window_grants_more_than_the_burst_plus_what_the_rate_refilled(
    rate: float, burst: int, gaps: list[float]
) -> None:
    tat, now, granted = 0.0, 1000.0, []
    for gap in gaps:
        now += gap
        decision, tat = decide(tat, now, rate, burst)
        assert decision.limit == burst
        assert 0 <= decision.remaining < burst
        if decision.allowed:
            granted.append(now)
        else:
            assert decision.retry_after_seconds > 0
            # waiting as long as it says is enough: the next request then goes through
            probe, _ = decide(tat, now + decision.retry_after_seconds + 1e-6, rate, burst)
            assert probe.allowed
    for i, start in enumerate(granted):
        for j in range(i, len(granted)):
            window = granted[j] - start
            assert j - i + 1 <= burst + rate * window + 1e-6


def test_a_full_bucket_grants_exactly_the_burst_at_one_instant() -> None:
    tat, grants = 0.0, 0
    for _ in range(30):
        decision, tat = decide(tat, 50.0, 2.0, 10)
        grants += decision.allowed
    assert grants == 10
    refused, _ = decide(tat, 50.0, 2.0, 10)
    assert not refused.allowed
    assert refused.headers()["Retry-After"] == "1"  # one request back after 0.5 s, rounded up
    assert refused.headers()["RateLimit-Remaining"] == "0"
    assert refused.headers()["RateLimit-Reset"] == "5"  # ten requests at two per second


def _hammer(directory: str, attempts: int, go: Any, results: multiprocessing.Queue[int]) -> None:
    limiter = SharedRateLimiter(Path(directory))
    go.wait(30)  # all start together, so they contend for the bucket
    granted = sum(limiter.take("contoso", 0.001, 1000).allowed for _ in range(attempts))
    limiter.close()
    results.put(granted)


def test_processes_sharing_the_directory_grant_the_burst_exactly_between_them(
    tmp_path: Path,
) -> None:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[int] = context.Queue()
    go = context.Event()
    workers = [
        context.Process(target=_hammer, args=(str(tmp_path), 1500, go, results)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    go.set()
    granted = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert sum(granted) == 1000  # 6000 attempts on one bucket of 1000 (no refill to speak of)


def test_tenants_have_buckets_of_their_own(tmp_path: Path) -> None:
    limiter = SharedRateLimiter(tmp_path, clock=lambda: 10.0)
    try:
        assert [limiter.take("contoso", 1, 2).allowed for _ in range(3)] == [True, True, False]
        assert limiter.take("fabrikam", 1, 2).allowed
    finally:
        limiter.close()
