"""A pytest plugin recording what the Azure adapters ask of Azure, request by request.

Load it with `-p tests.permissions.recorder` and `TENANTRY_PERMISSION_RECORD=<file>`: the
existing suites of tests/azure then run unchanged, and every request their real SDK clients
send is written to the file with the permission it needs (tests/permissions/classify.py) and
the adapter method it came from (the outermost frame of a class of `shared.adapters.azure` on
the stack). Requests are seen where the SDKs send them: azure-core's transport runner (every
azure-core client, whatever its transport: a recording one or an emulator's), httpx's and
httpx2's `AsyncClient.send` (the OpenAI client), and for Service Bus, whose SDK speaks AMQP, the
sender and receiver links the adapter asks its `ServiceBusClient` for.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from tests.permissions import classify

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = str(ROOT / "shared" / "adapters" / "azure") + os.sep
ENV = "TENANTRY_PERMISSION_RECORD"

_records: list[dict[str, Any]] = []
_current_test = ""


def _adapter_frames(frame: FrameType | None) -> list[dict[str, str]]:
    """The adapter methods on the stack, innermost first: class and name of each."""
    found: list[dict[str, str]] = []
    while frame is not None:
        if frame.f_code.co_filename.startswith(ADAPTERS):
            owner = frame.f_locals.get("self")
            if owner is not None and type(owner).__module__.startswith("shared.adapters.azure"):
                found.append(
                    {
                        "module": type(owner).__module__,
                        "class": type(owner).__qualname__,
                        "method": frame.f_code.co_name,
                    }
                )
        frame = frame.f_back
    return found


def record(permission: classify.Permission | None, detail: str) -> None:
    """Keep one request: what it needs, where in the adapters it came from, in which test."""
    frames = _adapter_frames(sys._getframe(2))
    _records.append(
        {
            "test": _current_test,
            "permission": None if permission is None else permission.__dict__,
            "detail": detail,
            "entry": frames[-1] if frames else None,
            "chain": [f"{f['class']}.{f['method']}" for f in frames],
        }
    )


def _record_http(method: str, url: str, headers: Any, body: Any) -> None:
    if isinstance(body, str):
        body = body.encode()
    raw = body if isinstance(body, bytes) else b""
    found = classify.http(method, url, dict(headers or {}), raw)
    record(found, f"{method} {url}")


class _RecordingServiceBusClient:
    """Passes everything to the client; notes each sender and receiver link asked for."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def get_queue_sender(self, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        record(classify.servicebus("send", queue_name), f"sender {queue_name}")
        return self._client.get_queue_sender(queue_name, *args, **kwargs)

    def get_queue_receiver(self, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        record(classify.servicebus("receive", queue_name), f"receiver {queue_name} {kwargs}")
        return self._client.get_queue_receiver(queue_name, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _install(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.core.pipeline import _base, _base_async

    sync_send = _base._TransportRunner.send
    async_send = _base_async._AsyncTransportRunner.send

    def send(self: Any, request: Any) -> Any:
        http = request.http_request
        _record_http(http.method, http.url, http.headers, getattr(http, "body", None))
        return sync_send(self, request)

    async def send_async(self: Any, request: Any) -> Any:
        http = request.http_request
        _record_http(http.method, http.url, http.headers, getattr(http, "body", None))
        return await async_send(self, request)

    monkeypatch.setattr(_base._TransportRunner, "send", send)
    monkeypatch.setattr(_base_async._AsyncTransportRunner, "send", send_async)

    for module_name in ("httpx", "httpx2"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        original = module.AsyncClient.send

        async def client_send(
            self: Any, request: Any, *args: Any, _o: Any = original, **kw: Any
        ) -> Any:
            _record_http(request.method, str(request.url), request.headers, request.content)
            return await _o(self, request, *args, **kw)

        monkeypatch.setattr(module.AsyncClient, "send", client_send)

    from shared.adapters.azure import servicebus

    bus_init = servicebus.ServiceBusBus.__init__

    def init(self: Any, client: Any, *args: Any, **kwargs: Any) -> None:
        bus_init(self, _RecordingServiceBusClient(client), *args, **kwargs)

    monkeypatch.setattr(servicebus.ServiceBusBus, "__init__", init)


_patches = pytest.MonkeyPatch()


def pytest_configure(config: pytest.Config) -> None:
    """Install the recording hooks when a record file is named."""
    if os.environ.get(ENV):
        _install(_patches)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Note which test the requests belong to."""
    global _current_test
    _current_test = item.nodeid
    try:
        return (yield)
    finally:
        _current_test = ""


def pytest_unconfigure(config: pytest.Config) -> None:
    """Write the records and take the hooks out."""
    _patches.undo()
    target = os.environ.get(ENV)
    if target:
        Path(target).write_text(json.dumps(_records, indent=1), encoding="utf-8")
