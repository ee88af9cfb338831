"""The command envelope: what the ingress stamps and the bus carries to a worker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.contracts import json_codec
from shared.ids import new_id

SCHEMA_VERSION: Literal[1] = 1

IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"


class Envelope(BaseModel):
    """A command stamped with its tenant; frozen, validated on both sides of the bus.

    The command id is also the job id and the bus message id, so a redelivered or duplicated
    message names the same job and the same effects.
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )

    schema_version: Literal[1] = SCHEMA_VERSION
    command_id: str = Field(default_factory=lambda: new_id("job"), pattern=IDENTIFIER)
    type: str = Field(pattern=r"^[a-z]+(\.[a-z_]+)+$", max_length=64)
    tenant_id: str = Field(pattern=IDENTIFIER)
    subject: str = Field(max_length=256, description="Who asked: the token's `sub`.")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    data: dict[str, Any] = Field(default_factory=dict)
    traceparent: str | None = Field(None, max_length=55)
    idempotency_key: str | None = Field(None, max_length=255)
    session_id: str = Field("", max_length=128, description="Bus session; the tenant by default.")
    replay: Literal["journal"] | None = Field(
        None,
        description="Set on a copy re-enqueued from the tenant's journal: the handler runs "
        "again although the job ended, and the job and its events are left as they are.",
    )

    def to_bytes(self) -> bytes:
        """The wire form: compact JSON with camelCase names (`replay` only when set, so a
        worker that predates it still reads every ordinary command)."""
        unset = {"replay"} if self.replay is None else None
        return json_codec.encode(self.model_dump(mode="json", by_alias=True, exclude=unset))

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Decode with the codec and limits the ingress applies to bodies, then validate
        (raises `json_codec.JsonRefused` or pydantic's ValidationError, both ValueErrors)."""
        return cls.model_validate(json_codec.decode(raw, json_codec.ENVELOPE))
