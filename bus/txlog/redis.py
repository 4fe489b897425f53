"""The transaction log on a Redis stream, safe with several gateway processes appending at once.

Keys (K = the stream key): K the stream, one entry per transaction with fields seq, prev, hash,
subjects, issue, entry (the JSON); K:head {seq, hash, id} the last append; K:anchor {seq, hash} the first
retained sequence and the hash it must chain on; K:subject:<citizen id> and K:issue:<dossier code>
sorted sets of stream ids scored by request_in (ms).

Why compare-and-set in Lua: the entry hash is SHA-256, which Redis scripts cannot compute, so the
entry is built in Python on the head it last saw; the script appends only if the head is still that
one, and moves head, anchor, subject index and retention in the same atomic step. A loser gets the
current head back in the same reply and retries at once: one round trip when uncontended, no
connection-bound WATCH state, and no way for two processes to chain on the same predecessor.

Records a process's tasks append while one append is on its way go together in the next (group commit,
up to `APPEND_BATCH`): one script call chains them all, so concurrent calls share one round trip.

A record may carry a ride (`append_riding`): another component's writes (the call's monitoring record)
that travel in the same script and run only once the entries are chained, so a record the log refuses
(a moved head is retried, a missing head refused) never has them written; one round trip for both.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.commands.core import AsyncScript
from redis.exceptions import ResponseError

from bus.group_commit import GroupCommit
from bus.redis_client import CONNECT_TIMEOUT, SOCKET_TIMEOUT, prompt_writes, run_script
from bus.transaction import TransactionRecord
from bus.txlog.base import Bound, SubjectAccess, VerifyReport, check_bounds, within
from bus.txlog.entry import GENESIS_HASH, LogEntry, TransactionBodies, build_entry
from bus.txlog.settings import TxLogSettings
from bus.txlog.verify import ChainMark, ChainVerifier

log = logging.getLogger(__name__)

BATCH = 1000
# Records chained in one script call at most.
APPEND_BATCH = 64
# A who-accessed or dossier answer is for people to read; past this many rows, narrow the period.
MAX_INDEX_RESULTS = 10_000

# KEYS: stream, head, anchor. ARGV[1..8]: the head the entries chain on (seq, hash), max entries, trim
# batch, subject prefix, genesis hash, issue prefix, number of entries; then per entry (5 each): hash,
# entry JSON, subjects (comma-separated), request_in (ms), issue. Appends all of them or none.
_APPEND = """
local head = redis.call('HMGET', KEYS[2], 'seq', 'hash')
local seq = tonumber(head[1]) or 0
local hash = head[2] or ARGV[6]
-- Without its head a non-empty log would restart at 1 and hide the damage; refuse until verified.
if seq == 0 and redis.call('XLEN', KEYS[1]) > 0 then
    return redis.error_reply('LGSP_TXLOG_NO_HEAD the head key is missing but the stream is not empty')
end
if seq ~= tonumber(ARGV[1]) or hash ~= ARGV[2] then
    return {0, tostring(seq), hash}
end
if seq == 0 then
    redis.call('HSET', KEYS[3], 'seq', 1, 'hash', ARGV[6])
end
local id
for i = 0, tonumber(ARGV[8]) - 1 do
    local at = 9 + 5 * i
    local entry_hash, subjects, request_in, issue = ARGV[at], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
    seq = seq + 1
    id = redis.call('XADD', KEYS[1], '*', 'seq', seq, 'prev', hash, 'hash', entry_hash,
        'subjects', subjects, 'issue', issue, 'entry', ARGV[at + 1])
    hash = entry_hash
    for subject in string.gmatch(subjects, '[^,]+') do
        redis.call('ZADD', ARGV[5] .. subject, request_in, id)
    end
    if issue ~= '' then
        redis.call('ZADD', ARGV[7] .. issue, request_in, id)
    end
end
redis.call('HSET', KEYS[2], 'seq', seq, 'hash', hash, 'id', id)
local limit = tonumber(ARGV[3])
if limit > 0 then
    local length = redis.call('XLEN', KEYS[1])
    if length > limit + tonumber(ARGV[4]) then
        local doomed = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', length - limit)
        local last_seq, last_hash
        for _, item in ipairs(doomed) do
            local fields = {}
            for i = 1, #item[2], 2 do fields[item[2][i]] = item[2][i + 1] end
            for subject in string.gmatch(fields['subjects'] or '', '[^,]+') do
                redis.call('ZREM', ARGV[5] .. subject, item[1])
            end
            if (fields['issue'] or '') ~= '' then
                redis.call('ZREM', ARGV[7] .. fields['issue'], item[1])
            end
            last_seq, last_hash = fields['seq'], fields['hash']
        end
        redis.call('XTRIM', KEYS[1], 'MAXLEN', limit)
        -- The anchor moves past exactly what retention removed, so verify still sees a whole chain.
        if last_seq then
            redis.call('HSET', KEYS[3], 'seq', tonumber(last_seq) + 1, 'hash', last_hash)
        end
    end
