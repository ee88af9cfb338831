"""The Foundry engine through the SDKs' transports: agent versions, conversations, responses.

`azure-ai-projects` goes through an azure-core transport; its OpenAI client through an
`httpx2` mock transport. Both record the exact requests; the Foundry side is a small stand-in
that keeps conversations and responses with their metadata.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from azure.ai.projects.aio import AIProjectClient

from shared.adapters.azure.foundry import FoundryEngine
from shared.adapters.azure.foundry_names import agent_name
from shared.contracts.resources import RunStatus
from shared.ports.engine import AgentDefinition, EngineError, Passage, RunRequest
from tests.azure.transport import Answer, RecordingTransport, Sent, StaticToken

ENDPOINT = "https://tenantry.services.ai.azure.com/api/projects/main"
AGENT = AgentDefinition(
    agent_id="asst_0123456789abcdef01234567",
    name="Helper",
    instructions="Answer briefly.",
    model="gpt-4o",
    tools=[{"type": "code_interpreter"}, {"type": "file_search"}],
)


def agents_service(sent: Sent) -> Answer:
    name = sent.path.split("/")[-2]
    if sent.method == "POST":
        body = sent.json()
        return Answer(
            200,
            {
                "object": "agent.version",
                "id": f"{name}:3",
                "name": name,
                "version": "3",
                "created_at": 1,
                "definition": body["definition"],
                "metadata": body.get("metadata", {}),
            },
        )
    return Answer(200, {"object": "agent.deleted", "name": name, "deleted": True})


@dataclass
class OpenAIService:
    """Conversations, items and background responses, with the requests recorded."""

    sent: list[tuple[str, str, Any]] = field(default_factory=list)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=itertools.count)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path.removeprefix("/api/projects/main/openai/v1")
        self.sent.append((request.method, str(request.url), body))
        parts = path.strip("/").split("/")
        if parts[0] == "conversations":
            return self._conversations(request.method, parts, body)
        return self._responses(request.method, parts, body)

    def _conversations(self, method: str, parts: list[str], body: Any) -> httpx2.Response:
        if len(parts) == 1:
            conversation = {
                "id": f"conv_{next(self.ids)}",
                "object": "conversation",
                "created_at": 1,
                "metadata": body["metadata"],
            }
            self.conversations[conversation["id"]] = conversation
            return httpx2.Response(200, json=conversation)
        conversation = self.conversations.get(parts[1])
        if conversation is None:
            return httpx2.Response(404, json={"error": {"message": "no", "type": "not_found"}})
        if len(parts) == 3:
            item = {**body["items"][0], "id": f"msg_{next(self.ids)}", "status": "completed"}
            item["content"] = [{"type": "input_text", "text": item["content"]}]
            return httpx2.Response(
                200,
                json={
                    "object": "list",
                    "data": [item],
                    "first_id": item["id"],
                    "last_id": item["id"],
                    "has_more": False,
                },
            )
        if method == "DELETE":
            del self.conversations[parts[1]]
            return httpx2.Response(
                200, json={"id": parts[1], "object": "conversation.deleted", "deleted": True}
            )
        return httpx2.Response(200, json=conversation)

    def _responses(self, method: str, parts: list[str], body: Any) -> httpx2.Response:
        if len(parts) == 1:
            response = {
                "id": f"resp_{next(self.ids)}",
                "object": "response",
                "created_at": 1,
                "status": "queued",
                "model": "gpt-4o",
                "output": [],
                "metadata": body["metadata"],
                "tools": [],
                "tool_choice": "auto",
                "parallel_tool_calls": True,
            }
            self.responses[response["id"]] = response
            return httpx2.Response(200, json=response)
        response = self.responses.get(parts[1])
        if response is None:
            return httpx2.Response(404, json={"error": {"message": "no", "type": "not_found"}})
        if len(parts) == 3:
            response["status"] = "cancelled"
        return httpx2.Response(200, json=response)

    def complete(self, response_id: str, text: str) -> None:
        self.responses[response_id] |= {
            "status": "completed",
            "output": [
                {
                    "type": "message",
                    "id": "msg_out",
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            ],
            "usage": {
                "input_tokens": 12,
                "output_tokens": 5,
                "total_tokens": 17,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }


@pytest.fixture
def openai_service() -> OpenAIService:
    return OpenAIService()


@pytest.fixture
def agents_transport() -> RecordingTransport:
    return RecordingTransport(agents_service)


@pytest.fixture
async def engine(
    openai_service: OpenAIService, agents_transport: RecordingTransport
) -> AsyncIterator[FoundryEngine]:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(openai_service))
    built = FoundryEngine(
        lambda tenant: AIProjectClient(
            ENDPOINT, StaticToken(f"token-{tenant}"), transport=agents_transport
        ),  # type: ignore[arg-type]
        openai_options={"http_client": http},
    )
    yield built
    await built.close()


async def test_an_agent_is_a_version_of_a_definition_named_under_the_tenant(
    engine: FoundryEngine, agents_transport: RecordingTransport
) -> None:
    ref = await engine.for_tenant("contoso").create_agent(AGENT)
    name = agent_name("tenantry", "contoso", AGENT.agent_id)
    assert ref == f"{name}:3"
    (sent,) = agents_transport.sent
    assert (sent.method, sent.path) == ("POST", f"/api/projects/main/agents/{name}/versions")
    assert sent.query["api-version"] == ["v1"]
    assert sent.headers["Authorization"] == "Bearer token-contoso"
    body = sent.json()
    assert body["definition"] == {
        "kind": "prompt",
        "model": "gpt-4o",
        "instructions": "Answer briefly.",
        "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}],
    }
    assert body["metadata"] == {"tenantId": "contoso", "agentId": AGENT.agent_id}


async def test_a_run_is_a_background_response_of_the_agent_on_the_conversation(
    engine: FoundryEngine, openai_service: OpenAIService
) -> None:
    contoso = engine.for_tenant("contoso")
    ref = await contoso.create_agent(AGENT)
    conversation = await contoso.create_thread("thread_1")
    item = await contoso.add_message(conversation, "msg_a", "user", "What is tenantry?")
    assert item.startswith("msg_")
    knowledge = [Passage("doc1", "It is a service.")]
    run = await contoso.start_run(
        RunRequest("run_1", conversation, AGENT, ref, knowledge=knowledge)
    )
    assert (await contoso.poll_run(run)).status is RunStatus.QUEUED
    openai_service.complete(run, "A pooled agent service [1].")
    state = await contoso.poll_run(run)
    assert (state.status, state.output_text) == (RunStatus.COMPLETED, "A pooled agent service [1].")
    assert state.usage is not None and state.usage.total_tokens == 17
    creates = [s for s in openai_service.sent if s[0] == "POST"]
    assert creates[0][1] == f"{ENDPOINT}/openai/v1/conversations"
    assert creates[0][2] == {"metadata": {"tenantId": "contoso", "threadId": "thread_1"}}
    assert creates[1][1] == f"{ENDPOINT}/openai/v1/conversations/{conversation}/items"
    assert creates[1][2] == {
        "items": [{"type": "message", "role": "user", "content": "What is tenantry?"}]
    }
    _, url, body = creates[2]
    assert url == f"{ENDPOINT}/openai/v1/responses"
    name, version = ref.split(":")
    assert body["agent_reference"] == {"type": "agent_reference", "name": name, "version": version}
    assert body["conversation"] == conversation and body["background"] is True
    assert body["metadata"] == {"tenantId": "contoso", "runId": "run_1"}
    assert body["input"][0]["role"] == "developer"
    assert "[1] doc1: It is a service." in body["input"][0]["content"]


async def test_another_tenants_agent_reference_is_refused_without_a_call(
    engine: FoundryEngine, openai_service: OpenAIService, agents_transport: RecordingTransport
) -> None:
    contoso_ref = await engine.for_tenant("contoso").create_agent(AGENT)
    fabrikam = engine.for_tenant("fabrikam")
    conversation = await fabrikam.create_thread("t")
    sent_before = len(openai_service.sent), len(agents_transport.sent)
    with pytest.raises(EngineError, match="not issued for this tenant"):
        await fabrikam.start_run(RunRequest("r", conversation, AGENT, contoso_ref))
    with pytest.raises(EngineError, match="not issued for this tenant"):
        await fabrikam.delete_agent(contoso_ref)
    assert (len(openai_service.sent), len(agents_transport.sent)) == sent_before


async def test_another_tenants_conversation_is_refused_before_use(
    engine: FoundryEngine, openai_service: OpenAIService
) -> None:
    conversation = await engine.for_tenant("contoso").create_thread("t")
    fabrikam = engine.for_tenant("fabrikam")
    with pytest.raises(EngineError, match="not issued for this tenant"):
        await fabrikam.add_message(conversation, "m", "user", "let me in")
    with pytest.raises(EngineError, match="not issued for this tenant"):
        await fabrikam.delete_thread(conversation)
    assert not any(s[1].endswith("/items") for s in openai_service.sent)
    assert conversation in openai_service.conversations


async def test_another_tenants_run_reads_as_not_found_and_cannot_be_cancelled(
    engine: FoundryEngine, openai_service: OpenAIService
) -> None:
    contoso = engine.for_tenant("contoso")
    ref = await contoso.create_agent(AGENT)
    run = await contoso.start_run(RunRequest("r", await contoso.create_thread("t"), AGENT, ref))
    fabrikam = engine.for_tenant("fabrikam")
    state = await fabrikam.poll_run(run)
    assert state.status is RunStatus.FAILED and state.last_error is not None
    assert state.last_error.code == "not_found"
    with pytest.raises(EngineError):
        await fabrikam.cancel_run(run)
    await contoso.cancel_run(run)
    assert openai_service.responses[run]["status"] == "cancelled"


async def test_deleting_an_absent_conversation_is_not_an_error(engine: FoundryEngine) -> None:
    contoso = engine.for_tenant("contoso")
    conversation = await contoso.create_thread("t")
    await contoso.delete_thread(conversation)
    await contoso.delete_thread(conversation)
