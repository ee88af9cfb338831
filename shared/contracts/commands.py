"""Command payloads: the `data` of an envelope, one frozen model per command type."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.contracts.metadata import Metadata, reject_tenant_fields
from shared.search_filters import check_field_name

ResourceId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$")]
ContainerName = Annotated[
    str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
]


class Command(BaseModel):
    """Base of every payload: frozen, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Tool(Command):
    """An agent tool, as the Agents API names them."""

    type: Literal["code_interpreter", "file_search", "function"]
    function: dict[str, Any] | None = None


class AgentCreate(Command):
    name: str = Field(min_length=1, max_length=256)
    instructions: str = Field("", max_length=32_768)
    model: str = Field("gpt-4o", min_length=1, max_length=128)
    tools: list[Tool] = Field(default_factory=list, max_length=128)
    metadata: Metadata = Field(default_factory=dict)


class AgentDelete(Command):
    agent_id: ResourceId


class ThreadCreate(Command):
    metadata: Metadata = Field(default_factory=dict)


class ThreadDelete(Command):
    thread_id: ResourceId


class NewMessage(Command):
    content: str = Field(min_length=1, max_length=32_768)
    role: Literal["user"] = "user"
    metadata: Metadata = Field(default_factory=dict)


class MessageCreate(NewMessage):
    thread_id: ResourceId


class NewRun(Command):
    agent_id: ResourceId
    instructions: str | None = Field(None, max_length=32_768)
    metadata: Metadata = Field(default_factory=dict)


class RunCreate(NewRun):
    thread_id: ResourceId


class RunPoll(Command):
    """Internal: scheduled by the run handler on the tenant's session until the run ends."""

    thread_id: ResourceId
    run_id: ResourceId
    job_id: str
    attempt: int = Field(0, ge=0)


def _check_item(item: dict[str, Any]) -> dict[str, Any]:
    reject_tenant_fields(item)
    reserved = sorted(key for key in item if key.startswith("_"))
    if reserved:
        raise ValueError(f"fields starting with '_' are reserved: {reserved}")
    if "id" in item and not (isinstance(item["id"], str) and _ITEM_ID.match(item["id"])):
        raise ValueError("id must be 1 to 128 of A-Z a-z 0-9 _ - .")
    metadata = item.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise ValueError("metadata must be an object")
        reject_tenant_fields(metadata)
    return item


_ITEM_ID = re.compile(r"^[A-Za-z0-9_\-.]{1,128}$")

ItemBody = Annotated[dict[str, Any], AfterValidator(_check_item)]
"""A client's JSON item: no tenant field, no `_` bookkeeping fields, a well-formed id if any."""


class ItemCreate(Command):
    container: ContainerName
    item: ItemBody


class ItemUpdate(Command):
    container: ContainerName
    item_id: ResourceId
    patch: ItemBody
    if_match: str | None = None


class ItemDelete(Command):
    container: ContainerName
    item_id: ResourceId
    if_match: str | None = None


FilePurpose = Literal["assistants", "user_data", "vision", "batch", "fine-tune", "evals"]
"""What a file is for (the Files API's purposes); `assistants` files are indexed for search."""

FileId = Annotated[str, Field(pattern=r"^file_[0-9a-f]{24}$")]
"""A file id the service generated; it is also the name of the file's blob."""


class FileCreate(Command):
    """The claim check of an upload the ingress staged in the tenant's blob area (no bytes)."""

    file_id: FileId
    filename: str = Field(min_length=1, max_length=255)
    purpose: FilePurpose
    content_type: str = Field(min_length=1, max_length=255)
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class FileDelete(Command):
    file_id: ResourceId


FILE_CHUNK_PREFIX = "file_"
"""The chunks of an uploaded file are indexed as `file_<id>-<n>`; documents may not use it."""


def _check_document_id(value: str) -> str:
    if value.startswith(FILE_CHUNK_PREFIX):
        raise ValueError(f"ids starting with '{FILE_CHUNK_PREFIX}' belong to the chunks of files")
    return value


DocumentId = Annotated[
    str,
    Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$"),
    AfterValidator(_check_document_id),
]


class IndexDocument(BaseModel):
    """A document a client indexes: `id`, `content`, `title` and up to 32 scalar fields."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: DocumentId
    content: str = Field(min_length=1, max_length=100_000)
    title: str = Field("", max_length=1024)

    @model_validator(mode="after")
    def _check_fields(self) -> IndexDocument:
        extra = self.model_extra or {}
        reject_tenant_fields(extra)
        if len(extra) > 32:
            raise ValueError("a document holds at most 32 fields besides id, content and title")
        for name, value in extra.items():
            check_field_name(name)
            if isinstance(value, str) and len(value) > 1024:
                raise ValueError(f"field '{name}' is over 1024 characters")
            if value is None or not isinstance(value, str | int | float | bool):
                raise ValueError(f"field '{name}' must be a string, a number or a boolean")
        return self

    @property
    def fields(self) -> dict[str, str | int | float | bool]:
        """The document's own fields besides id, content and title."""
        return dict(self.model_extra or {})


def _unique_ids(documents: list[IndexDocument]) -> list[IndexDocument]:
    ids = [doc.id for doc in documents]
    if len(set(ids)) != len(ids):
        raise ValueError("document ids must be unique within one request")
    return documents


DocumentBatch = Annotated[
    list[IndexDocument], Field(min_length=1, max_length=1000), AfterValidator(_unique_ids)
]
"""The body of `POST /search/documents`: 1 to 1000 documents with distinct ids."""


class DocumentsIndex(Command):
    documents: DocumentBatch


class DocumentDelete(Command):
    doc_id: DocumentId


COMMANDS: dict[str, type[Command]] = {
    "agent.create": AgentCreate,
    "agent.delete": AgentDelete,
    "thread.create": ThreadCreate,
    "thread.delete": ThreadDelete,
    "message.create": MessageCreate,
    "run.create": RunCreate,
    "run.poll": RunPoll,
    "item.create": ItemCreate,
    "item.update": ItemUpdate,
    "item.delete": ItemDelete,
    "file.create": FileCreate,
    "file.delete": FileDelete,
    "document.index": DocumentsIndex,
    "document.delete": DocumentDelete,
}
"""Every command type the workers accept, with its payload model."""

INTERNAL_COMMANDS = frozenset({"run.poll"})
"""Types only the workers send; the ingress never accepts them from a client."""
