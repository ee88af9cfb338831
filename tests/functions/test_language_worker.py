"""The Functions app in the real Python language worker, driven over the host's gRPC protocol.

The worker is `azure-functions-runtime` from PyPI (the library the Functions host loads for
Python 3.13+), in its own Python 3.13 environment (`scripts/functions-worker`), started as the
host starts it. The test is the host: it sends init, metadata indexing, load and invocations of
the Service Bus trigger, with the SDK-typed message as model binding data (lock token, session,
delivery count in the AMQP message) and the trigger metadata the host adds; the worker's
settlement calls arrive at the test's `Settlement` service, as at the host's.

Not verifiable here: the host itself (its Service Bus listener, session handling and scaling),
the thin gRPC layer the host ships for Python 3.13 (`worker_host/language_worker.py` stands in
for it), and the app on Python 3.11's host-bundled worker, which is not published on PyPI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from shared.bootstrap import bootstrap
from shared.contracts.envelope import Envelope
from shared.jobs import load
from tests.emulators import unavailable
from tests.functions.received_messages import SOURCE, amqp_content
from tests.functions.worker_host.host import (
    EventStream,
    Settled,
    SettlementService,
    generated_protocol,
    start_host,
)
from tests.harness import settings_for

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_PYTHON = REPO_ROOT / ".tools" / "functions-worker" / "bin" / "python"
WORKER = Path(__file__).resolve().parent / "worker_host" / "language_worker.py"
MAX_DELIVERIES = 3
HANDLER_TIMEOUT = 0.5
ENGINE_LATENCY = 3.0
"""Every local engine call outlasts the handler's time limit: a transient failure."""

pytestmark = pytest.mark.slow


@dataclass
class Worker:
    """A running worker with the functions it indexed (name -> metadata)."""

    protos: ModuleType
    stream: EventStream
    settlement: SettlementService
    functions: dict[str, Any]
    data_dir: Path

    async def invoke(self, name: str, body: bytes, *, session: str, delivery: int = 1) -> Any:
        """One Service Bus delivery to function `name`, as the host sends it."""
        p = self.protos
        message_id = uuid.uuid4().hex
        content, lock = amqp_content(
            body, message_id=message_id, session_id=session, delivery=delivery
        )
        metadata = {
            "MessageId": p.TypedData(string=message_id),
            "SessionId": p.TypedData(string=session),
            "LockToken": p.TypedData(string=str(lock)),
            "DeliveryCount": p.TypedData(json=json.dumps(delivery)),  # the worker takes no int
            "MessageSession": p.TypedData(json=json.dumps({"SessionId": session})),
        }
        response = await self.stream.request(
            invocation_request=p.InvocationRequest(
                invocation_id=uuid.uuid4().hex,
                function_id=self.functions[name].function_id,
                input_data=[
                    p.ParameterBinding(
                        name="message",
                        data=p.TypedData(
                            model_binding_data=p.ModelBindingData(
                                version="1.0",
                                source=SOURCE,
                                content_type="application/octet-stream",
                                content=content,
                            )
                        ),
                    )
                ],
                trigger_metadata=metadata,
            )
        )
        result = response.invocation_response
        assert result.result.status == p.StatusResult.Success, result.result.exception.message
        return str(lock)


