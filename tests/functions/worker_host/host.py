"""A test stand-in for the Functions host's side of the language-worker protocol.

One gRPC server, as the host has: the `FunctionRpc.EventStream` the worker dials (requests go
out, responses come back, matched by request id) and the Service Bus extension's `Settlement`
service, which records each complete / abandon / dead-letter / defer call as the host would
receive it (the worker's `ServiceBusMessageActions` dials the same address).
"""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import grpc
from azurefunctions.extensions.bindings.protos import settlement_pb2_grpc
from google.protobuf.empty_pb2 import Empty

HERE = Path(__file__).resolve().parent


def generated_protocol(folder: Path) -> ModuleType:
    """Compile `function_rpc.proto` into `folder` and import the messages."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{HERE}",
            f"--python_out={folder}",
            "function_rpc.proto",
        ],
        check=True,
    )
    spec = importlib.util.spec_from_file_location(
        "function_rpc_pb2", folder / "function_rpc_pb2.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Settled:
    """One settlement call the worker made, as the host received it."""

    action: str
    lock_token: str
    reason: str = ""
    description: str = ""


@dataclass
class SettlementService(settlement_pb2_grpc.SettlementServicer):  # type: ignore[misc]
    """The host's settlement service: records what the worker asks for."""

    calls: list[Settled] = field(default_factory=list)

    async def Complete(self, request: Any, context: Any) -> Empty:
        self.calls.append(Settled("complete", request.locktoken))
        return Empty()

    async def Abandon(self, request: Any, context: Any) -> Empty:
        self.calls.append(Settled("abandon", request.locktoken))
        return Empty()

    async def Deadletter(self, request: Any, context: Any) -> Empty:
        reason = request.deadletterReason.value if request.HasField("deadletterReason") else ""
        description = (
            request.deadletterErrorDescription.value
            if request.HasField("deadletterErrorDescription")
            else ""
        )
        self.calls.append(Settled("deadletter", request.locktoken, reason, description))
        return Empty()

    async def Defer(self, request: Any, context: Any) -> Empty:
        self.calls.append(Settled("defer", request.locktoken))
        return Empty()


class EventStream:
    """The host's end of the worker's stream: send a request, await its response."""

    def __init__(self, protos: ModuleType) -> None:
        self.protos = protos
        self.received: asyncio.Queue[Any] = asyncio.Queue()
        self._outgoing: asyncio.Queue[Any] = asyncio.Queue()
        self.logs: list[str] = []

    async def handle(self, requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
        """The gRPC handler: pumps the worker's messages in, the host's messages out."""

        async def pump() -> None:
            async for message in requests:
                if message.WhichOneof("content") == "rpc_log":
                    self.logs.append(message.rpc_log.message)
                else:
                    await self.received.put(message)

        reader = asyncio.ensure_future(pump())
        try:
            while (message := await self._outgoing.get()) is not None:
                yield message
        finally:
            reader.cancel()

    async def first(self, timeout: float) -> Any:
        """The worker's first message (its `StartStream`)."""
        return await asyncio.wait_for(self.received.get(), timeout)

    async def request(self, timeout: float = 60.0, **content: Any) -> Any:
        """Send one request message; the worker's response to it."""
        request_id = uuid.uuid4().hex
        await self._outgoing.put(self.protos.StreamingMessage(request_id=request_id, **content))
        async with asyncio.timeout(timeout):
            while True:
                message = await self.received.get()
                if message.request_id == request_id:
                    return message

    async def close(self) -> None:
        """End the stream from the host's side."""
        await self._outgoing.put(None)


async def start_host(
    protos: ModuleType,
) -> tuple[grpc.aio.Server, int, EventStream, SettlementService]:
    """The host's gRPC server on a free loopback port, with both services."""
    stream = EventStream(protos)
    settlement = SettlementService()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "AzureFunctionsRpcMessages.FunctionRpc",
                {
                    "EventStream": grpc.stream_stream_rpc_method_handler(
                        stream.handle,
                        request_deserializer=protos.StreamingMessage.FromString,
                        response_serializer=protos.StreamingMessage.SerializeToString,
                    )
                },
            ),
        )
    )
    settlement_pb2_grpc.add_SettlementServicer_to_server(settlement, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port, stream, settlement
