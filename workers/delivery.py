"""What a runtime hands the pipeline: a delivered message, whichever bus delivered it."""

from __future__ import annotations

from typing import Protocol


class Delivery(Protocol):
    """A delivered message as the pipeline and its observers read it."""

    @property
    def body(self) -> bytes: ...

    @property
    def session_id(self) -> str: ...

    @property
    def message_id(self) -> str: ...

    @property
    def delivery_count(self) -> int: ...
