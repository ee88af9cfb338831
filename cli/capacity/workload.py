"""What the capacity model is asked about: the tenants, their traffic, and the host's settings.

Every figure is an input with a default; the defaults say where they come from. A workload is a
JSON document of these models (`tenantry capacity --workload FILE`), or one of the presets.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SERVERLESS_RU_PER_CONTAINER = 5000.0


class Model(BaseModel):
    """Frozen, unknown fields refused: a typo in a workload file is an error, not a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CommandProfile(Model):
    """One command type: how long its handler takes, and what a run started by it lasts."""

    handler_ms: float = Field(gt=0, description="Mean handler time, ms.")
    cv: float = Field(0.5, ge=0, description="Coefficient of variation (lognormal); 0: constant.")
    run_seconds: float = Field(
        0, ge=0, description="For `run.create`: how long the run lasts; polled until it ends."
    )


class TenantClass(Model):
    """A group of alike tenants sharing one slice of the traffic."""

    name: str = Field(min_length=1, max_length=40)
    tenants: int = Field(ge=1, le=1_000_000)
    traffic_share: float = Field(gt=0, le=1, description="Share of all commands, whole class.")
    lanes: int = Field(1, ge=1, le=64, description="Sessions per tenant (resource lanes).")
    mix: dict[str, float] = Field(
        default_factory=lambda: {"item.create": 1.0},
        description="Command type -> weight within this class.",
    )


class HostSettings(Model):
    """The Service Bus session processor as `host.json` configures it (or the local fleet)."""

    policy: Literal["functions", "fleet"] = Field(
        "functions",
        description="functions: a slot holds its session until sessionIdleTimeout; "
        "fleet: the local fleet takes one batch per session turn and lets it go.",
    )
    max_concurrent_sessions: int = Field(64, ge=1, le=2000)
    session_idle_timeout_s: float = Field(0.1, ge=0)
    prefetch: int = Field(0, ge=0, description="0: every receive is a round trip.")
    batch_size: int = Field(16, ge=1, description="fleet policy: messages per session turn.")
    lock_duration_s: float = Field(30, gt=0, description="The queue's lockDuration (Bicep).")
    rtt_ms: float = Field(
        3.0, ge=0, description="One Service Bus operation's round trip (receive, settle)."
    )
    accept_ms: float = Field(6.0, ge=0, description="Accepting a session (link + lock).")
    idle_backoff_ms: tuple[float, float] = Field(
        (2.0, 100.0), description="fleet policy: accept back-off when no session is free."
    )
    wake_on_send: bool = Field(False, description="fleet policy: a send wakes idle acceptors.")


class ScaleSettings(Model):
    """Target-based scaling as documented for the Service Bus extension (v5, sessions).

    Source: learn.microsoft.com/azure/azure-functions/functions-target-based-scaling: desired
    instances = event source length / target executions per instance, the target for
    single-dispatch sessions being `maxConcurrentSessions`; up to four instances added at a time.
    The decision interval and the cold start are not documented figures: they are assumptions
    to vary.
    """

    instances: int | None = Field(
        None, ge=1, description="Fixed instance count (fleet policy, or to pin a plan)."
    )
    min_instances: int = Field(1, ge=0, description="Always-ready instances (Bicep: 1).")
    max_instances: int = Field(40, ge=1, description="maximumInstanceCount (Bicep).")
    scale_out_step: int = Field(4, ge=1)
    interval_s: float = Field(5.0, gt=0, description="Assumed decision interval.")
    cold_start_s: float = Field(3.0, ge=0, description="Assumed time to a ready instance.")
    queue_length_visible: bool = Field(
        True,
        description="The scaler reads queue length (needs Manage rights on the queue); "
        "without it the extension falls back to first-message age and under-scales.",
    )


class Throttling(Model):
    """Where the shared services push back (None: unlimited)."""

    cosmos_mode: Literal["serverless", "autoscale"] = Field(
        "serverless", description="The account's capacity mode (Bicep: serverless)."
    )
    cosmos_ru_per_s: float | None = Field(
        None,
        gt=0,
        description="The RU/s budget: autoscale max, or for serverless the per-container "
        "ceiling (5,000 RU/s up to 250 GB: learn.microsoft.com/azure/cosmos-db/"
        "serverless-performance); None: serverless's 5,000, autoscale unlimited.",
    )

    def cosmos_budget(self) -> float | None:
        """RU/s the database gives before answering 429."""
        if self.cosmos_ru_per_s is not None:
            return self.cosmos_ru_per_s
        return SERVERLESS_RU_PER_CONTAINER if self.cosmos_mode == "serverless" else None

    servicebus_ops_per_s: float | None = Field(
        None, gt=0, description="Namespace operation budget per second (tier-dependent)."
    )
    servicebus_busy_backoff_s: float = Field(
        0.8, ge=0, description="Client back-off after ServerBusy (host.json retry delay)."
    )


class Workload(Model):
    """A whole question: traffic, command profiles, host, scaling, throttling."""

    name: str = "workload"
    commands_per_s: float = Field(gt=0, le=1_000_000)
    duration_s: float = Field(120, gt=0, le=86_400)
    classes: tuple[TenantClass, ...] = Field(min_length=1)
    commands: dict[str, CommandProfile] = Field(default_factory=dict)
    host: HostSettings = HostSettings()
    scale: ScaleSettings = ScaleSettings()
    throttling: Throttling = Throttling()
    run_poll_interval_s: float = Field(0.2, gt=0, description="First run.poll delay.")
    seed: int = 1

    @model_validator(mode="after")
    def _consistent(self) -> Workload:
        share = sum(c.traffic_share for c in self.classes)
        if abs(share - 1.0) > 1e-6:
            raise ValueError(f"traffic shares add up to {share:g}, not 1")
        known = set(self.commands) | {"run.poll"}
        for cls in self.classes:
            missing = set(cls.mix) - known
            if missing:
                raise ValueError(f"class {cls.name!r}: no profile for {sorted(missing)}")
        return self

    def profile(self, command: str) -> CommandProfile:
        """The command's profile; `run.poll` defaults to the read-and-reschedule it is."""
        found = self.commands.get(command)
        return found if found is not None else CommandProfile(handler_ms=20, cv=0.3)
