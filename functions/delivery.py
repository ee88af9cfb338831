"""A Functions Service Bus message as the pipeline's `Delivery`.

On Azure, Python's `msg.session_id` has been reported empty; the session id then comes from the
trigger metadata (`SessionId`, or `MessageSession.SessionId`), where the host always puts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import azure.functions as func


def session_id_of(message: func.ServiceBusMessage) -> str:
    """The message's session id, from the message or else from the trigger metadata."""
    if message.session_id:
        return str(message.session_id)
    metadata: Mapping[str, Any] = message.metadata or {}
    direct = metadata.get("SessionId")
    if isinstance(direct, str) and direct:
        return direct
    session = metadata.get("MessageSession")
    if isinstance(session, Mapping):
        nested = session.get("SessionId")
        if isinstance(nested, str):
            return nested
    return ""


class FunctionsDelivery:
    """The body, session, id and delivery count of a triggered message."""

    def __init__(self, message: func.ServiceBusMessage) -> None:
        self.message = message
        self._session_id = session_id_of(message)

    @property
    def body(self) -> bytes:
        return self.message.get_body()

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def message_id(self) -> str:
        return str(self.message.message_id or "")

    @property
    def delivery_count(self) -> int:
        return int(self.message.delivery_count or 1)
