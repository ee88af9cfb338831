"""The entry point of every child process `ProcessGroup` starts: `python -m shared.spawned NAME`.

It makes the child end with its parent before anything else is imported, so no start-up window
exists in which a parent killed outright would leave a child behind:
- on Linux, the kernel's parent-death signal (`prctl(PR_SET_PDEATHSIG, SIGKILL)`), which fires
  even while the child is busy or stuck in a system call;
- everywhere, its standard input: the parent writes the pickled call on it and keeps it open for
  ever, so end-of-file means the parent is gone, and a daemon thread watching for it ends the
  child at once;
- a parent already gone when the child starts (its process id is no longer the parent's).

SIGINT is ignored (Ctrl-C reaches the whole foreground group; the parent decides how its
children stop, with SIGTERM). A child that dies with its parent loses nothing: a worker's
unsettled messages come back when their session locks expire, and an ingress request that got
no answer was never acknowledged.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import pickle
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
PARENT_GONE_EXIT_CODE = 70


def _kernel_kills_me_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _exit_at_end_of_input() -> None:
    while os.read(0, 4096):
        continue
    os._exit(PARENT_GONE_EXIT_CODE)


def main(parent: int) -> None:
    """Tie this process to `parent`, then read the call `(target, args)` and run it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _kernel_kills_me_with_parent()
    if os.getppid() != parent:
        os._exit(PARENT_GONE_EXIT_CODE)
    size = int.from_bytes(_read_exactly(8), "big")
    target, args = pickle.loads(_read_exactly(size))  # noqa: S301 - written by our own parent
    threading.Thread(target=_exit_at_end_of_input, name="parent-watch", daemon=True).start()
    target(*args)


def _read_exactly(count: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < count:
        chunk = os.read(0, count - len(chunks))
        if not chunk:
            os._exit(PARENT_GONE_EXIT_CODE)
        chunks += chunk
    return bytes(chunks)


if __name__ == "__main__":
    main(int(sys.argv[2]))
