"""Things a `with` block starts on entry and stops on exit, however the block ends."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self


class Lifetime(ABC):
    """Something with a `start()` and a `stop()`; as a context manager, it runs for the block."""

    @abstractmethod
    def start(self) -> Self:
        """Start it; return it, ready to use."""

    @abstractmethod
    def stop(self) -> None:
        """Stop it and release what it holds."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
