"""The `AgentEngine` port on Foundry agents (`azure-ai-projects` 2.x, Responses API).

Agents are versioned agent definitions named under the tenant's prefix; threads are
conversations, messages conversation items, runs background responses that the `run.poll`
follow-ups retrieve. Every conversation and response is stamped with `tenantId` metadata, and a
tenant's engine refuses any reference that is not its own: agent references by their prefix
(no call), conversations and responses by their metadata (checked before use, because a
project-level identity can see every conversation of the project).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from azure.ai.projects.aio import AIProjectClient
from azure.ai.projects.models import PromptAgentDefinition
from azure.core.exceptions import ResourceNotFoundError
from openai import AsyncOpenAI, NotFoundError, OpenAIError

from shared.adapters.azure.foundry_names import agent_name, agent_reference
from shared.adapters.azure.foundry_runs import knowledge_input, run_state
from shared.contracts.resources import RunError, RunStatus
from shared.ports.engine import AgentDefinition, EngineError, RunRequest, RunState

ENGINE_NAME = "foundry"
ProjectFactory = Callable[[str], AIProjectClient]
"""The project client of a tenant (built with that tenant's credential)."""


def foundry_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The agent's tools as Foundry takes them.

    `file_search` is not handed to Foundry: tenantry retrieves from the tenant's own index and
    passes the passages to the run, so no project-wide vector store can mix tenants.
    """
    converted: list[dict[str, Any]] = []
    for tool in tools:
        if tool.get("type") == "code_interpreter":
            converted.append({"type": "code_interpreter", "container": {"type": "auto"}})
        elif tool.get("type") == "function" and tool.get("function"):
            converted.append({"type": "function", **tool["function"]})
    return converted


def _tenant_of(metadata: object) -> str:
    """The tenant stamped on a conversation's or response's metadata ("" if none)."""
    return str(metadata.get("tenantId", "")) if isinstance(metadata, dict) else ""


class FoundryEngine:
    """One project; a client per tenant, each with its tenant's credential."""

    def __init__(
        self,
        projects: ProjectFactory,
        *,
        agent_prefix: str = "tenantry",
        openai_options: dict[str, Any] | None = None,
    ) -> None:
        self._projects = projects
        self._prefix = agent_prefix
        self._openai_options = openai_options or {}
        self._clients: dict[str, tuple[AIProjectClient, AsyncOpenAI]] = {}

    def clients(self, tenant_id: str) -> tuple[AIProjectClient, AsyncOpenAI]:
        """The tenant's project client and its OpenAI client (made once)."""
        if tenant_id not in self._clients:
            project = self._projects(tenant_id)
            self._clients[tenant_id] = (
                project,
                project.get_openai_client(**self._openai_options),
            )
        return self._clients[tenant_id]

    def for_tenant(self, tenant_id: str) -> FoundryTenantEngine:
        """The engine as one tenant may use it."""
        if not tenant_id:
            raise ValueError("a tenant id is required")
        return FoundryTenantEngine(self, tenant_id, self._prefix)

    async def close(self) -> None:
        """Close every tenant's clients."""
        for project, openai in self._clients.values():
            await openai.close()
            await project.close()
        self._clients.clear()


class FoundryTenantEngine:
    """One tenant's view; conversations it has checked are remembered for the process."""

    def __init__(self, engine: FoundryEngine, tenant_id: str, prefix: str) -> None:
        self._engine = engine
        self._tenant = tenant_id
        self._prefix = prefix
        self._owned: set[str] = set()

    @property
    def _project(self) -> AIProjectClient:
        return self._engine.clients(self._tenant)[0]

    @property
    def _openai(self) -> AsyncOpenAI:
        return self._engine.clients(self._tenant)[1]

    def _metadata(self, **extra: str) -> dict[str, str]:
        return {"tenantId": self._tenant, **extra}

    async def create_agent(self, agent: AgentDefinition) -> str:
        """A new version of the tenant's agent definition; its `name:version` reference."""
        tools: Any = foundry_tools(agent.tools)  # JSON tool definitions, as the service takes them
        definition = PromptAgentDefinition(
            model=agent.model, instructions=agent.instructions, tools=tools
        )
        try:
            created = await self._project.agents.create_version(
                agent_name(self._prefix, self._tenant, agent.agent_id),
                definition=definition,
                description=agent.name[:512],
                metadata=self._metadata(agentId=agent.agent_id),
            )
        except Exception as exc:
            raise EngineError(f"Foundry refused the agent: {exc}") from exc
        return f"{created.name}:{created.version}"

    async def delete_agent(self, agent_ref: str) -> None:
        """Delete the agent and all its versions; an absent one is not an error."""
        name, _ = agent_reference(agent_ref, self._prefix, self._tenant)
        try:
            await self._project.agents.delete(name)
        except ResourceNotFoundError:
            return

    async def _owner(self, conversation_id: str) -> str | None:
        """The tenant a conversation was issued for, or None if there is no such conversation."""
        if conversation_id in self._owned:
            return self._tenant
        try:
            conversation = await self._openai.conversations.retrieve(conversation_id)
        except NotFoundError:
            return None
        return _tenant_of(conversation.metadata)

    async def _own_conversation(self, conversation_id: str) -> None:
        owner = await self._owner(conversation_id)
        if owner is None:
            raise EngineError("the conversation is not known to the engine")
        if owner != self._tenant:
            raise EngineError("the conversation was not issued for this tenant")
        self._owned.add(conversation_id)

    async def create_thread(self, thread_id: str) -> str:
        """A conversation stamped with the tenant; its id."""
        try:
            conversation = await self._openai.conversations.create(
                metadata=self._metadata(threadId=thread_id)
            )
        except OpenAIError as exc:
            raise EngineError(f"Foundry refused the conversation: {exc}") from exc
        self._owned.add(conversation.id)
        return conversation.id

    async def delete_thread(self, thread_ref: str) -> None:
        """Delete the tenant's conversation; an absent one is not an error."""
        owner = await self._owner(thread_ref)
        if owner is None:
            return
        if owner != self._tenant:
            raise EngineError("the conversation was not issued for this tenant")
        with contextlib.suppress(NotFoundError):
            await self._openai.conversations.delete(thread_ref)
        self._owned.discard(thread_ref)

    async def add_message(self, thread_ref: str, message_id: str, role: str, content: str) -> str:
        """A message item in the tenant's conversation; its item id."""
        await self._own_conversation(thread_ref)
        item: Any = {"type": "message", "role": role, "content": content}
        items = await self._openai.conversations.items.create(thread_ref, items=[item])
        return str(items.data[0].id) if items.data else message_id

    async def start_run(self, request: RunRequest) -> str:
        """A background response of the tenant's agent on its conversation; its id."""
        name, version = agent_reference(request.agent_ref, self._prefix, self._tenant)
        await self._own_conversation(request.thread_ref)
        extra_input: list[dict[str, Any]] = []
        if request.instructions:
            message = {"type": "message", "role": "developer", "content": request.instructions}
            extra_input.append(message)
        if request.knowledge:
            extra_input.append(knowledge_input(request.knowledge))
        options: dict[str, Any] = {"input": extra_input} if extra_input else {}
        try:
            response = await self._openai.responses.create(
                conversation=request.thread_ref,
                background=True,
                metadata=self._metadata(runId=request.run_id),
                extra_body={
                    "agent_reference": {"type": "agent_reference", "name": name, "version": version}
                },
                **options,
            )
        except OpenAIError as exc:
            raise EngineError(f"Foundry refused the run: {exc}") from exc
        return str(response.id)

    async def poll_run(self, run_ref: str) -> RunState:
        """The response's state; one not issued for this tenant reads as not found."""
        meta = {"engine": ENGINE_NAME}
        try:
            response = await self._openai.responses.retrieve(run_ref)
        except NotFoundError:
            response = None
        if response is None or _tenant_of(response.metadata) != self._tenant:
            error = RunError(code="not_found", message="The engine has no such run.")
            return RunState(RunStatus.FAILED, last_error=error, metadata=meta)
        return run_state(response, meta)

    async def cancel_run(self, run_ref: str) -> None:
        """Cancel the tenant's background response."""
        response = await self._openai.responses.retrieve(run_ref)
        if _tenant_of(response.metadata) != self._tenant:
            raise EngineError("the run was not issued for this tenant")
        await self._openai.responses.cancel(run_ref)
