"""The agent engine port: where agents think (Foundry in production, a local engine here).

The engine keeps its own agents, conversations and runs; tenantry keeps the read models and
the ownership of every engine reference. Runs are started and then polled, so no caller ever
waits on a run while holding a bus session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.contracts.resources import RunError, RunStatus, Usage


@dataclass(frozen=True)
class AgentDefinition:
    """What the engine needs to know of an agent."""

    agent_id: str
    name: str
    instructions: str
    model: str
    tools: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Passage:
    """A passage of the tenant's own documents, found for a run by `file_search`."""

    document_id: str
    text: str
    title: str = ""
    file_id: str = ""
    """The uploaded file the passage is a chunk of; empty for a document indexed directly."""
    score: float = 0.0


@dataclass(frozen=True)
class RunRequest:
    """A run to start: which agent answers, on which conversation, with what for this run alone."""

    run_id: str
    """tenantry's id of the run: starting the same run again starts nothing new."""
    thread_ref: str
    """The conversation, as `create_thread` returned it."""
    agent: AgentDefinition
    agent_ref: str
    """The agent, as `create_agent` returned it."""
    instructions: str | None = None
    """Instructions for this run alone; None: the agent's own."""
    knowledge: Sequence[Passage] = ()
    """The passages retrieved from the tenant's index for an agent with the `file_search` tool,
    best first; the answer cites them as `file_citation` annotations."""


@dataclass(frozen=True)
class RunState:
    """A run as the engine sees it now."""

    status: RunStatus
    output_text: str | None = None
    annotations: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage | None = None
    last_error: RunError | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class EngineError(Exception):
    """The engine refused or failed a call; retryable unless it says otherwise."""


class TenantEngine(Protocol):
    """The engine as one tenant may use it; every reference it hands out is that tenant's."""

    async def create_agent(self, agent: AgentDefinition) -> str:
        """Create (idempotently, keyed by `agent.agent_id`) and return the engine's reference."""
        ...

    async def delete_agent(self, agent_ref: str) -> None:
        """Delete an agent; deleting an absent one is not an error."""
        ...

    async def create_thread(self, thread_id: str) -> str:
        """Create (idempotently, keyed by `thread_id`) a conversation; its reference."""
        ...

    async def delete_thread(self, thread_ref: str) -> None:
        """Delete a conversation and its items."""
        ...

    async def add_message(self, thread_ref: str, message_id: str, role: str, content: str) -> str:
        """Append a message (idempotently, keyed by `message_id`); its reference."""
        ...

    async def start_run(self, request: RunRequest) -> str:
        """Start a run in the background (idempotently, keyed by its `run_id`); its reference."""
        ...

    async def poll_run(self, run_ref: str) -> RunState:
        """The run's state now."""
        ...

    async def cancel_run(self, run_ref: str) -> None:
        """Ask the engine to stop the run."""
        ...


class AgentEngine(Protocol):
    """The engine for all tenants; hands out tenant-bound views."""

    def for_tenant(self, tenant_id: str) -> TenantEngine:
        """A view bound to one tenant."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
