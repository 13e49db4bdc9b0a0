"""A circuit breaker per tenant+instance, with its state in Redis (shared by every worker
process) or in process memory.

Semantics (ADR 0006, from the original's §6.2 plus the half-open probe it lacked): a failure
is recorded with its time; when `max_failures` fall within `window` the circuit OPENS for
`cooldown`. After the cooldown exactly one caller wins the probe (HALF_OPEN); its success
CLOSES the circuit and clears the failures, its failure re-opens it for another cooldown. The
probe permit expires after `probe_timeout`, so a worker that died mid-probe does not wedge it.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from redis.asyncio import Redis

__all__ = [
    "Admission",
    "BreakerPolicy",
    "CircuitBreaker",
    "CircuitState",
    "MemoryCircuitStore",
    "RedisCircuitStore",
]


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    max_failures: int = 5
    window: float = 60.0
    cooldown: float = 120.0
    probe_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class Admission:
    """`allowed`, or not before `retry_at` (epoch seconds)."""

    allowed: bool
    state: CircuitState
    retry_at: float = 0.0


class CircuitStore(Protocol):
    """The few atomic primitives the breaker needs, so Redis and memory behave alike."""

    async def add_failure(self, key: str, at: float, window: float) -> int:
        """Record a failure; the number of failures within `window` before `at`."""
        ...

    async def opened_at(self, key: str) -> float | None: ...

    async def open(self, key: str, at: float, *, only_if_closed: bool) -> bool:
        """Mark open at `at`; with `only_if_closed`, False when it was already open."""
        ...

    async def take_probe(self, key: str, ttl: float) -> bool:
        """One caller per `ttl` wins the half-open probe."""
        ...

    async def close(self, key: str) -> bool:
        """Clear everything; True when the circuit was open."""
        ...


@dataclass(slots=True)
class _MemoryCircuit:
    failures: list[float] = field(default_factory=list)
    opened_at: float | None = None
    probe_until: float = 0.0


class MemoryCircuitStore:
    """One process's circuits; enough when a single process runs the outbound worker."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._circuits: dict[str, _MemoryCircuit] = {}
        self._clock = clock

    async def add_failure(self, key: str, at: float, window: float) -> int:
        circuit = self._circuits.setdefault(key, _MemoryCircuit())
        circuit.failures = [moment for moment in circuit.failures if moment > at - window]
        circuit.failures.append(at)
        return len(circuit.failures)

    async def opened_at(self, key: str) -> float | None:
        circuit = self._circuits.get(key)
        return None if circuit is None else circuit.opened_at

    async def open(self, key: str, at: float, *, only_if_closed: bool) -> bool:
        circuit = self._circuits.setdefault(key, _MemoryCircuit())
        if only_if_closed and circuit.opened_at is not None:
            return False
        circuit.opened_at, circuit.probe_until = at, 0.0
        return True

    async def take_probe(self, key: str, ttl: float) -> bool:
        circuit = self._circuits.setdefault(key, _MemoryCircuit())
        now = self._clock()
        if circuit.probe_until > now:
            return False
        circuit.probe_until = now + ttl
        return True

    async def close(self, key: str) -> bool:
        circuit = self._circuits.pop(key, None)
        return circuit is not None and circuit.opened_at is not None


class RedisCircuitStore:
    """Circuits shared by every process: a sorted set of failure times, the opening time and a
    probe permit, each command atomic on its own (a lost race costs at most one extra call)."""

    def __init__(self, redis: Redis, prefix: str = "leadengine:outbound:circuit") -> None:
        self._redis = redis
        self._prefix = prefix
        self._sequence = itertools.count()
        self._process = uuid.uuid4().hex[:8]

    def _key(self, key: str, part: str) -> str:
        return f"{self._prefix}:{key}:{part}"

    async def add_failure(self, key: str, at: float, window: float) -> int:
        failures = self._key(key, "failures")
        member = f"{at}:{self._process}:{next(self._sequence)}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(failures, "-inf", at - window)
            pipe.zadd(failures, {member: at})
            pipe.zcard(failures)
            pipe.expire(failures, max(1, int(window) + 1))
            results = await pipe.execute()
        return int(results[2])

    async def opened_at(self, key: str) -> float | None:
        value = await self._redis.get(self._key(key, "opened_at"))
        return None if value is None else float(value)

    async def open(self, key: str, at: float, *, only_if_closed: bool) -> bool:
        opened = await self._redis.set(self._key(key, "opened_at"), repr(at), nx=only_if_closed)
        await self._redis.delete(self._key(key, "probe"))
        return bool(opened)

    async def take_probe(self, key: str, ttl: float) -> bool:
        taken = await self._redis.set(
            self._key(key, "probe"), "1", nx=True, px=max(1, int(ttl * 1000))
        )
        return bool(taken)

    async def close(self, key: str) -> bool:
        parts = [self._key(key, part) for part in ("opened_at", "failures", "probe")]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(parts[0])
            pipe.delete(*parts)
            was_open, _ = await pipe.execute()
        return was_open is not None


class CircuitBreaker:
    def __init__(
        self,
        store: CircuitStore,
        policy: BreakerPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy
        self._clock = clock

    @staticmethod
    def key(tenant_id: UUID, instance_id: UUID) -> str:
        return f"{tenant_id}:{instance_id}"

    async def state(self, key: str) -> CircuitState:
        opened_at = await self.store.opened_at(key)
        if opened_at is None:
            return CircuitState.CLOSED
        if self._clock() < opened_at + self.policy.cooldown:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN

    async def admit(self, key: str) -> Admission:
        """Whether a call may go out now; after the cooldown only the probe's winner may."""
        opened_at = await self.store.opened_at(key)
        if opened_at is None:
            return Admission(True, CircuitState.CLOSED)
        now = self._clock()
        reopens_at = opened_at + self.policy.cooldown
        if now < reopens_at:
            return Admission(False, CircuitState.OPEN, reopens_at)
        if await self.store.take_probe(key, self.policy.probe_timeout):
            return Admission(True, CircuitState.HALF_OPEN)
        return Admission(False, CircuitState.HALF_OPEN, now + min(1.0, self.policy.cooldown))

    async def record_failure(self, key: str) -> bool:
        """Count a failed call; True when this failure opened the circuit."""
        now = self._clock()
        if await self.store.opened_at(key) is not None:
            await self.store.open(key, now, only_if_closed=False)  # the probe failed
            return False
        count = await self.store.add_failure(key, now, self.policy.window)
        if count < self.policy.max_failures:
            return False
        return await self.store.open(key, now, only_if_closed=True)

    async def record_success(self, key: str) -> bool:
        """A call went through; True when this success closed an open circuit."""
        return await self.store.close(key)
