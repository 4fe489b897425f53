"""Monitoring state in Redis, shared by every gateway replica: a capped list and one hash per service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bus.group_commit import GroupCommit
from bus.monitoring.labels import HealthSample
from bus.monitoring.records import DurationStats, OperationalRecord, ServiceHealth
from bus.monitoring.state import MonitoringState, check_positive, check_query, matches
from bus.redis_client import LazyRedis

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FAULT_FIELD = "fault:"

# One script, so a record and its aggregate land together and min/max/last never race between replicas;
# it takes every record a process gathered meanwhile (group commit), so concurrent calls share one trip.
# KEYS: records list, services set, then each record's service hash.
# ARGV: records kept; then per record (6 each): record JSON, service, succeeded (1/0), duration ms,
# request-in µs, fault type.
_ADD = """
local function greater(a, b) return a > b end
local function smaller(a, b) return a < b end
for i = 0, #KEYS - 3 do
    local at = 2 + 6 * i
    local h = KEYS[3 + i]
    local function keep_if(field, value, better)
        local old = redis.call('HGET', h, field)
        if not old or better(tonumber(value), tonumber(old)) then
            redis.call('HSET', h, field, value)
        end
    end
    redis.call('LPUSH', KEYS[1], ARGV[at])
    redis.call('SADD', KEYS[2], ARGV[at + 1])
    redis.call('HINCRBY', h, 'count', 1)
    if ARGV[at + 2] == '1' then
        redis.call('HINCRBYFLOAT', h, 'duration_sum', ARGV[at + 3])
        keep_if('duration_min', ARGV[at + 3], smaller)
        keep_if('duration_max', ARGV[at + 3], greater)
        keep_if('last_success', ARGV[at + 4], greater)
    else
        redis.call('HINCRBY', h, 'failures', 1)
        redis.call('HINCRBY', h, 'fault:' .. ARGV[at + 5], 1)
        keep_if('last_failure', ARGV[at + 4], greater)
    end
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
"""
# Records written in one script call at most.
ADD_BATCH = 64


def _microseconds(moment: datetime) -> int:
    # Integer arithmetic: a float timestamp would lose the last microseconds.
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _moment(raw: str | None) -> datetime | None:
    return None if raw is None else _EPOCH + timedelta(microseconds=int(raw))


def _health(service: str, fields: dict[str, str]) -> ServiceHealth:
    count = int(fields.get("count", 0))
    failures = int(fields.get("failures", 0))
    durations = None
    if count > failures and "duration_min" in fields and "duration_max" in fields:
        durations = DurationStats(
            min=float(fields["duration_min"]),
            avg=float(fields["duration_sum"]) / (count - failures),
            max=float(fields["duration_max"]),
        )
    return ServiceHealth(
        service=service,
        request_count=count,
        failure_count=failures,
        last_success=_moment(fields.get("last_success")),
        last_failure=_moment(fields.get("last_failure")),
        successful_duration_ms=durations,
        faults={
            name[len(_FAULT_FIELD) :]: int(value)
            for name, value in fields.items()
            if name.startswith(_FAULT_FIELD)
        },
    )


class RedisMonitoringState(MonitoringState):
    """Monitoring state every replica shares; `connect` checks the server, operations connect lazily."""

    def __init__(
        self,
        url: str,
        *,
        records_kept: int = 10_000,
        prefix: str = "lgsp:monitoring:",
        max_connections: int = 32,
        pool_timeout: float = 5.0,
    ) -> None:
        self._records_kept = check_positive(records_kept, "records kept")
        self._prefix = prefix
        self.url = url
        self._redis = LazyRedis(url, max_connections=max_connections, pool_timeout=pool_timeout)
        self._adds: GroupCommit[tuple[OperationalRecord, HealthSample], None] = GroupCommit(
            self._add_batch, max_batch=ADD_BATCH
        )

    @property
    def records_key(self) -> str:
        """The Redis list holding the latest records as JSON, newest first."""
        return self._prefix + "records"

    @property
    def services_key(self) -> str:
        """The Redis set naming every service with a health hash."""
        return self._prefix + "services"

    def health_key(self, service: str) -> str:
        """The Redis hash holding one service's aggregates."""
        return self._prefix + "health:" + service

    async def connect(self) -> None:
        """Open the pool and ping the server, so a wrong URL fails here; idempotent."""
        await self._redis.ping()

    async def close(self) -> None:
        """Finish the writes under way, close the pool; a later operation opens a fresh one."""
        await self._adds.drain()
        await self._redis.close()

    async def add(self, record: OperationalRecord, sample: HealthSample) -> None:
        """Push `record` onto the capped list and fold `sample` into its service's hash, atomically
        (with the records other calls of this process add meanwhile)."""
        await self._adds.submit((record, sample))

    @property
    def script(self) -> str:
        """The Lua that `add` runs, over `keys_and_args` of its records: what another component's script
        (the transaction log's append) may run for them, so that they leave with its own writes."""
        return _ADD

    def keys_and_args(
        self, batch: Sequence[tuple[OperationalRecord, HealthSample]]
    ) -> tuple[list[str], list[str | int]]:
        """The KEYS and ARGV of `script` adding `batch`'s records, in order."""
        args: list[str | int] = [self._records_kept]
        for record, sample in batch:
            args += [
                record.model_dump_json(),
                sample.service,
                1 if sample.succeeded else 0,
                repr(sample.duration_ms),
                _microseconds(sample.request_in),
                sample.fault_type,
            ]
        return [self.records_key, self.services_key, *(self.health_key(s.service) for _, s in batch)], args

    async def _add_batch(self, batch: Sequence[tuple[OperationalRecord, HealthSample]]) -> list[None]:
        keys, args = self.keys_and_args(batch)
        await self._redis.script(_ADD)(keys=keys, args=args)
        return [None] * len(batch)

    async def health(self) -> list[ServiceHealth]:
        """Health of every service any replica has seen, ordered by service id."""
        client = self._redis.client()
        services = sorted(_text(name) for name in await client.smembers(self.services_key))
        async with client.pipeline(transaction=False) as pipe:
            for service in services:
                pipe.hgetall(self.health_key(service))
            hashes = await pipe.execute()
        return [
            _health(service, {_text(k): _text(v) for k, v in fields.items()})
            for service, fields in zip(services, hashes, strict=True)
        ]

    async def latest(
        self,
        *,
        limit: int,
        service: str | None = None,
        since: datetime | None = None,
        issue: str | None = None,
    ) -> list[OperationalRecord]:
        """Up to `limit` kept records, newest first, of `service`, ending at or after `since`, made for
        dossier `issue`."""
        check_query(limit, since)
        filtered = service is not None or since is not None or issue is not None
        # Unfiltered reads stop at `limit`; filtered ones scan the whole ring, which is bounded.
        raw = await self._redis.client().lrange(self.records_key, 0, -1 if filtered else limit - 1)
        found: list[OperationalRecord] = []
        for item in raw:
            record = OperationalRecord.model_validate_json(item)
            if matches(record, service, since, issue):
                found.append(record)
                if len(found) >= limit:
                    break
        return found


def _text(value: bytes | str) -> str:
    # A URL may ask for decode_responses; accept both forms.
    return value.decode() if isinstance(value, bytes) else value
