"""Resource models as clients see them (read models kept by the workers)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.contracts.commands import FileCreate, Tool
from shared.contracts.metadata import MetadataValue, stamped


class Resource(BaseModel):
    """Fields every resource carries; `metadata.tenantId` is set by the service."""

    model_config = ConfigDict(extra="forbid")

    id: str
    object: str
    created_at: int
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)


class Agent(Resource):
    object: Literal["assistant"] = "assistant"
    name: str
    instructions: str
    model: str
    tools: list[Tool] = Field(default_factory=list)
    engine_ref: str = Field("", exclude=True)


AGENTS = "agents"
"""The store collection of agents (the read model of `Agent`)."""


class Thread(Resource):
    object: Literal["thread"] = "thread"
    engine_ref: str = Field("", exclude=True)


THREADS = "threads"
"""The store collection of threads (the read model of `Thread`)."""


class TextContent(BaseModel):
    value: str
    annotations: list[dict[str, Any]] = Field(default_factory=list)


class MessageContent(BaseModel):
    type: Literal["text"] = "text"
    text: TextContent


class Message(Resource):
    object: Literal["thread.message"] = "thread.message"
    thread_id: str
    role: Literal["user", "assistant"]
    content: list[MessageContent]
    assistant_id: str | None = None
    run_id: str | None = None


MESSAGES = "messages"
"""The store collection of messages (the read model of `Message`)."""


class RunStatus(StrEnum):
    """The Agents API's run states."""

    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    REQUIRES_ACTION = "requires_action"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    FAILED = "failed"
    COMPLETED = "completed"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in {
            RunStatus.CANCELLED,
            RunStatus.FAILED,
            RunStatus.COMPLETED,
            RunStatus.EXPIRED,
        }


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class RunError(BaseModel):
    code: str
    message: str


class Run(Resource):
    object: Literal["thread.run"] = "thread.run"
    thread_id: str
    assistant_id: str
    status: RunStatus
    model: str
    instructions: str
    started_at: int | None = None
    completed_at: int | None = None
    usage: Usage | None = None
    last_error: RunError | None = None
    engine_ref: str = Field("", exclude=True)


RUNS = "runs"
"""The store collection of runs (the read model of `Run`)."""


class File(Resource):
    """An uploaded file (the Files API's shape); its bytes are at `/files/{id}/content`."""

    object: Literal["file"] = "file"
    bytes: int
    filename: str
    purpose: str
    status: Literal["uploaded", "processed", "error"]
    status_details: str | None = None
    content_type: str
    sha256: str
    chunks: int = Field(0, description="Passages indexed for search (purpose `assistants`).")

    @classmethod
    def uploaded(cls, upload: FileCreate, *, created_at: int, tenant_id: str) -> File:
        """The record of a staged upload, its text not yet read (status `uploaded`): what the
        claim check says of the bytes, under the id the ingress gave them."""
        described = upload.model_dump(exclude={"file_id"})
        return cls(
            id=upload.file_id,
            created_at=created_at,
            status="uploaded",
            metadata=stamped({}, tenant_id),
            **described,
        )


FILES = "files"
"""The store collection of files (the read model of `File`)."""


class JobStatus(StrEnum):
    """Azure long-running-operation states."""

    NOT_STARTED = "NotStarted"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def terminal(self) -> bool:
        return self in {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED}


class JobError(BaseModel):
    code: str
    message: str


class Job(BaseModel):
    """The status monitor of a command (Azure REST guidelines' operation resource)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    id: str
    type: str
    status: JobStatus
    created_date_time: datetime
    last_updated_date_time: datetime
    resource_location: str | None = None
    result: dict[str, Any] | None = None
    error: JobError | None = None


def without_store_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without the store's bookkeeping (`_etag`, `_cmd`, ...)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def present(model: type[Resource], doc: dict[str, Any]) -> dict[str, Any]:
    """A stored read model as a client sees it (engine references and bookkeeping removed)."""
    return model.model_validate(without_store_fields(doc)).model_dump(mode="json")
