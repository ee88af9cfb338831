"""A discrete-event simulation of the worker side: sessions, slots, instances, throttling.

What it models, and nothing more:
- arrivals: Poisson, split over tenant classes by traffic share and over a class's tenants
  (and their lanes) evenly; each command's type drawn from its class's mix; a `run.create`
  schedules `run.poll` commands on its session until its run ends (as the runs handler does);
- the session processor, with one of two policies: `functions` (the Service Bus extension's
  session processor: a slot accepts the next available session and keeps it, taking message
  after message, until none arrives for `sessionIdleTimeout`) or `fleet` (tenantry's local
  fleet: a slot takes one batch of a session, least recently served first, and lets it go;
  with no session free the acceptor backs off unless a slot of its process lets one go);
- target-based scaling (`functions`): every interval, desired = queued messages / target per
  instance, out by at most `scale_out_step` instances at a time, each ready after a cold start,
  in when instances hold nothing; or a fixed number of instances;
- throttling: the database's RU/s and the namespace's operations per second as budgets per
  one-second window; an operation over budget waits for the next window (Cosmos answers 429
  with the time to wait, which the SDK honours) or for the client's back-off (Service Bus's
  ServerBusy).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from cli.capacity.prices import CommandOperations, RequestUnits
from cli.capacity.workload import Workload

CREDITED = frozenset({"send", "receive"})  # Standard tier: one credit per message sent or received
RUN_POLL_MAX_S = 5.0  # the runs handler's poll back-off cap (workers/handlers/runs.py)


@dataclass
class Message:
    enqueued: float
    tenant_class: str
    command: str
    run_ends: float | None = None
    poll_attempt: int = 0


@dataclass
class Session:
    id: str
    tenant_class: str
    queue: deque[Message] = field(default_factory=deque)
    holder: Slot | None = None
    waiting_slot: Slot | None = None
    last_served: float = -1.0


@dataclass
class Slot:
    instance: Instance
    session: Session | None = None
    idle_token: int = 0
    busy_since: float | None = None
    held_since: float | None = None


@dataclass
class Instance:
    id: int
    ready: bool = False
    retired: bool = False
    slots: list[Slot] = field(default_factory=list)
    executing: int = 0
    executing_since: float = 0.0
    backoff_ms: float = 0.0
    poll_token: int = 0
    """The accept loop's pending poll; a wake makes it stale and polls at once."""


@dataclass
class Window:
    """A one-second budget (RU or operations)."""

    limit: float | None
    used: dict[int, float] = field(default_factory=dict)
    throttled: int = 0

    def admit(self, now: float, amount: float) -> float:
        """The time at which `amount` fits; records its use there."""
        second = int(now)
        if self.limit is not None:
            while self.used.get(second, 0.0) + amount > self.limit and amount <= self.limit:
                second += 1
        self.used[second] = self.used.get(second, 0.0) + amount
        if second > int(now):
            self.throttled += 1
            return float(second)
        return now

    def peak(self, q: float = 1.0) -> float:
        """The busiest second's use (or the q-quantile of the seconds')."""
        ordered = sorted(self.used.values())
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Result:
    """What one simulated interval measured."""

    workload: Workload
    duration_s: float
    arrived: int = 0
    completed: int = 0
    queue_ages: dict[str, list[float]] = field(default_factory=dict)
    instances: list[tuple[float, int, int]] = field(default_factory=list)
    slot_busy_s: float = 0.0
    slot_held_idle_s: float = 0.0
    slot_seconds: float = 0.0
    executing_instance_s: float = 0.0
    instance_s: float = 0.0
    request_units: float = 0.0
    ru_window: Window = field(default_factory=lambda: Window(None))
    bus_window: Window = field(default_factory=lambda: Window(None))
    bus_ops: dict[str, int] = field(default_factory=dict)
    backlog: int = 0
    max_instances_seen: int = 0


