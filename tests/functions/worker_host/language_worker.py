"""The worker process the language-worker test starts, as the Functions host starts its worker.

For Python 3.13 the host runs a thin worker of its own (shipped with the host, not published on
PyPI) that keeps the gRPC stream and hands each request to the language worker library the app
installs: `azure-functions-runtime`, from PyPI. This file plays that thin part and nothing more:
it connects to the host address on its command line, says `StartStream`, and passes every
request message, unchanged, to the library's own handler (`worker_init_request`,
`functions_metadata_request`, `function_load_request`, `invocation_request`), writing back the
library's own response. Indexing, binding, the SDK-typed message decoding and the settlement
client (which dials the same host address from this command line) are all the library's and
the extensions'.

Runs under the worker's Python (`.tools/functions-worker`), not the test's.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import grpc

HANDLERS = {
    "worker_init_request": ("worker_init_request", "worker_init_response"),
    "functions_metadata_request": ("functions_metadata_request", "function_metadata_response"),
    "function_load_request": ("function_load_request", "function_load_response"),
    "invocation_request": ("invocation_request", "invocation_response"),
    "function_environment_reload_request": (
        "function_environment_reload_request",
        "function_environment_reload_response",
    ),
}
EVENT_STREAM = "/AzureFunctionsRpcMessages.FunctionRpc/EventStream"


@dataclass
class Request:
    """What the library's handlers take: the message and the worker's properties."""

    request: Any
    properties: dict[str, Any] = field(default_factory=dict)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--workerId", required=True)
    parser.add_argument("--requestId", required=True)
    parser.add_argument("--functions-grpc-max-message-length", type=int, required=True)
    parser.add_argument("--protos", required=True, help="folder of the generated messages")
    return parser.parse_args()


async def serve(args: argparse.Namespace) -> None:
    sys.path.insert(0, args.protos)
    protos = importlib.import_module("function_rpc_pb2")
    library = importlib.import_module("azure_functions_runtime")
    limit = args.functions_grpc_max_message_length
    options = [("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)]
    async with grpc.aio.insecure_channel(f"{args.host}:{args.port}", options=options) as channel:
        stream = channel.stream_stream(
            EVENT_STREAM,
            request_serializer=protos.StreamingMessage.SerializeToString,
            response_deserializer=protos.StreamingMessage.FromString,
        )()
        await stream.write(
            protos.StreamingMessage(
                request_id=args.requestId,
                start_stream=protos.StartStream(worker_id=args.workerId),
            )
        )
        properties = {"host": args.host, "protos": protos}
        async for message in stream:
            kind = message.WhichOneof("content")
            if kind == "worker_terminate":
                break
            if kind not in HANDLERS:
                continue
            handler_name, response_field = HANDLERS[kind]
            if kind == "worker_init_request":
                app_dir = message.worker_init_request.function_app_directory
                sys.path.insert(0, app_dir)  # the host puts the app on the worker's path
                os.chdir(app_dir)
            response = await getattr(library, handler_name)(Request(message, properties))
            await stream.write(
                protos.StreamingMessage(request_id=message.request_id, **{response_field: response})
            )
        await stream.done_writing()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    asyncio.run(serve(arguments()))
