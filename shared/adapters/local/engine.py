"""The local agent engine: deterministic answers from the thread and the agent's instructions.

It keeps its agents, conversations and runs in SQLite (so any worker process can poll a run
another started), answers after a configurable latency to exercise long runs, can take a
configurable time over every call as a remote engine would (a round trip to Foundry), and says
in every run's metadata that it is the local engine, not a model.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from shared.adapters.local.citations import cite
from shared.adapters.local.sqlite_file import SqliteFile
from shared.adapters.local.tenant_rows import TenantRowsFile
from shared.contracts.resources import RunError, RunStatus, Usage
from shared.ports.engine import AgentDefinition, EngineError, RunRequest, RunState

SCHEMA = """
CREATE TABLE IF NOT EXISTS agents (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, definition TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE IF NOT EXISTS threads (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant_id, id)
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL, thread_id TEXT NOT NULL, id TEXT NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL,
    UNIQUE (tenant_id, thread_id, id)
);
CREATE TABLE IF NOT EXISTS runs (
    tenant_id TEXT NOT NULL, id TEXT NOT NULL, thread_id TEXT NOT NULL,
    ready_at REAL NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0,
    output TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE IF NOT EXISTS run_annotations (
    tenant_id TEXT NOT NULL, run_id TEXT NOT NULL, annotations TEXT NOT NULL,
    PRIMARY KEY (tenant_id, run_id)
);
"""

ENGINE_NAME = "tenantry-local-engine"


def compose_answer(agent: AgentDefinition, instructions: str | None, history: list[str]) -> str:
    """The local engine's reply: a deterministic function of the agent and the conversation."""
    question = history[-1] if history else ""
    guidance = (instructions or agent.instructions).strip().split("\n")[0][:200]
    parts = [f"{agent.name} here (local engine, no model was called)."]
    if guidance:
        parts.append(f"Following my instructions: {guidance}")
    parts.append(f'You asked: "{question}"' if question else "The thread has no question yet.")
    parts.append(f"This thread holds {len(history)} message(s) from you.")
    return " ".join(parts)


def answer_with_knowledge(
    request: RunRequest, history: list[str]
) -> tuple[str, list[dict[str, Any]]]:
    """The reply, and for an agent with `file_search` the quotes of its passages, cited."""
    answer = compose_answer(request.agent, request.instructions, history)
    if not any(tool.get("type") == "file_search" for tool in request.agent.tools):
        return answer, []
    if not request.knowledge:
        return f"{answer} I found nothing about that in your documents.", []
    question = history[-1] if history else ""
    return cite(f"{answer} From your documents:", request.knowledge, question)


def _words(text: str) -> int:
    return len(text.split())


class LocalEngine(TenantRowsFile):
    """The `AgentEngine` port on an embedded SQLite file."""

    TENANT_TABLES = ("agents", "threads", "messages", "runs", "run_annotations")

    def __init__(
        self,
        path: Path,
        *,
        latency_seconds: float = 0.0,
        call_latency_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(SqliteFile(path, SCHEMA))
        self._latency = latency_seconds
        self._call_latency = call_latency_seconds
        self._clock = clock

    def for_tenant(self, tenant_id: str) -> LocalTenantEngine:
        """The engine as one tenant sees it."""
        return LocalTenantEngine(self, tenant_id)


class LocalTenantEngine:
    """Every statement is bound to the tenant given at construction."""

    def __init__(self, engine: LocalEngine, tenant_id: str) -> None:
        self._engine = engine
        self._db = engine._db
        self._tenant = tenant_id

    async def _round_trip(self) -> None:
        """The time a call takes before it is served (`LOCAL_ENGINE_CALL_LATENCY_SECONDS`)."""
        if self._engine._call_latency:
            await asyncio.sleep(self._engine._call_latency)

    async def create_agent(self, agent: AgentDefinition) -> str:
        """Store the agent's definition; its reference is its id."""
        await self._round_trip()
        definition = json.dumps(asdict(agent))
        await self._db.write(
            lambda c: c.execute(
                "INSERT INTO agents VALUES (?,?,?) "
                "ON CONFLICT DO UPDATE SET definition=excluded.definition",
                (self._tenant, agent.agent_id, definition),
            )
        )
        return agent.agent_id

    async def delete_agent(self, agent_ref: str) -> None:
        """Forget the agent."""
        await self._round_trip()
        await self._db.write(
            lambda c: c.execute(
                "DELETE FROM agents WHERE tenant_id=? AND id=?", (self._tenant, agent_ref)
            )
        )

    async def create_thread(self, thread_id: str) -> str:
        """Open a conversation."""
        await self._round_trip()
        await self._db.write(
            lambda c: c.execute(
                "INSERT INTO threads VALUES (?,?) ON CONFLICT DO NOTHING", (self._tenant, thread_id)
            )
        )
        return thread_id

    async def delete_thread(self, thread_ref: str) -> None:
        """Close a conversation and drop its messages."""
        await self._round_trip()

        def work(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM threads WHERE tenant_id=? AND id=?", (self._tenant, thread_ref))
            c.execute(
                "DELETE FROM messages WHERE tenant_id=? AND thread_id=?", (self._tenant, thread_ref)
            )

        await self._db.write(work)

    async def add_message(self, thread_ref: str, message_id: str, role: str, content: str) -> str:
        """Append to a conversation of this tenant (EngineError if it has no such thread)."""
        await self._round_trip()

        def work(c: sqlite3.Connection) -> None:
            self._require_thread(c, thread_ref)
            c.execute(
                "INSERT INTO messages (tenant_id, thread_id, id, role, content) VALUES (?,?,?,?,?) "
                "ON CONFLICT DO NOTHING",
                (self._tenant, thread_ref, message_id, role, content),
            )

        await self._db.write(work)
        return message_id

    def _require_thread(self, c: sqlite3.Connection, thread_ref: str) -> None:
        found = c.execute(
            "SELECT 1 FROM threads WHERE tenant_id=? AND id=?", (self._tenant, thread_ref)
        ).fetchone()
        if found is None:
            raise EngineError(f"thread '{thread_ref}' is not known to the engine")

    async def start_run(self, request: RunRequest) -> str:
        """Compose the answer now from the conversation; reveal it after the latency."""
        await self._round_trip()
        ready_at = self._engine._clock() + self._engine._latency
        run_id, thread_ref = request.run_id, request.thread_ref

        def work(c: sqlite3.Connection) -> None:
            self._require_thread(c, thread_ref)
            rows = c.execute(
                "SELECT role, content FROM messages WHERE tenant_id=? AND thread_id=? ORDER BY seq",
                (self._tenant, thread_ref),
            ).fetchall()
            history = [content for role, content in rows if role == "user"]
            output, annotations = answer_with_knowledge(request, history)
            instructions = request.instructions or request.agent.instructions
            prompt = _words(instructions) + sum(_words(h) for h in history)
            c.execute(
                "INSERT INTO runs (tenant_id, id, thread_id, ready_at, output, prompt_tokens, "
                "completion_tokens) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (self._tenant, run_id, thread_ref, ready_at, output, prompt, _words(output)),
            )
            c.execute(
                "INSERT INTO run_annotations VALUES (?,?,?) ON CONFLICT DO NOTHING",
                (self._tenant, run_id, json.dumps(annotations)),
            )

        await self._db.write(work)
        return run_id

    async def poll_run(self, run_ref: str) -> RunState:
        """In progress until the latency has passed, then completed with the answer."""
        await self._round_trip()
        row = await self._db.read(
            lambda c: c.execute(
                "SELECT r.ready_at, r.cancelled, r.output, r.prompt_tokens, r.completion_tokens, "
                "a.annotations FROM runs r LEFT JOIN run_annotations a "
                "ON a.tenant_id = r.tenant_id AND a.run_id = r.id "
                "WHERE r.tenant_id=? AND r.id=?",
                (self._tenant, run_ref),
            ).fetchone()
        )
        meta = {"engine": ENGINE_NAME}
        if row is None:
            error = RunError(code="not_found", message="The engine has no such run.")
            return RunState(RunStatus.FAILED, last_error=error, metadata=meta)
        ready_at, cancelled, output, prompt, completion, annotations = row
        if cancelled:
            return RunState(RunStatus.CANCELLED, metadata=meta)
        if self._engine._clock() < ready_at:
            return RunState(RunStatus.IN_PROGRESS, metadata=meta)
        usage = Usage(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        )
        return RunState(
            RunStatus.COMPLETED,
            output_text=output,
            annotations=json.loads(annotations or "[]"),
            usage=usage,
            metadata=meta,
        )

    async def cancel_run(self, run_ref: str) -> None:
        """Mark the run cancelled."""
        await self._round_trip()
        await self._db.write(
            lambda c: c.execute(
                "UPDATE runs SET cancelled=1 WHERE tenant_id=? AND id=?", (self._tenant, run_ref)
            )
        )