@pytest.fixture
async def worker(tmp_path: Path) -> AsyncIterator[Worker]:
    if not WORKER_PYTHON.exists():
        unavailable(
            "the Python 3.13 language worker is not installed: run scripts/functions-worker"
        )
    protos = generated_protocol(tmp_path)
    server, port, stream, settlement = await start_host(protos)
    data_dir = tmp_path / "data"
    settings = settings_for(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env |= {
        "DATA_DIR": str(data_dir),
        "TENANTS": str(settings.tenants),
        "BUS_MAX_DELIVERY_COUNT": str(MAX_DELIVERIES),
        "HANDLER_TIMEOUT_SECONDS": str(HANDLER_TIMEOUT),
        "LOCAL_ENGINE_CALL_LATENCY_SECONDS": str(ENGINE_LATENCY),
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "AzureWebJobsScriptRoot": str(REPO_ROOT),
    }
    worker_id = uuid.uuid4().hex
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # the worker, with the arguments the host gives it
            [
                str(WORKER_PYTHON),
                str(WORKER),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workerId",
                worker_id,
                "--requestId",
                uuid.uuid4().hex,
                "--functions-grpc-max-message-length",
                str(2**31 - 1),
                "--protos",
                str(tmp_path),
            ],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        start = await stream.first(timeout=120)
        assert start.start_stream.worker_id == worker_id, log_path.read_text()
        p = protos
        init = await stream.request(
            timeout=180,
            worker_init_request=p.WorkerInitRequest(
                host_version="4.1040.100.0",
                function_app_directory=str(REPO_ROOT),
                worker_directory=str(WORKER.parent),
            ),
        )
        result = init.worker_init_response.result
        assert result.status == p.StatusResult.Success, (
            result.exception.message,
            log_path.read_text(),
        )
        indexed = await stream.request(
            functions_metadata_request=p.FunctionsMetadataRequest(
                function_app_directory=str(REPO_ROOT)
            )
        )
        response = indexed.function_metadata_response
        assert response.result.status == p.StatusResult.Success
        assert not response.use_default_metadata_indexing
        functions = {f.name: f for f in response.function_metadata_results}
        for function in functions.values():
            loaded = await stream.request(
                function_load_request=p.FunctionLoadRequest(
                    function_id=function.function_id, metadata=function
                )
            )
            assert loaded.function_load_response.result.status == p.StatusResult.Success
        yield Worker(protos, stream, settlement, functions, data_dir)
    finally:
        await stream.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        await server.stop(grace=None)


def _bindings(function: Any) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in function.raw_bindings]


async def test_the_worker_indexes_the_triggers_in_their_sdk_typed_form(worker: Worker) -> None:
    assert sorted(worker.functions) == ["commands", "ready", "sweep", "webhooks"]
    for queue in ("commands", "webhooks"):
        (trigger,) = _bindings(worker.functions[queue])
        assert trigger["type"] == "serviceBusTrigger" and trigger["queueName"] == queue
        assert trigger["isSessionsEnabled"] is True
        assert trigger["autoCompleteMessages"] is False
        assert trigger["properties"] == {"SupportsDeferredBinding": True}, (
            "the host must send the SDK-typed message (model binding data)"
        )
    (timer,) = _bindings(worker.functions["sweep"])
    assert timer["type"] == "timerTrigger"
    http = [b for b in _bindings(worker.functions["ready"]) if b["type"] == "httpTrigger"]
    assert http[0]["route"] == "health/ready"


async def test_commands_are_settled_through_the_hosts_settlement_service(worker: Worker) -> None:
    created = Envelope(
        type="item.create",
        tenant_id="contoso",
        subject="u",
        data={"container": "notes", "item": {"id": "n1", "text": "from the worker"}},
    )
    completed = await worker.invoke("commands", created.to_bytes(), session="contoso")
    poison = await worker.invoke("commands", b"{not json", session="contoso")
    stranger = Envelope(type="item.create", tenant_id="contoso", subject="u", data={})
    mismatched = await worker.invoke("commands", stranger.to_bytes(), session="fabrikam")
    slow = Envelope(type="agent.create", tenant_id="contoso", subject="u", data={"name": "a"})
    retried = [
        await worker.invoke("commands", slow.to_bytes(), session="contoso", delivery=n)
        for n in range(1, MAX_DELIVERIES + 1)
    ]

    calls = worker.settlement.calls
    assert calls[0] == Settled("complete", completed)
    assert (calls[1].action, calls[1].lock_token, calls[1].reason) == (
        "deadletter",
        poison,
        "InvalidEnvelope",
    )
    assert (calls[2].action, calls[2].lock_token, calls[2].reason) == (
        "deadletter",
        mismatched,
        "TenantMismatch",
    )
    assert [(c.action, c.lock_token) for c in calls[3:5]] == [
        ("abandon", retried[0]),
        ("abandon", retried[1]),
    ]
    assert (calls[5].action, calls[5].lock_token, calls[5].reason) == (
        "deadletter",
        retried[2],
        "MaxDeliveryCountExceeded",
    )
    assert len(calls) == 6

    undeliverable = await worker.invoke("webhooks", b"[]", session="contoso:wh_1")
    assert (calls[6].action, calls[6].lock_token, calls[6].reason) == (
        "deadletter",
        undeliverable,
        "InvalidDelivery",
    )

    services = bootstrap(settings_for(worker.data_dir))
    try:
        store = services.store.for_tenant("contoso")
        job = await load(store, created.command_id)
        assert job is not None and job[0].status == "Succeeded"
        item = await store.get("items.notes", "n1")
        assert item is not None and item["text"] == "from the worker"
        failed = await load(store, slow.command_id)
        assert failed is not None and failed[0].status == "Failed"
    finally:
        await services.close()