class Simulation:
    """One run of one workload; `run()` returns its `Result`."""

    def __init__(
        self,
        workload: Workload,
        operations: dict[str, CommandOperations],
        request_units: RequestUnits,
    ) -> None:
        self.w = workload
        self.ops = operations
        self.ru = request_units
        self.rng = random.Random(workload.seed)
        self.now = 0.0
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.sessions: dict[str, Session] = {}
        self._available: list[tuple[float, int, str]] = []
        self._acceptors: deque[Slot] = deque()
        self.instances: list[Instance] = []
        self.result = Result(
            workload,
            workload.duration_s,
            ru_window=Window(workload.throttling.cosmos_budget()),
            bus_window=Window(workload.throttling.servicebus_ops_per_s),
        )
        self._tenants = self._tenant_table()

    # -- the event loop --------------------------------------------------------------------

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), action))

    def run(self) -> Result:
        """Simulate `duration_s` of arrivals, then let the backlog drain for as long again."""
        self._start_instances()
        self.at(self._next_arrival_gap(), self._arrive)
        if self.w.host.policy == "functions" and self.w.scale.instances is None:
            self.at(0.0, self._scale)
        self.at(0.0, self._sample)
        horizon = self.w.duration_s * 2
        while self._events and self._events[0][0] <= horizon:
            when, _, action = heapq.heappop(self._events)
            self.now = when
            action()
        self._finish(horizon)
        return self.result

    # -- arrivals --------------------------------------------------------------------------

    def _tenant_table(self) -> list[float]:
        """Cumulative traffic shares of the classes, for drawing one by bisection."""
        return list(itertools.accumulate(c.traffic_share for c in self.w.classes))

    def _next_arrival_gap(self) -> float:
        return self.rng.expovariate(self.w.commands_per_s)

    def _arrive(self) -> None:
        if self.now > self.w.duration_s:
            return
        draw = self.rng.random() * self._tenants[-1]
        index = min(bisect.bisect_left(self._tenants, draw), len(self._tenants) - 1)
        cls = self.w.classes[index]
        name = cls.name
        command = self.rng.choices(list(cls.mix), weights=list(cls.mix.values()))[0]
        session_id = f"{name}-{self.rng.randrange(cls.tenants)}:{self.rng.randrange(cls.lanes)}"
        profile = self.w.profile(command)
        run_ends = self.now + profile.run_seconds if command == "run.create" else None
        self._enqueue(session_id, name, Message(self.now, name, command, run_ends))
        self.at(self.now + self._next_arrival_gap(), self._arrive)

    def _enqueue(self, session_id: str, tenant_class: str, message: Message) -> None:
        self.result.arrived += 1
        self._count("send")
        session = self.sessions.get(session_id)
        if session is None:
            session = self.sessions[session_id] = Session(session_id, tenant_class)
        session.queue.append(message)
        if session.waiting_slot is not None:
            slot, session.waiting_slot = session.waiting_slot, None
            slot.idle_token += 1
            self._close_held(slot)
            self._take_next(slot)
        elif session.holder is None and len(session.queue) == 1:
            self._offer(session)
        if self.w.host.policy == "fleet" and self.w.host.wake_on_send:
            self.at(self.now + self.w.host.wake_ms / 1000, self._wake_all)

    # -- sessions becoming available and being accepted ------------------------------------

    def _offer(self, session: Session) -> None:
        """A session with messages and no holder: to a waiting acceptor, or to the pool."""
        if self.w.host.policy == "functions" and self._acceptors:
            self._accept(self._acceptors.popleft(), session)
            return
        key = session.last_served if self.w.host.policy == "fleet" else self.now
        heapq.heappush(self._available, (key, next(self._seq), session.id))

    def _pop_available(self) -> Session | None:
        while self._available:
            _, _, session_id = heapq.heappop(self._available)
            session = self.sessions[session_id]
            if session.holder is None and session.queue:
                return session
        return None

    def _accept(self, slot: Slot, session: Session) -> None:
        session.holder = slot
        slot.session = session
        self._count("accept")
        self.at(self.now + self.w.host.accept_ms / 1000, lambda: self._take_next(slot))

    def _slot_free(self, slot: Slot) -> None:
        """`functions` policy: a free slot long-polls for the next available session."""
        if slot.instance.retired:
            return
        session = self._pop_available()
        if session is not None:
            self._accept(slot, session)
        else:
            self._acceptors.append(slot)

    # -- `fleet` policy: one accept loop per process ---------------------------------------

    def _wake_all(self) -> None:
        for instance in self.instances:
            self._wake(instance)

    def _wake(self, instance: Instance) -> None:
        """A ring (a slot letting a session go, or a send): the loop polls now, not later."""
        instance.backoff_ms = 0.0
        self._schedule_poll(instance, self.now)

    def _schedule_poll(self, instance: Instance, when: float) -> None:
        instance.poll_token += 1
        token = instance.poll_token
        self.at(when, lambda: self._poll(instance, token))

    def _poll(self, instance: Instance, token: int) -> None:
        if token != instance.poll_token or instance.retired:
            return
        free = [s for s in instance.slots if s.session is None]
        accepted = False
        while free:
            session = self._pop_available()
            if session is None:
                break
            self._accept(free.pop(), session)
            accepted = True
        if not free:
            return  # all slots serving: a slot letting its session go wakes the loop
        low, high = self.w.host.idle_backoff_ms
        if accepted or instance.backoff_ms == 0:
            instance.backoff_ms = low  # an accept starts the back-off over, as the worker does
        else:
            instance.backoff_ms = min(instance.backoff_ms * 2, high)
        self._schedule_poll(instance, self.now + instance.backoff_ms / 1000)

    # -- serving a session -----------------------------------------------------------------

    def _take_next(self, slot: Slot) -> None:
        session = slot.session
        assert session is not None
        if self.w.host.policy == "fleet":
            batch = [
                session.queue.popleft()
                for _ in range(min(len(session.queue), self.w.host.batch_size))
            ]
            self._count("receive", len(batch) or 1)
            self._serve_batch(slot, batch)
            return
        if session.queue:
            self._count("receive")
            message = session.queue.popleft()
            delay = self.w.host.rtt_ms / 1000 if self.w.host.prefetch == 0 else 0.0
            self.at(
                self.now + delay, lambda: self._handle(slot, message, lambda: self._take_next(slot))
            )
            return
        if self.w.host.session_idle_timeout_s <= 0:
            self._release(slot)
            return
        self._count("receive")  # the receive that waits out the idle timeout
        session.waiting_slot = slot
        slot.held_since = self.now
        slot.idle_token += 1
        token = slot.idle_token
        self.at(
            self.now + self.w.host.session_idle_timeout_s, lambda: self._idle_timeout(slot, token)
        )

    def _idle_timeout(self, slot: Slot, token: int) -> None:
        if slot.idle_token != token or slot.session is None:
            return
        slot.session.waiting_slot = None
        self._close_held(slot)
        self._release(slot)

    def _close_held(self, slot: Slot) -> None:
        if slot.held_since is not None:
            self.result.slot_held_idle_s += self.now - slot.held_since
            slot.held_since = None

    def _serve_batch(self, slot: Slot, batch: list[Message]) -> None:
        if not batch:
            self._release(slot)
            return
        head, rest = batch[0], batch[1:]
        self._handle(slot, head, lambda: self._serve_batch(slot, rest))

    def _release(self, slot: Slot) -> None:
        session = slot.session
        assert session is not None
        session.holder = None
        session.last_served = self.now
        slot.session = None
        self._count("close")
        if session.queue:
            self._offer(session)
        if self.w.host.policy == "fleet":
            self._wake(slot.instance)
        else:
            self._slot_free(slot)

    def _handle(self, slot: Slot, message: Message, then: Callable[[], None]) -> None:
        """Run one message's handler: throttled by the budgets, then settle it."""
        ops = self.ops.get(message.command, CommandOperations())
        units = ops.request_units(self.ru)
        start = self._bus_admit(self.result.ru_window.admit(self.now, units))
        self.result.request_units += units
        self.result.queue_ages.setdefault(message.tenant_class, []).append(start - message.enqueued)
        profile = self.w.profile(message.command)
        took = self._draw(profile.handler_ms / 1000, profile.cv)
        settle = self.w.host.rtt_ms / 1000
        self._executing(slot.instance, +1)
        slot.busy_since = self.now

        def done() -> None:
            self._executing(slot.instance, -1)
            if slot.busy_since is not None:
                self.result.slot_busy_s += self.now - slot.busy_since
                slot.busy_since = None
            self.result.completed += 1
            self._count("complete")
            self._follow_up(slot, message)
            then()

        self.at(start + took + settle, done)

    def _follow_up(self, slot: Slot, message: Message) -> None:
        """A run's command schedules the next poll on its session until the run ends."""
        if message.run_ends is None or slot.session is None:
            return
        if self.now >= message.run_ends and message.command == "run.poll":
            return
        attempt = message.poll_attempt + (message.command == "run.poll")
        delay = min(self.w.run_poll_interval_s * 1.25 ** min(attempt, 20), RUN_POLL_MAX_S)
        session_id, tenant_class = slot.session.id, slot.session.tenant_class
        poll = Message(0.0, tenant_class, "run.poll", message.run_ends, attempt)

        def arrive() -> None:
            poll.enqueued = self.now
            self._enqueue(session_id, tenant_class, poll)

        self.at(self.now + delay, arrive)

    def _draw(self, mean: float, cv: float) -> float:
        if cv <= 0:
            return mean
        sigma2 = math.log(1 + cv * cv)
        return self.rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))

    def _bus_admit(self, now: float) -> float:
        """ServerBusy past the namespace's budget this second: wait out the client back-off."""
        window = self.result.bus_window
        if window.limit is None or window.used.get(int(now), 0.0) <= window.limit:
            return now
        window.throttled += 1
        return int(now) + 1 + self.w.throttling.servicebus_busy_backoff_s

    def _count(self, op: str, n: int = 1) -> None:
        """Count a Service Bus operation; sends and receives spend the namespace's credits."""
        self.result.bus_ops[op] = self.result.bus_ops.get(op, 0) + n
        if op in CREDITED:
            used = self.result.bus_window.used
            used[int(self.now)] = used.get(int(self.now), 0.0) + n

    def _executing(self, instance: Instance, delta: int) -> None:
        if instance.executing == 0 and delta > 0:
            instance.executing_since = self.now
        instance.executing += delta
        if instance.executing == 0:
            self.result.executing_instance_s += self.now - instance.executing_since

    # -- instances and scaling -------------------------------------------------------------

    def _new_instance(self, ready_in: float) -> Instance:
        instance = Instance(len(self.instances))
        instance.slots = [Slot(instance) for _ in range(self.w.host.max_concurrent_sessions)]
        self.instances.append(instance)
        self.at(self.now + ready_in, lambda: self._ready(instance))
        return instance

    def _ready(self, instance: Instance) -> None:
        if instance.retired:
            return
        instance.ready = True
        if self.w.host.policy == "fleet":
            self._wake(instance)
        else:
            for slot in instance.slots:
                self._slot_free(slot)

    def _start_instances(self) -> None:
        fixed = self.w.scale.instances
        count = fixed if fixed is not None else self.w.scale.min_instances
        for _ in range(count):
            self._new_instance(0.0)

    def _live(self) -> list[Instance]:
        return [i for i in self.instances if not i.retired]

    def _scale(self) -> None:
        scale = self.w.scale
        queued = sum(len(s.queue) for s in self.sessions.values())
        if scale.queue_length_visible:
            desired = math.ceil(queued / self.w.host.max_concurrent_sessions)
        else:  # first-message age: one more instance while the oldest waits over a second
            oldest = min(
                (s.queue[0].enqueued for s in self.sessions.values() if s.queue), default=None
            )
            desired = len(self._live()) + (1 if oldest is not None and self.now - oldest > 1 else 0)
        desired = max(scale.min_instances, min(scale.max_instances, desired))
        live = self._live()
        if desired > len(live):
            for _ in range(min(desired - len(live), scale.scale_out_step)):
                self._new_instance(scale.cold_start_s)
        elif desired < len(live):
            for instance in live[::-1][: len(live) - desired]:
                if instance.ready and all(s.session is None for s in instance.slots):
                    self._retire(instance)
        if self.now < self.w.duration_s * 2:
            self.at(self.now + scale.interval_s, self._scale)

    def _retire(self, instance: Instance) -> None:
        instance.retired = True
        self._acceptors = deque(s for s in self._acceptors if s.instance is not instance)

    def _sample(self) -> None:
        live = self._live()
        ready = sum(1 for i in live if i.ready)
        self.result.instances.append((self.now, ready, len(live) - ready))
        self.result.max_instances_seen = max(self.result.max_instances_seen, len(live))
        self.result.slot_seconds += ready * self.w.host.max_concurrent_sessions
        self.result.instance_s += ready
        if self.now < self.w.duration_s * 2:
            self.at(self.now + 1.0, self._sample)

    def _finish(self, horizon: float) -> None:
        self.result.backlog = sum(len(s.queue) for s in self.sessions.values())
        for instance in self.instances:
            if instance.executing:
                self.result.executing_instance_s += horizon - instance.executing_since
            for slot in instance.slots:
                if slot.held_since is not None:
                    self.result.slot_held_idle_s += horizon - slot.held_since


def simulate(
    workload: Workload,
    operations: dict[str, CommandOperations],
    request_units: RequestUnits,
) -> Result:
    """Simulate one workload."""
    return Simulation(workload, operations, request_units).run()
