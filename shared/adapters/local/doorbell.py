"""Wake-ups across processes on one machine: a process rings, the listeners wake at once.

The embedded adapters use it instead of polling with back-off: the bus rings a queue's bell
when it commits a message or lets a session go (workers waiting to accept a session wake), and
the store rings when a job document changes (an ingress waiting on `Prefer: wait` wakes).

Each listening process binds one UNIX datagram socket named after the bell in a short directory
derived from the data directory (socket paths are limited to about 100 bytes). A ring sends one
datagram, carrying a short key, to every socket in that directory with the bell's name; a
listener whose buffer is full has been rung already, and a socket whose process is gone is
removed. A ring is a hint, never the only path: waiters still re-check after a timeout, so a lost
ring costs latency, never correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

PEERS_FRESH_SECONDS = 0.5
MAX_KEY_BYTES = 512


def bells_directory(data_path: Path) -> Path:
    """The directory of the bells of the data kept at `data_path` (short, in the temp dir)."""
    digest = hashlib.sha256(str(data_path.resolve()).encode()).hexdigest()[:16]
    directory = Path(tempfile.gettempdir()) / f"tenantry-bells-{digest}"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


class Doorbell:
    """One named bell: `ring(key)` from any process, `listen(on_ring)` in the ones that wait."""

    def __init__(self, directory: Path, name: str) -> None:
        self._directory = directory
        self._prefix = f"{name}."
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)
        self._peers: list[str] = []
        self._peers_read_at = float("-inf")
        self._listed_at = -1
        self._listener: socket.socket | None = None
        self._own_path: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current_peers(self) -> list[str]:
        """The listeners' sockets: listed again when the directory changes (a stat per ring),
        and at least every `PEERS_FRESH_SECONDS` in case two changes fell in one clock tick."""
        now = time.monotonic()
        try:
            changed_at = os.stat(self._directory).st_mtime_ns
        except OSError:
            return self._peers
        if changed_at != self._listed_at or now - self._peers_read_at > PEERS_FRESH_SECONDS:
            with contextlib.suppress(OSError):
                self._peers = [
                    str(self._directory / entry)
                    for entry in os.listdir(self._directory)
                    if entry.startswith(self._prefix)
                ]
            self._peers_read_at, self._listed_at = now, changed_at
        return self._peers

    def ring(self, key: str = "") -> None:
        """Wake every listener of this bell with `key` (never blocks, never raises)."""
        payload = key.encode()[:MAX_KEY_BYTES]
        for peer in self._current_peers():
            if peer == self._own_path:
                continue
            try:
                self._sender.sendto(payload, peer)
            except (BlockingIOError, InterruptedError):
                continue  # its buffer is full: it has plenty of rings to wake up to
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    os.unlink(peer)  # its process is gone
                self._peers_read_at = float("-inf")
            except OSError:
                continue

    def listen(self, on_ring: Callable[[str], None]) -> None:
        """Call `on_ring(key)` on the running loop for every ring of another process."""
        loop = asyncio.get_running_loop()
        if self._listener is not None:
            if self._loop is loop:
                return
            self._stop_listening()  # the loop it listened on is gone (a new `asyncio.run`)
        path = str(self._directory / f"{self._prefix}{os.getpid()}-{uuid.uuid4().hex[:8]}")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.setblocking(False)
        listener.bind(path)
        self._listener, self._own_path = listener, path
        self._peers_read_at = float("-inf")
        self._loop = loop

        def drain() -> None:
            while True:
                try:
                    data = listener.recv(MAX_KEY_BYTES)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    return
                on_ring(data.decode(errors="replace"))

        self._loop.add_reader(listener.fileno(), drain)

    def close(self) -> None:
        """Stop listening and remove this process's socket."""
        self._stop_listening()
        self._sender.close()

    def _stop_listening(self) -> None:
        if self._listener is not None:
            if self._loop is not None and not self._loop.is_closed():
                with contextlib.suppress(Exception):
                    self._loop.remove_reader(self._listener.fileno())
            self._listener.close()
            self._listener = None
        if self._own_path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._own_path)
            self._own_path = None
