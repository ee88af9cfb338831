"""The upload flow in process: claim check, idempotency, and effects once (real adapters)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from shared.contracts.commands import FileCreate
from shared.contracts.envelope import Envelope
from shared.ports.bus import BusUnavailable, OutgoingMessage
from tests.harness import Harness, running, settings_for
from workers.context import HandlerContext
from workers.handlers.files import create_file


def form(name: str = "notes.txt", data: bytes = b"Notes about refunds.") -> dict[str, object]:
    return {"files": {"file": (name, data, "text/plain")}, "data": {"purpose": "assistants"}}


async def staged(harness: Harness, tenant: str = "contoso") -> list[str]:
    return await harness.services.blobs.for_tenant(tenant).list_names()


async def test_the_command_on_the_bus_names_the_staged_bytes_and_holds_none(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        sent: list[OutgoingMessage] = []
        send = harness.services.bus.send

        async def spy(queue: str, messages: list[OutgoingMessage]) -> None:
            sent.extend(messages)
            await send(queue, messages)

        harness.services.bus.send = spy  # type: ignore[method-assign]
        data = b"secret bytes that must not travel " * 100
        response = await harness.client.post(
            "/files", headers=harness.auth("contoso"), **form("big.txt", data)
        )
        assert response.status_code == 202, response.text
        [message] = sent
        assert b"secret bytes" not in message.body
        [name] = await staged(harness)
        assert name.encode() in message.body and len(message.body) < 1024


async def test_an_upload_the_bus_refuses_is_a_503_and_its_bytes_are_removed(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:

        async def down(queue: str, messages: list[OutgoingMessage]) -> None:
            raise BusUnavailable("the namespace does not answer")

        harness.services.bus.send = down  # type: ignore[method-assign]
        response = await harness.client.post("/files", headers=harness.auth("contoso"), **form())
        assert response.status_code == 503
        assert await staged(harness) == []


async def test_the_same_upload_with_the_same_idempotency_key_is_the_same_job(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        headers = harness.auth("contoso") | {"Idempotency-Key": "upload-1"}
        first = await harness.client.post("/files", headers=headers, **form())
        again = await harness.client.post("/files", headers=headers, **form())
        other = await harness.client.post("/files", headers=headers, **form(data=b"different"))
        assert first.status_code == again.status_code == 202
        assert first.json()["id"] == again.json()["id"]
        assert other.status_code == 422


async def test_a_file_create_run_again_after_a_crash_changes_nothing(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path)) as harness:
        created = await harness.client.post(
            "/files", headers=harness.auth("contoso") | {"Prefer": "wait=10"}, **form()
        )
        assert created.status_code == 201, created.text
        record = created.json()
        index = harness.services.search.for_tenant("contoso")
        before = await index.search("refunds")
        command = FileCreate(
            file_id=record["id"],
            filename=record["filename"],
            purpose="assistants",
            content_type=record["content_type"],
            bytes=record["bytes"],
            sha256=record["sha256"],
        )

        async def no_follow_up(*args: object) -> None:
            raise AssertionError("file.create schedules nothing")

        context = HandlerContext(
            envelope=Envelope(
                type="file.create",
                tenant_id="contoso",
                subject="user",
                data=command.model_dump(mode="json"),
            ),
            scope=harness.services.scope("contoso"),
            settings=harness.services.settings,
            follow_up=no_follow_up,
            now=lambda: datetime.now(UTC),
        )
        again = await create_file(command, context)
        assert again.result == record
        assert await index.search("refunds") == before
