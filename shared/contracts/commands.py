"""Commands: the `data` of an envelope, one frozen model per command type.

A command is declared here once: its model carries its type (`TYPE`) and its order key
(`order_key()`, which resource it changes: `shared.ordering`). Defining a command without a
type, with a type another one has, or without an order key fails at import; the workers'
handler table (`workers.handlers`) refuses to import unless it has a handler for each.
"""

from __future__ import annotations

import inspect
import re
from abc import abstractmethod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared.contracts.metadata import Metadata, reject_tenant_fields
from shared.ordering import SEARCH_DOCUMENTS, fresh_key, item_key, thread_key
from shared.search_filters import check_field_name

ResourceId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$")]
ContainerName = Annotated[
    str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
]


class Payload(BaseModel):
    """Base of every command model and of the parts and bodies they are made of: frozen,
    unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


COMMANDS: dict[str, type[Command]] = {}
"""Every command type the workers accept, with its model (filled as the models are defined)."""


class Command(Payload):
    """A command the workers run: a subclass declares its `TYPE` and its `order_key()`."""

    TYPE: ClassVar[str]
    """The envelope's `type`, e.g. `item.create`."""
    INTERNAL: ClassVar[bool] = False
    """Only the workers send it; the ingress never accepts it from a client."""

    @abstractmethod
    def order_key(self) -> str:
        """The resource this command changes: commands with one key keep their order."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _register(cls)


def _register(model: type[Command]) -> None:
    """Add `model` to `COMMANDS`, refusing an incomplete or duplicate declaration."""
    name = f"{model.__module__}.{model.__qualname__}"
    command_type = model.__dict__.get("TYPE")
    if not isinstance(command_type, str) or not command_type:
        raise TypeError(f"command {name} declares no TYPE of its own")
    if inspect.isabstract(model):
        raise TypeError(f"command {name} ({command_type}) declares no order_key()")
    taken = COMMANDS.get(command_type)
    if taken is not None:
        raise TypeError(f"command {name} takes the type '{command_type}' of {taken.__name__}")
    COMMANDS[command_type] = model


class Tool(Payload):
    """An agent tool, as the Agents API names them."""

    type: Literal["code_interpreter", "file_search", "function"]
    function: dict[str, Any] | None = None


class AgentCreate(Command):
    TYPE = "agent.create"

    name: str = Field(min_length=1, max_length=256)
    instructions: str = Field("", max_length=32_768)
    model: str = Field("gpt-4o", min_length=1, max_length=128)
    tools: list[Tool] = Field(default_factory=list, max_length=128)
    metadata: Metadata = Field(default_factory=dict)

    def order_key(self) -> str:
        return fresh_key()  # the service makes the id


class AgentDelete(Command):
    TYPE = "agent.delete"

    agent_id: ResourceId

    def order_key(self) -> str:
        return f"agent/{self.agent_id}"


class ThreadCreate(Command):
    TYPE = "thread.create"

    metadata: Metadata = Field(default_factory=dict)

    def order_key(self) -> str:
        return fresh_key()  # the service makes the id


class OnThread(Payload):
    """Part of a command that changes a thread (or its messages and runs): the thread's lane."""

    thread_id: ResourceId

    def order_key(self) -> str:
        """The thread's key: a thread's commands keep their order."""
        return thread_key(self.thread_id)


class ThreadDelete(OnThread, Command):
    TYPE = "thread.delete"


class NewMessage(Payload):
    """The body of `POST /agents/threads/{id}/messages`."""

    content: str = Field(min_length=1, max_length=32_768)
    role: Literal["user"] = "user"
    metadata: Metadata = Field(default_factory=dict)


class MessageCreate(OnThread, NewMessage, Command):
    TYPE = "message.create"


class NewRun(Payload):
    """The body of `POST /agents/threads/{id}/runs`."""

    agent_id: ResourceId
    instructions: str | None = Field(None, max_length=32_768)
    metadata: Metadata = Field(default_factory=dict)


class RunCreate(OnThread, NewRun, Command):
    TYPE = "run.create"


class RunPoll(OnThread, Command):
    """Internal: scheduled by the run handler on the tenant's session until the run ends."""

    TYPE = "run.poll"
    INTERNAL = True

    run_id: ResourceId
    job_id: str
    attempt: int = Field(0, ge=0)


class RunCancel(OnThread, Command):
    """Stop a run: `cancelling`, then `cancelled` once the engine has stopped it."""

    TYPE = "run.cancel"

    run_id: ResourceId


class RunStart(OnThread, Command):
    """Internal: start a run that waited for one of its tenant's run slots (`concurrent_runs`)."""

    TYPE = "run.start"
    INTERNAL = True

    run_id: ResourceId
    job_id: str


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
    TYPE = "item.create"

    container: ContainerName
    item: ItemBody

    def order_key(self) -> str:
        item_id = self.item.get("id")
        return item_key(self.container, item_id) if item_id else fresh_key()


class OnItem(Payload):
    """Part of a command that changes one stored item: the item's lane."""

    container: ContainerName
    item_id: ResourceId

    def order_key(self) -> str:
        """The item's key: an item's commands keep their order."""
        return item_key(self.container, self.item_id)


class ItemUpdate(OnItem, Command):
    TYPE = "item.update"

    patch: ItemBody
    if_match: str | None = None


class ItemDelete(OnItem, Command):
    TYPE = "item.delete"

    if_match: str | None = None


FilePurpose = Literal["assistants", "user_data", "vision", "batch", "fine-tune", "evals"]
"""What a file is for (the Files API's purposes); `assistants` files are indexed for search."""

FileId = Annotated[str, Field(pattern=r"^file_[0-9a-f]{24}$")]
"""A file id the service generated; it is also the name of the file's blob."""


class FileCreate(Command):
    """The claim check of an upload the ingress staged in the tenant's blob area (no bytes)."""

    TYPE = "file.create"

    file_id: FileId
    filename: str = Field(min_length=1, max_length=255)
    purpose: FilePurpose
    content_type: str = Field(min_length=1, max_length=255)
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    def order_key(self) -> str:
        return f"file/{self.file_id}"


class FileDelete(Command):
    TYPE = "file.delete"

    file_id: ResourceId

    def order_key(self) -> str:
        return f"file/{self.file_id}"


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
    TYPE = "document.index"

    documents: DocumentBatch

    def order_key(self) -> str:
        return SEARCH_DOCUMENTS


class DocumentDelete(Command):
    TYPE = "document.delete"

    doc_id: DocumentId

    def order_key(self) -> str:
        return SEARCH_DOCUMENTS


INTERNAL_COMMANDS = frozenset(t for t, model in COMMANDS.items() if model.INTERNAL)
"""Types only the workers send; the ingress never accepts them from a client."""
