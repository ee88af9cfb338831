"""Serving the ingress with uvicorn: one server per process, several processes on one socket.

`IngressServer` differs from `uvicorn.Server` in one way that matters to a supervisor: after a
graceful shutdown it returns instead of re-raising the signal it caught, so the code after it
(stopping the other processes of a deployment) runs on SIGTERM as it does on SIGINT. A hook
tells the supervisor the moment a stop is asked for, so every process drains at once.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

import uvicorn

from ingress.connections import guarded
from shared.logs import configure_logging
from shared.settings import Settings


class IngressServer(uvicorn.Server):
    """A uvicorn server that stops gracefully on SIGTERM (and SIGINT if `interrupt`) and returns."""

    def __init__(
        self,
        config: uvicorn.Config,
        *,
        interrupt: bool = True,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config)
        self._interrupt = interrupt
        self._on_stop = on_stop

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Handle the stop signals while serving; unlike uvicorn's, never re-raise them after."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        wanted: dict[signal.Signals, Callable[[int, FrameType | None], None] | signal.Handlers]
        wanted = {signal.SIGTERM: self.handle_exit}
        wanted[signal.SIGINT] = self.handle_exit if self._interrupt else signal.SIG_IGN
        originals = {sig: signal.signal(sig, handler) for sig, handler in wanted.items()}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Begin the graceful shutdown (a second SIGINT forces it) and tell the supervisor."""
        super().handle_exit(sig, frame)
        if self._on_stop is not None:
            self._on_stop()


def ingress_config(
    settings: Settings,
    app: object,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    behind_proxy: bool = False,
) -> uvicorn.Config:
    """The uvicorn settings every ingress process runs with; `behind_proxy`: the client's
    address and scheme come from its peer's `X-Forwarded-For` and `-Proto` (a platform's
    front end, such as Container Apps', is the only peer)."""
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        proxy_headers=behind_proxy,
        forwarded_allow_ips="*" if behind_proxy else None,
        server_header=False,
        timeout_graceful_shutdown=max(int(settings.shutdown_grace_seconds), 1),
        http=guarded(settings.http_header_timeout_seconds),
        timeout_keep_alive=settings.http_keep_alive_seconds,  # type: ignore[arg-type]
    )


def serve_on(settings: Settings, listener_fd: int) -> None:
    """The entry point of an extra ingress process of `tenantry up`, on the parent's socket.

    Started through `shared.spawned`, it ends with its parent however the parent ends, ignores
    SIGINT (the parent decides when the deployment stops) and drains its requests on SIGTERM.
    """
    listener = socket.socket(fileno=listener_fd)
    configure_logging(json_lines=settings.log_format == "json", level=settings.log_level)
    from ingress.app import create_app

    server = IngressServer(ingress_config(settings, create_app(settings)), interrupt=False)
    server.run(sockets=[listener])
