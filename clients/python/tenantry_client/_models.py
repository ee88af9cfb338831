"""The service's resources as typed, read-only models (built from its JSON, extra fields kept)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self


@dataclass(frozen=True)
class Model:
    """A resource as the service sent it; `raw` holds every field, known or not."""

    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the service's JSON."""
        raise NotImplementedError


@dataclass(frozen=True)
class Agent(Model):
    """An agent (`asst_...`)."""

    id: str
    name: str
    instructions: str
    model: str
    tools: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            raw=data,
            id=data["id"],
            name=data["name"],
            instructions=data.get("instructions", ""),
            model=data.get("model", ""),
            tools=list(data.get("tools", [])),
            metadata=dict(data.get("metadata", {})),
            created_at=int(data["created_at"]),
        )


@dataclass(frozen=True)
class Thread(Model):
    """A conversation thread (`thread_...`)."""

    id: str
    metadata: dict[str, Any]
    created_at: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            raw=data,
            id=data["id"],
            metadata=dict(data.get("metadata", {})),
            created_at=int(data["created_at"]),
        )


@dataclass(frozen=True)
class Message(Model):
    """A message of a thread; `text` joins its text parts."""

    id: str
    thread_id: str
    role: str
    content: list[dict[str, Any]]
    run_id: str | None
    metadata: dict[str, Any]
    created_at: int

    @property
    def text(self) -> str:
        return "\n".join(
            part["text"]["value"] for part in self.content if part.get("type") == "text"
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            raw=data,
            id=data["id"],
            thread_id=data["thread_id"],
            role=data["role"],
            content=list(data.get("content", [])),
            run_id=data.get("run_id"),
            metadata=dict(data.get("metadata", {})),
            created_at=int(data["created_at"]),
        )


RUN_TERMINAL = frozenset({"completed", "failed", "cancelled", "expired"})


@dataclass(frozen=True)
class Run(Model):
    """A run of an agent on a thread; `status` as the Agents API names it."""

    id: str
    thread_id: str
    agent_id: str
    status: str
    model: str
    usage: dict[str, int] | None
    last_error: dict[str, str] | None
    created_at: int

    @property
    def done(self) -> bool:
        """Whether the run has ended (completed, failed, cancelled or expired)."""
        return self.status in RUN_TERMINAL

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            raw=data,
            id=data["id"],
            thread_id=data["thread_id"],
            agent_id=data["assistant_id"],
            status=data["status"],
            model=data.get("model", ""),
            usage=data.get("usage"),
            last_error=data.get("last_error"),
            created_at=int(data["created_at"]),
        )


@dataclass(frozen=True)
class FileObject(Model):
    """An uploaded file's metadata; its bytes come from `download_file`."""

    id: str
    filename: str
    bytes: int
    purpose: str
    status: str
    content_type: str
    sha256: str
    created_at: int

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            raw=data,
            id=data["id"],
            filename=data["filename"],
            bytes=int(data["bytes"]),
            purpose=data["purpose"],
            status=data["status"],
            content_type=data.get("content_type", ""),
            sha256=data.get("sha256", ""),
            created_at=int(data["created_at"]),
        )


@dataclass(frozen=True)
class JobError:
    """Why a job failed: a `code` to branch on and a message."""

    code: str
    message: str


@dataclass(frozen=True)
class Job(Model):
    """The status monitor of a command (Azure's operation resource)."""

    id: str
    type: str
    status: str
    created_date_time: str
    last_updated_date_time: str
    resource_location: str | None
    result: dict[str, Any] | None
    error: JobError | None

    @property
    def done(self) -> bool:
        """Whether the job has ended (Succeeded, Failed or Canceled)."""
        return self.status in ("Succeeded", "Failed", "Canceled")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        error = data.get("error")
        return cls(
            raw=data,
            id=data["id"],
            type=data["type"],
            status=data["status"],
            created_date_time=data["createdDateTime"],
            last_updated_date_time=data["lastUpdatedDateTime"],
            resource_location=data.get("resourceLocation"),
            result=data.get("result"),
            error=JobError(error["code"], error.get("message", "")) if error else None,
        )


@dataclass(frozen=True)
class WebhookEndpoint(Model):
    """A registered webhook endpoint; `secret` only in the answer that created it."""

    id: str
    url: str
    events: list[str]
    secret: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        return cls(
            raw=data,
            id=data["id"],
            url=data["url"],
            events=list(data.get("events", [])),
            secret=data.get("secret"),
        )
