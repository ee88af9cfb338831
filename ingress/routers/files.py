"""`/files`: uploads staged in the tenant's blob area (claim check), their records and bytes.

`POST /files` streams the `file` part of a multipart body straight into the caller's blob area
under a generated id, then enqueues `file.create` carrying only that id, the size and SHA-256;
the client's file name is kept as sanitised metadata, never used as a path.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, cast, get_args
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ingress.deps import Caller, CallerDep, ServicesDep
from ingress.json_body import JsonRoute
from ingress.multipart import MalformedMultipart, MultipartReader
from ingress.pagination import PageDep
from ingress.problems import Problem
from ingress.read_models import one_or_404, page_of
from ingress.responses import PROBLEMS, binary, ok, ok_list
from ingress.routers.common import ResourceId, command_route
from shared.contracts.commands import FileCreate, FileDelete, FilePurpose
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import FILES, File, present
from shared.file_kinds import SUPPORTED, kind_of
from shared.filenames import ascii_filename, safe_filename
from shared.ids import new_id
from shared.ports.blobs import BlobInfo, BlobTooLarge, TenantBlobs
from shared.ports.store import Document

router = APIRouter(prefix="/files", tags=["files"], responses=PROBLEMS, route_class=JsonRoute)

MULTIPART_OVERHEAD_BYTES = 64 * 1024
"""What a multipart body may add to its file (boundaries, headers, the `purpose` field)."""
PURPOSES = frozenset(get_args(FilePurpose))
_CONTENT_TYPE = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}$"
)


async def get_blobs(caller: CallerDep) -> TenantBlobs:
    """The caller's blob area (bound to the verified tenant)."""
    return caller.scope.blobs


BlobsDep = Annotated[TenantBlobs, Depends(get_blobs)]


def _content_type(declared: str) -> str:
    value = declared.split(";", 1)[0].strip().lower()
    return value if _CONTENT_TYPE.match(value) else "application/octet-stream"


async def _stage(
    request: Request, blobs: TenantBlobs, file_id: str, max_bytes: int
) -> tuple[BlobInfo, str, str]:
    """Stream the body's `file` part into the blob area; (what was stored, file name, purpose)."""
    reader = MultipartReader(request.headers.get("content-type", ""), request.stream())
    staged: BlobInfo | None = None
    filename = ""
    purpose = ""
    while (part := await reader.next_part()) is not None:
        if part.name == "purpose" and part.filename is None:
            purpose = (await reader.read_field()).strip()
        elif part.name == "file" and part.filename is not None and staged is None:
            filename = safe_filename(part.filename)
            staged = await blobs.put(
                file_id,
                reader.data(),
                content_type=_content_type(part.content_type),
                max_bytes=max_bytes,
            )
    if staged is None:
        raise Problem(422, ErrorCode.INVALID.value, "The form needs a `file` part with a filename.")
    return staged, filename, purpose


def _check(purpose: str, filename: str, content_type: str) -> None:
    if purpose not in PURPOSES:
        raise Problem(
            422,
            ErrorCode.INVALID.value,
            f"`purpose` must be one of {', '.join(sorted(PURPOSES))}.",
        )
    if purpose == "assistants" and kind_of(filename, content_type) is None:
        raise Problem.of(
            ErrorCode.UNSUPPORTED_MEDIA,
            f"Files for `assistants` are read for search: use one of {SUPPORTED}.",
        )


@command_route(router.post, "", "Upload a file (multipart: file, purpose; async job)")
async def upload_file(
    request: Request,
    caller: CallerDep,
    services: ServicesDep,
    blobs: BlobsDep,
) -> Response:
    file_id = new_id("file")
    limit = services.settings.files_max_bytes
    try:
        staged, filename, purpose = await _stage(request, blobs, file_id, limit)
        _check(purpose, filename, staged.content_type)
    except BlobTooLarge as exc:
        raise Problem.of(
            ErrorCode.TOO_LARGE, f"The file is over the limit of {limit} bytes."
        ) from exc
    except MalformedMultipart as exc:
        await blobs.delete(file_id)
        raise Problem(400, "MalformedMultipart", str(exc)) from exc
    except BaseException:
        await blobs.delete(file_id)
        raise
    command = FileCreate(
        file_id=file_id,
        filename=filename,
        purpose=cast(FilePurpose, purpose),  # checked against PURPOSES above
        content_type=staged.content_type,
        bytes=staged.size,
        sha256=staged.sha256,
    )
    fingerprint = command.model_dump(mode="json", exclude={"file_id"})
    try:
        return await caller.submit(request, command, fingerprint=fingerprint)
    except Problem as problem:
        if "jobId" not in problem.extra:  # refused before it was enqueued: nothing will claim it
            await blobs.delete(file_id)
        raise


async def _record(caller: Caller, file_id: str) -> Document:
    return await one_or_404(caller.store, FILES, file_id, "File")


@router.get("", summary="List the caller's files, newest first", responses=ok_list(File))
async def list_files(
    caller: CallerDep,
    page: PageDep,
    purpose: Annotated[FilePurpose | None, Query()] = None,
) -> JSONResponse:
    where = {"purpose": purpose} if purpose else None
    return await page_of(page, caller.store, FILES, partial(present, File), where=where)


@router.get("/{file_id}", summary="Read a file's metadata", responses=ok(File))
async def get_file(file_id: ResourceId, caller: CallerDep) -> JSONResponse:
    return JSONResponse(present(File, await _record(caller, file_id)))


@router.get("/{file_id}/content", summary="Download a file's bytes (streamed)", responses=binary())
async def get_file_content(file_id: ResourceId, caller: CallerDep, blobs: BlobsDep) -> Response:
    record = File.model_validate(present(File, await _record(caller, file_id)))
    info = await blobs.info(file_id)
    if info is None:
        raise Problem.of(ErrorCode.NOT_FOUND, f"File '{file_id}' has no content.")
    name = record.filename
    headers = {
        "Content-Length": str(info.size),
        "Content-Disposition": f'attachment; filename="{ascii_filename(name)}"; '
        f"filename*=UTF-8''{quote(name, safe='')}",
        "ETag": f'"{info.sha256}"',
    }
    return StreamingResponse(
        blobs.read(file_id), media_type="application/octet-stream", headers=headers
    )


@command_route(router.delete, "/{file_id}", "Delete a file, its bytes and its passages")
async def delete_file(file_id: ResourceId, request: Request, caller: CallerDep) -> Response:
    command = FileDelete(file_id=file_id)
    return await caller.submit(request, command)
