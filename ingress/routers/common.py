"""Dependencies shared by the resource routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

ResourceId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$")]
