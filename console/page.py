"""The page and its assets, served from the package (nothing from a CDN)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter()

_TYPES = {
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
}


def _asset(name: str) -> bytes:
    return files("console").joinpath("static", name).read_bytes()


@router.get("/", include_in_schema=False)
async def index() -> Response:
    """The page: a sign-in form, then the tenants, dead letters and audit log."""
    return Response(_asset("index.html"), media_type="text/html; charset=utf-8")


@router.get("/static/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    """The page's script and style sheet (only those)."""
    if name not in _TYPES:
        return Response(status_code=404)
    return Response(_asset(name), media_type=_TYPES[name])


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """No icon (browsers ask anyway)."""
    return Response(status_code=204)
