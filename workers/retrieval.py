"""Retrieval for runs: the passages of the tenant's own index that answer the thread's question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.contracts.resources import MESSAGES, Agent
from shared.ports.engine import Passage
from shared.ports.search import EmbedderMissing, SearchHit, TenantIndex
from shared.ports.store import TenantStore

FILE_SEARCH = "file_search"


def uses_file_search(agent: Agent) -> bool:
    """Whether the agent has the `file_search` tool."""
    return any(tool.type == FILE_SEARCH for tool in agent.tools)


async def latest_question(store: TenantStore, thread_id: str) -> str:
    """The text of the thread's newest user message ('' if it has none)."""
    page = await store.list(
        MESSAGES, where={"thread_id": thread_id, "role": "user"}, newest_first=True, limit=1
    )
    if not page.items:
        return ""
    content: list[dict[str, Any]] = page.items[0].get("content", [])
    return " ".join(str(part.get("text", {}).get("value", "")) for part in content).strip()


async def retrieve(index: TenantIndex, question: str, *, top: int) -> list[Passage]:
    """The best passages for `question`: hybrid when an embedder is configured, else BM25."""
    if not question:
        return []
    try:
        hits = await index.search(question, mode="hybrid", top=top)
    except EmbedderMissing:
        hits = await index.search(question, mode="text", top=top)
    return passages(hits)


def passages(hits: Sequence[SearchHit]) -> list[Passage]:
    """Search hits as the engine's passages (a chunk of a file names its file)."""
    return [
        Passage(
            document_id=hit.id,
            text=hit.content,
            title=hit.title,
            file_id=hit.source if hit.source.startswith("file_") else "",
            score=hit.score,
        )
        for hit in hits
    ]
