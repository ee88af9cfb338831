"""Dependencies shared by the resource routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from ingress.submit import Submitter

ResourceId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$")]


async def get_submitter(request: Request) -> Submitter:
    """The app's command submitter."""
    submitter: Submitter = request.app.state.submitter
    return submitter


SubmitterDep = Annotated[Submitter, Depends(get_submitter)]
