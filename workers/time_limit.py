"""The time limit of a handler call, as pipeline middleware."""

from __future__ import annotations

import asyncio

from workers.context import Outcome
from workers.middleware import Attempt, HandlerCall, Middleware


class TimeLimit(Middleware):
    """Cancel a handler call that runs past `seconds` (`TimeoutError`: the message goes back)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def around_handler(self, attempt: Attempt, call: HandlerCall) -> Outcome:
        return await asyncio.wait_for(call(), self.seconds)
