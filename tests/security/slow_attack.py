"""Issue 14's attack, shared by the attack table and the slow-client tests: 260 connections holding
one valid key, each sending its headers and 10 of 1,000 body bytes, while another agency calls.

What it proves does not hang on the machine's speed: how many connections are refused with 429 and
how many are cut off at the body time-out varies with how fast the gateway takes them in (slots freed
by cut-off connections are taken by later ones), so the tests check the attacker's peak share of
in-flight slots (`share_peaks`, a spy on the gateway's own slots) and each connection's own fate and time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from unittest import mock

import httpx

from bus.gateway.backpressure import Slot
from bus.http_intake import HttpIntakeSettings
from tests.security.served import AGENCY, ATTACKER, ECHO, ServedGateway, head

SHARE = 256 // 2  # the default per-client share of the default 256 in-flight slots
# Long enough for a loaded machine to read all 260 requests' headers before the first share is cut off
# (cut sooner, freed slots admit later arrivals and fewer are refused).
ATTACK_BODY_TIMEOUT = 3.0
ATTACK_INTAKE = HttpIntakeSettings(header_timeout=ATTACK_BODY_TIMEOUT, body_timeout=ATTACK_BODY_TIMEOUT)
# How late a cut-off may come: the attack's 128 cut-offs fall due together, in the process that also reads
# all 260 sockets (on a slow 2-core machine the last came 1.10 s late). Without the time-outs: > 100 s.
ATTACK_SLACK = 2.0


@dataclass
class SlowAttack:
    """What the attack saw: each attacker connection's answer (b"" if closed unanswered) and seconds
    from its bytes sent to its close, the agency's statuses, the attacker's transaction faults."""

    answers: list[bytes]
    seconds: list[float]
    agency: list[int]
    faults: Counter[str | None]

    @property
    def refused(self) -> int:
        """Connections answered 429 at once."""
        return sum(1 for a in self.answers if a.startswith(b"HTTP/1.1 429 "))

    @property
    def cut_off(self) -> int:
        """Connections closed without an answer."""
        return sum(1 for a in self.answers if not a)

    def late(self, limit: float) -> list[float]:
        """Connections that took longer than `limit` to be refused or cut off."""
        return [s for s in self.seconds if s > limit]


@contextlib.contextmanager
def share_peaks() -> Iterator[Counter[str]]:
    """Each client's highest count of in-flight slots held at once, as the gateway's slots count."""
    held: Counter[str] = Counter()
    peaks: Counter[str] = Counter()
    owners: dict[int, str] = {}
    claim, release = Slot.claim_for, Slot.release

    def claim_for(slot: Slot, client: str) -> None:
        claim(slot, client)  # raises RateLimited past the share: nothing held then
        if id(slot) not in owners:
            owners[id(slot)] = client
            held[client] += 1
            peaks[client] = max(peaks[client], held[client])

    def released(slot: Slot) -> None:
        release(slot)
        client = owners.pop(id(slot), None)
        if client is not None:
            held[client] -= 1

    with mock.patch.object(Slot, "claim_for", claim_for), mock.patch.object(Slot, "release", released):
        yield peaks


async def _fate(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sent_at: float
) -> tuple[bytes, float]:
    try:
        answer = await asyncio.wait_for(reader.read(), 30)
    except ConnectionResetError:
        # Closed by the server with bytes of ours unread (a time-out that fired before the loop got to
        # them): a reset instead of a FIN, but cut off all the same.
        answer = b""
    finally:
        writer.close()
    return answer, time.monotonic() - sent_at


async def slow_connection_attack(
    gateway: ServedGateway, connections: int = 260, agency_calls: int = 10
) -> SlowAttack:
    """`connections` sockets with the attacker's valid key, each sending its headers and 10 of 1,000 body
    bytes as soon as it is open, then silence; while they wait, the agency calls the same service
    `agency_calls` times. Run inside `share_peaks` to learn the attacker's peak share."""
    fates: list[asyncio.Task[tuple[bytes, float]]] = []
    for _ in range(connections):
        reader, writer = await asyncio.open_connection(gateway.host, gateway.port)
        # Sent at once: the header clock starts at accept, not once every socket is open.
        writer.write(head(ATTACKER, 1000) + b'{"a": "xx')
        fates.append(asyncio.create_task(_fate(reader, writer, time.monotonic())))
    await asyncio.sleep(0.2)  # the gateway has admitted what it admits
    async with httpx.AsyncClient(base_url=gateway.url) as agency:
        served = [
            (await agency.post(ECHO, json={"n": n}, headers=AGENCY)).status_code for n in range(agency_calls)
        ]
    ended = await asyncio.gather(*fates)
    await asyncio.sleep(0.1)  # the app's answer to the last disconnects is recorded
    return SlowAttack(
        answers=[answer for answer, _ in ended],
        seconds=[seconds for _, seconds in ended],
        agency=served,
        faults=Counter(r.fault_type for r in gateway.records if r.client == ATTACKER["x-road-client"]),
    )
