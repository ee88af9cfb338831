"""The Azure Functions app: Service Bus triggers, sessions on, that call the workers' pipeline.

`function_app.py` at the repository root exposes `app` for the Functions host. The triggers
take the form Microsoft documents for settlement: the SDK-typed `ServiceBusReceivedMessage` and
`ServiceBusMessageActions`, both from `azurefunctions-extensions-bindings-servicebus`. Settlement
is manual (`auto_complete_messages=False`): the actions complete, abandon or dead-letter each
message with the pipeline's reason, over the host's settlement gRPC service, so a message that
can never succeed is dead-lettered at once instead of being retried up to the max delivery count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import azure.functions as func
from azurefunctions.extensions.bindings.servicebus import (
    ServiceBusMessageActions,
    ServiceBusReceivedMessage,
)

from functions import health, runtime
from shared.queues import COMMANDS, WEBHOOKS

CONNECTION = "SERVICEBUS"
"""App setting prefix of the Service Bus connection: `SERVICEBUS__fullyQualifiedNamespace`
(managed identity) or `SERVICEBUS` (a connection string)."""

SWEEP_SCHEDULE = "0 */1 * * * *"
"""Every minute (NCRONTAB with seconds): how soon a job whose message the bus dead-lettered, or
that never started within its TTL, is seen to end."""

app = func.FunctionApp()

SessionTrigger = Callable[[ServiceBusReceivedMessage, ServiceBusMessageActions], Awaitable[None]]


def session_queue_trigger(queue: str) -> Callable[[SessionTrigger], Any]:
    """Register a function named after `queue`, one message of one session at a time, settled
    by the function itself through its message actions."""

    def register(trigger: SessionTrigger) -> Any:
        bound = app.service_bus_queue_trigger(
            arg_name="message",
            queue_name=queue,
            connection=CONNECTION,
            is_sessions_enabled=True,
            cardinality=func.Cardinality.ONE,
            auto_complete_messages=False,
        )(trigger)
        return app.function_name(queue)(bound)

    return register


@session_queue_trigger(COMMANDS)
async def commands(message: ServiceBusReceivedMessage, actions: ServiceBusMessageActions) -> None:
    """One tenant command: the same pipeline as the local fleet, settled as it decides."""
    await runtime.RUNTIME.handle(message, actions)


@session_queue_trigger(WEBHOOKS)
async def webhooks(message: ServiceBusReceivedMessage, actions: ServiceBusMessageActions) -> None:
    """One webhook delivery attempt: the same dispatcher as the local fleet."""
    await runtime.RUNTIME.deliver(message, actions)


@app.function_name("sweep")
@app.timer_trigger(
    arg_name="timer", schedule=SWEEP_SCHEDULE, run_on_startup=False, use_monitor=True
)
async def sweep(timer: func.TimerRequest) -> None:
    """Every accepted job ends on Azure too: the jobs of commands the bus dead-lettered (max
    delivery count, time to live) fail with the reason, jobs never started within the command
    TTL fail `Expired`, unclaimed staged uploads go. The host runs a timer on one instance."""
    await runtime.RUNTIME.sweep()


@app.function_name("ready")
@app.route(route="health/ready", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def ready(req: func.HttpRequest) -> func.HttpResponse:
    """Readiness: configured (else 503 naming the setting to fix), bus and store answering."""
    return await health.ready_response(runtime.RUNTIME)