end
return {1, tostring(seq), id}
"""


# The append with a rider: KEYS are the log's three, then the rider's; ARGV[1] the log's argument count,
# then the log's arguments, then the rider's. The rider runs only on a chained append, in a protected call:
# its failure leaves the entries chained and comes back as a fourth reply field ('' when it ran).
_RIDING = """
local done = append({KEYS[1], KEYS[2], KEYS[3]}, {unpack(ARGV, 2, 1 + tonumber(ARGV[1]))})
if done[1] == 1 then
    local ok, err = pcall(ride, {unpack(KEYS, 4)}, {unpack(ARGV, 2 + tonumber(ARGV[1]))})
    done[4] = ok and '' or (type(err) == 'table' and err.err) or tostring(err)
end
return done
"""


class Rider(Protocol):
    """Writes that ride in the log's append script, run only once the entries are chained."""

    @property
    def script(self) -> str:
        """A Lua chunk over its own KEYS and ARGV (run as a function's body; its reply is ignored)."""
        ...

    def keys_and_args(self, rides: Sequence[Any]) -> tuple[list[str], list[Any]]:
        """The KEYS and ARGV the chunk takes for these rides, in order."""
        ...


@dataclass(frozen=True)
class Ridden:
    """An append's entry, and why its ride failed (None when the rider's writes ran)."""

    entry: LogEntry
    failure: str | None


def _riding_script(rider: Rider) -> str:
    """The append and `rider`'s chunk as one script."""
    return (
        f"local function append(KEYS, ARGV)\n{_APPEND}\nend\n"
        f"local function ride(KEYS, ARGV)\n{rider.script}\nend\n{_RIDING}"
    )


# What the group commit takes: a record, its bodies kept, and its ride (its rider, and what it writes).
_Append = tuple[TransactionRecord, TransactionBodies | None, tuple[Rider, Any] | None]


class TransactionLogDamaged(RuntimeError):
    """The log's own bookkeeping is gone (head key deleted); appending would hide the damage."""


class TransactionLogBusy(RuntimeError):
    """An append lost the compare-and-set race more times than configured."""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _mark(fields: dict[str, str]) -> ChainMark | None:
    try:
        return ChainMark(int(fields["seq"]), fields["hash"])
    except (KeyError, ValueError):
        return None


