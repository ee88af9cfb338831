"""The service's resources as typed, read-only models (built from its JSON, extra fields kept).

A model declares its fields once; `Model.from_dict` reads each from the JSON member of its name,
converted by its type (`int` fields to int, lists and dicts copied, anything else as sent), or
as its `Member(...)` annotation says (another key, a value when missing, a conversion).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, Self, cast, get_args, get_origin, get_type_hints

REQUIRED: Any = object()
"""The `missing` of a member the JSON must have (reading it raises `KeyError` otherwise)."""


@dataclass(frozen=True)
class Member:
    """How a field is read, when not by its name and type alone: from the JSON member `key`
    (default: the field's name), `missing` when the JSON leaves it out, through `convert`
    (default: by the field's type). Given as `Annotated[type, Member(...)]`."""

    key: str | None = None
    missing: Any = REQUIRED
    convert: Callable[[Any], Any] | None = None


def _by_type(kind: Any) -> Callable[[Any], Any]:
    """How a JSON value becomes a field of type `kind`: int, a copied list or dict, or as is."""
    if kind is int:
        return int
    origin = get_origin(kind)
    if origin is list or origin is dict:
        return cast(Callable[[Any], Any], origin)
    return lambda value: value


def _reader(name: str, hint: Any) -> Callable[[dict[str, Any]], Any]:
    """The function that reads the field `name`, of type `hint`, from the JSON."""
    kind, *extras = get_args(hint) if get_origin(hint) is Annotated else (hint,)
    how = next((extra for extra in extras if isinstance(extra, Member)), Member())
    key, missing = how.key or name, how.missing
    convert = how.convert or _by_type(kind)
    if missing is REQUIRED:
        return lambda data: convert(data[key])
    return lambda data: convert(data.get(key, missing))


Readers = tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...]
_READERS: dict[type[Model], Readers] = {}


def _readers(model: type[Model]) -> Readers:
    """Each field of `model` but `raw`, with the function that reads it from the JSON."""
    if model not in _READERS:
        hints = get_type_hints(model, include_extras=True)
        named = [f.name for f in fields(model) if f.name != "raw"]
        _READERS[model] = tuple((name, _reader(name, hints[name])) for name in named)
    return _READERS[model]


@dataclass(frozen=True)
class Model:
    """A resource as the service sent it; `raw` holds every field, known or not."""

    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build from the service's JSON."""
        return cls(raw=data, **{name: read(data) for name, read in _readers(cls)})


@dataclass(frozen=True)
class Agent(Model):
    """An agent (`asst_...`)."""

    id: str
    name: str
    instructions: Annotated[str, Member(missing="")]
    model: Annotated[str, Member(missing="")]
    tools: Annotated[list[dict[str, Any]], Member(missing=[])]
    metadata: Annotated[dict[str, Any], Member(missing={})]
    created_at: int


@dataclass(frozen=True)
class Thread(Model):
    """A conversation thread (`thread_...`)."""

    id: str
    metadata: Annotated[dict[str, Any], Member(missing={})]
    created_at: int


@dataclass(frozen=True)
class Message(Model):
    """A message of a thread; `text` joins its text parts."""

    id: str
    thread_id: str
    role: str
    content: Annotated[list[dict[str, Any]], Member(missing=[])]
    run_id: Annotated[str | None, Member(missing=None)]
    metadata: Annotated[dict[str, Any], Member(missing={})]
    created_at: int

    @property
    def text(self) -> str:
        return "\n".join(
            part["text"]["value"] for part in self.content if part.get("type") == "text"
        )


RUN_TERMINAL = frozenset({"completed", "failed", "cancelled", "expired"})


@dataclass(frozen=True)
class Run(Model):
    """A run of an agent on a thread; `status` as the Agents API names it."""

    id: str
    thread_id: str
    agent_id: Annotated[str, Member(key="assistant_id")]
    status: str
    model: Annotated[str, Member(missing="")]
    usage: Annotated[dict[str, int] | None, Member(missing=None)]
    last_error: Annotated[dict[str, str] | None, Member(missing=None)]
    created_at: int

    @property
    def done(self) -> bool:
        """Whether the run has ended (completed, failed, cancelled or expired)."""
        return self.status in RUN_TERMINAL


@dataclass(frozen=True)
class FileObject(Model):
    """An uploaded file's metadata; its bytes come from `download_file`."""

    id: str
    filename: str
    bytes: int
    purpose: str
    status: str
    content_type: Annotated[str, Member(missing="")]
    sha256: Annotated[str, Member(missing="")]
    created_at: int


@dataclass(frozen=True)
class JobError:
    """Why a job failed: a `code` to branch on and a message."""

    code: str
    message: str


def _job_error(error: dict[str, Any] | None) -> JobError | None:
    """A job's `error` member, if it has one."""
    return JobError(error["code"], error.get("message", "")) if error else None


@dataclass(frozen=True)
class Job(Model):
    """The status monitor of a command (Azure's operation resource)."""

    id: str
    type: str
    status: str
    created_date_time: Annotated[str, Member(key="createdDateTime")]
    last_updated_date_time: Annotated[str, Member(key="lastUpdatedDateTime")]
    resource_location: Annotated[str | None, Member(key="resourceLocation", missing=None)]
    result: Annotated[dict[str, Any] | None, Member(missing=None)]
    error: Annotated[JobError | None, Member(missing=None, convert=_job_error)]

    @property
    def done(self) -> bool:
        """Whether the job has ended (Succeeded, Failed or Canceled)."""
        return self.status in ("Succeeded", "Failed", "Canceled")


@dataclass(frozen=True)
class WebhookEndpoint(Model):
    """A registered webhook endpoint; `secret` only in the answer that created it."""

    id: str
    url: str
    events: Annotated[list[str], Member(missing=[])]
    secret: Annotated[str | None, Member(missing=None)]
