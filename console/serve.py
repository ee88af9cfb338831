"""Run the console with uvicorn (`tenantry console`)."""

from __future__ import annotations

import uvicorn

from console.app import create_console_app
from shared.settings import Settings


def serve_console(settings: Settings, *, host: str, port: int) -> None:
    """Serve the console until interrupted; requests are logged without their headers."""
    uvicorn.run(create_console_app(settings), host=host, port=port, log_level="info")