class RedisTransactionLog:
    """A `TransactionLog` on a Redis stream (redis.asyncio); connects lazily."""

    def __init__(self, settings: TxLogSettings) -> None:
        if settings.redis_url is None:
            raise ValueError("RedisTransactionLog needs settings.redis_url")
        self.settings = settings
        key = settings.stream_key
        self.stream_key, self.head_key, self.anchor_key = key, f"{key}:head", f"{key}:anchor"
        self.subject_prefix = f"{key}:subject:"
        self.issue_prefix = f"{key}:issue:"
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._head: ChainMark | None = None
        self.conflicts = 0  # appends that found another process had moved the head: a contention gauge
        # Tasks of one process never race each other: their records are chained in batches, one at a time.
        self._appends: GroupCommit[_Append, Ridden] = GroupCommit(self._append_batch, max_batch=APPEND_BATCH)

    @property
    def append_calls(self) -> int:
        """Script calls made to append so far: appends / append_calls is the batching achieved."""
        return self._appends.batches

    async def append(self, record: TransactionRecord, bodies: TransactionBodies | None = None) -> LogEntry:
        """Chain `record` onto the log; bodies are kept only for the configured body services."""
        kept = bodies if self.settings.logs_bodies_of(record.service) else None
        return (await self._appends.submit((record, kept, None))).entry

    async def append_riding(self, record: TransactionRecord, rider: Rider, ride: Any) -> Ridden:
        """Chain `record` (no bodies) and, in the same script once it is chained, `rider`'s writes for
        `ride`; refused or failed like `append`, and then the rider's writes are not made."""
        return await self._appends.submit((record, None, (rider, ride)))

    async def _append_batch(self, batch: Sequence[_Append]) -> list[Ridden]:
        """Chain every record of `batch`, in order, in one script call (again on a moved head), with the
        rides some carry."""
        rides = [ride for _, _, ride in batch if ride is not None]
        riders = {id(rider) for rider, _ in rides}
        if len(riders) > 1:
            raise ValueError("the records of one log carry rides of one rider only")
        keys = [self.stream_key, self.head_key, self.anchor_key]
        ride_args: list[Any] = []
        if rides:
            rider = rides[0][0]
            ride_keys, ride_args = rider.keys_and_args([ride for _, ride in rides])
            keys += ride_keys
            script = self._script(_riding_script(rider))
        else:
            script = self._script(_APPEND)
        head = self._head or await self._read_head()
        for attempt in range(self.settings.max_append_attempts):
            entries = self._chain(head, batch)
            args = self._script_args(head, entries)
            if rides:
                args = [len(args), *args, *ride_args]
            try:
                done, seq, other, *failure = await run_script(self._redis(), script, keys, args)
            except ResponseError as exc:
                if "LGSP_TXLOG_NO_HEAD" in str(exc):
                    raise TransactionLogDamaged(f"{self.head_key} is missing; run `lgsp log verify`") from exc
                raise
            except BaseException:
                self._head = None  # whether it was appended is unknown: read the head again
                raise
            if int(done) == 1:
                self._head = ChainMark(entries[-1].sequence, entries[-1].entry_hash)
                failed = failure[0] or None if failure else None
                return [
                    Ridden(entry, failed if ride is not None else None)
                    for entry, (_, _, ride) in zip(entries, batch, strict=True)
                ]
            self.conflicts += 1
            head = ChainMark(int(seq), str(other))
            if attempt >= 2:
                # Several processes keep colliding: spread them out a little.
                await asyncio.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
        self._head = None
        ids = ", ".join(record.transaction_id for record, _, _ in batch)
        raise TransactionLogBusy(
            f"could not append transaction(s) {ids} in {self.settings.max_append_attempts} attempts"
        )

    @staticmethod
    def _chain(head: ChainMark, batch: Sequence[_Append]) -> list[LogEntry]:
        entries: list[LogEntry] = []
        last = head
        for record, kept, _ in batch:
            entries.append(build_entry(record, last.sequence + 1, last.hash, kept))
            last = ChainMark(entries[-1].sequence, entries[-1].entry_hash)
        return entries

    async def entries(self, start: Bound = None, end: Bound = None) -> AsyncIterator[LogEntry]:
        """Readable entries in stored order, both bounds inclusive, by sequence (int) or request_in time."""
        check_bounds(start, end)
        low, high = "-", "+"
        slack = timedelta(seconds=self.settings.time_slack_seconds)
        # A stream id is the append time, a little after request_in; widen, then filter exactly.
        if isinstance(start, datetime):
            low = str(max(0, _ms(start - slack)))
        if isinstance(end, datetime):
            high = str(_ms(end + slack))
        async for _, fields in self._scan(low, high):
            try:
                entry = LogEntry.from_json(fields.get("entry", ""))
            except ValidationError:
                continue
            if isinstance(end, int) and entry.sequence > end:
                return
            if within(entry, start, end):
                yield entry

    async def verify(self) -> VerifyReport:
        """Walk the whole chain and report every alteration, deletion, insertion, reordering, truncation."""
        client = self._redis()
        # The anchor and the first batch, and later the head and the (empty) tail, are each read in
        # one transaction, so concurrent appends and trimming never look like tampering.
        async with client.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.anchor_key)
            pipe.xrange(self.stream_key, "-", "+", count=BATCH)
            anchor_fields, batch = await pipe.execute()
        verifier = ChainVerifier(_mark(anchor_fields))
        items: list[tuple[str, dict[str, str]]] = batch
        last_id: str | None = None
        while True:
            for stream_id, fields in items:
                self._check_stored(verifier, stream_id, fields)
            if items:
                last_id = items[-1][0]
            async with client.pipeline(transaction=True) as pipe:
                pipe.xrange(self.stream_key, f"({last_id}" if last_id else "-", "+", count=BATCH)
                pipe.hgetall(self.head_key)
                items, head_fields = await pipe.execute()
            if not items:
                return verifier.report(_mark(head_fields))

    async def by_subject(
        self, citizen_id: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[SubjectAccess]:
        """Every transaction about `citizen_id` in the period, oldest first."""
        found = await self._indexed(self.subject_prefix + citizen_id, since, until)
        return [SubjectAccess.of(entry) for entry in found if citizen_id in entry.subjects]

    async def by_issue(
        self, issue: str, since: datetime | None = None, until: datetime | None = None
    ) -> list[LogEntry]:
        """Every transaction made for dossier `issue` in the period, oldest first."""
        return [
            entry
            for entry in await self._indexed(self.issue_prefix + issue, since, until)
            if entry.issue == issue
        ]

    async def _indexed(self, index: str, since: datetime | None, until: datetime | None) -> list[LogEntry]:
        """The readable entries a sorted-set index lists in the period, oldest first."""
        check_bounds(since, until)
        client = self._redis()
        ids: list[str] = await client.zrangebyscore(  # type: ignore[assignment]
            index,
            _ms(since) if since else "-inf",
            _ms(until) if until else "+inf",
            start=0,
            num=MAX_INDEX_RESULTS,
        )
        async with client.pipeline(transaction=False) as pipe:
            for stream_id in ids:
                pipe.xrange(self.stream_key, stream_id, stream_id)
            found: list[list[tuple[str, dict[str, str]]]] = await pipe.execute()
        entries: list[LogEntry] = []
        for rows in found:
            for _, fields in rows:
                try:
                    entry = LogEntry.from_json(fields.get("entry", ""))
                except ValidationError:
                    continue
                if within(entry, since, until):
                    entries.append(entry)
        # Ids of one millisecond (a batch) sort as text in the index ("…-10" before "…-2"): order by chain.
        return sorted(entries, key=lambda entry: entry.sequence)

    async def close(self) -> None:
        """Finish the appends under way, close the connection pool; idempotent, and a later call opens
        a fresh one."""
        await self._appends.drain()
        client, self._client = self._client, None
        self._scripts.clear()
        if client is not None:
            await client.aclose()

    def _check_stored(self, verifier: ChainVerifier, stream_id: str, fields: dict[str, str]) -> None:
        try:
            entry = LogEntry.from_json(fields.get("entry", ""))
        except ValidationError as exc:
            verifier.add_unreadable(stream_id, f"{exc.error_count()} validation error(s)")
            return
        verifier.add(stream_id, entry)
        # The script trims by these fields, so they must agree with the hashed entry.
        if (fields.get("seq"), fields.get("prev"), fields.get("hash")) != (
            str(entry.sequence),
            entry.prev_hash,
            entry.entry_hash,
        ):
            verifier.add_finding(
                "hash_mismatch", entry.sequence, stream_id, "stream fields disagree with the entry"
            )

    def _script_args(self, head: ChainMark, entries: Sequence[LogEntry]) -> list[Any]:
        args: list[Any] = [
            head.sequence,
            head.hash,
            self.settings.max_entries or 0,
            self.settings.trim_batch,
            self.subject_prefix,
            GENESIS_HASH,
            self.issue_prefix,
            len(entries),
        ]
        for entry in entries:
            args += [
                entry.entry_hash,
                entry.to_json(),
                ",".join(entry.subjects),
                _ms(entry.request_in),
                entry.issue or "",
            ]
        return args

    async def _read_head(self) -> ChainMark:
        fields: dict[str, str] = await self._redis().hgetall(self.head_key)  # type: ignore[assignment]
        return _mark(fields) or ChainMark(0, GENESIS_HASH)

    async def _scan(self, low: str, high: str) -> AsyncIterator[tuple[str, dict[str, str]]]:
        client = self._redis()
        while True:
            batch: list[tuple[str, dict[str, str]]] = await client.xrange(  # type: ignore[assignment]
                self.stream_key, low, high, count=BATCH
            )
            for item in batch:
                yield item
            if len(batch) < BATCH:
                return
            low = f"({batch[-1][0]}"

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            assert self.settings.redis_url is not None
            # Replies are str; redis-py annotates them bytes | str, hence the ignores on reads above.
            client = aioredis.Redis.from_url(
                self.settings.redis_url,
                decode_responses=True,
                socket_timeout=SOCKET_TIMEOUT,
                socket_connect_timeout=CONNECT_TIMEOUT,
            )
            prompt_writes(client.connection_pool)  # each append's write without a task of its own
            self._client = client
        return self._client

    def _script(self, source: str) -> AsyncScript:
        """The Lua `source` registered once on the current client."""
        if source not in self._scripts:
            self._scripts[source] = self._redis().register_script(source)
        return self._scripts[source]
