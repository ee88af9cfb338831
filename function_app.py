"""The Azure Functions entry point: the host indexes `app` (the triggers live in `functions/`)."""

from functions.app import app

__all__ = ["app"]
