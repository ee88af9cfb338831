"""Command payloads: the `data` of an envelope, one frozen model per command type."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.contracts.metadata import Metadata, reject_tenant_fields

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
}
"""Every command type the workers accept, with its payload model."""

INTERNAL_COMMANDS = frozenset({"run.poll"})
"""Types only the workers send; the ingress never accepts them from a client."""
