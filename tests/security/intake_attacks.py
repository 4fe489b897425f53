"""The connection-level attack cases of issue 14, against the gateway as uvicorn serves it on a real
socket (the secured stack answers in-process, below any socket): slow clients and mutual TLS."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import httpx

from bus.http_intake import HttpIntakeSettings
from tests.in_process_stack import SecuredStack
from tests.pki import make_pki, subject
from tests.security.attacks import Attack, http_outcome
from tests.security.input_attacks import Run
from tests.security.served import (
    AGENCY,
    ATTACKER,
    ECHO,
    closed_after,
    closed_in_time,
    head,
    served_gateway,
)
from tests.security.slow_attack import (
    ATTACK_BODY_TIMEOUT,
    ATTACK_INTAKE,
    ATTACK_SLACK,
    SHARE,
    share_peaks,
    slow_connection_attack,
)

HEADER_TIMEOUT = 0.3
BODY_TIMEOUT = 0.6
INTAKE = HttpIntakeSettings(header_timeout=HEADER_TIMEOUT, body_timeout=BODY_TIMEOUT)
CLOSED_IN_TIME = "closed within the read time-out"


def cut_off(sent: bytes, timeout: float) -> Run:
    """One slow connection, and the agency's call to the same gateway while it hangs there."""

    async def run(_: SecuredStack, __: httpx.AsyncClient) -> str:
        async with served_gateway(INTAKE) as gateway, httpx.AsyncClient(base_url=gateway.url) as agency:
            slow = asyncio.create_task(closed_after(gateway, sent, timeout + 5))
            served = (await agency.post(ECHO, json={}, headers=AGENCY)).status_code
            took, answer = await slow
        if answer:
            return f"answered {answer.split(b' ', 2)[1].decode()}"
        # Not before its time-out either: a close for another reason would prove nothing.
        timing = CLOSED_IN_TIME if closed_in_time(took, timeout) else f"closed after {took:.2f} s"
        return f"{timing}; agency {served}"

    return run


async def slow_connections(_: SecuredStack, __: httpx.AsyncClient) -> str:
    """260 connections with one valid key, headers and 10 of 1,000 body bytes each; another agency calls.

    Which of them are refused and which cut off varies with the machine's speed: the row says whether
    each was one or the other in time, and whether the attacker ever held more than its share."""
    with share_peaks() as peaks:
        async with served_gateway(ATTACK_INTAKE) as gateway:
            attack = await slow_connection_attack(gateway)
    others = len(attack.answers) - attack.refused - attack.cut_off
    late = attack.late(ATTACK_BODY_TIMEOUT + ATTACK_SLACK)
    fates = f"{others} answered otherwise" if others else "each 429 or cut off"
    timing = f"{len(late)} late" if late else "in time"
    share = f"attacker's peak {peaks[ATTACKER['x-road-client']]}/{SHARE}"
    return f"{fates} {timing}; {share}; agency {attack.agency.count(200)}/{len(attack.agency)} x 200"


async def borrowed_certificate(_: SecuredStack, __: httpx.AsyncClient) -> str:
    """The agency's client certificate presented with the attacker's own valid key and client id."""
    with tempfile.TemporaryDirectory() as directory:
        pki = make_pki(Path(directory))
        intake = HttpIntakeSettings(
            tls_certfile=pki.server_file,
            tls_client_ca=pki.ca_file,
            tls_client_ids={subject("agency"): AGENCY["x-road-client"]},
        )
        context = pki.client_context(pki.client_certificate("agency"))
        async with served_gateway(intake) as gateway:
            async with httpx.AsyncClient(base_url=gateway.url, verify=context) as client:
                return http_outcome(await client.post(ECHO, json={}, headers=ATTACKER))


INTAKE_ATTACKS: list[Attack] = [
    Attack(
        "connection that sends nothing",
        "uvicorn intake (header time-out)",
        f"{CLOSED_IN_TIME}; agency 200",
        cut_off(b"", HEADER_TIMEOUT),
    ),
    Attack(
        "headers never finished",
        "uvicorn intake (header time-out)",
        f"{CLOSED_IN_TIME}; agency 200",
        cut_off(head(ATTACKER, 10)[:-2], HEADER_TIMEOUT),
    ),
    Attack(
        "10 of 1,000 body bytes, then silence",
        "uvicorn intake (body time-out)",
        f"{CLOSED_IN_TIME}; agency 200",
        cut_off(head(ATTACKER, 1000) + b'{"a": "xx', BODY_TIMEOUT),
    ),
    Attack(
        "260 slow connections holding one key",
        "gateway in-flight bound (per client)",
        f"each 429 or cut off in time; attacker's peak {SHARE}/{SHARE}; agency 10/10 x 200",
        slow_connections,
        survives=True,
    ),
    Attack(
        "a client certificate used for another client",
        "gateway (mutual TLS)",
        "403 Client.AccessDenied",
        borrowed_certificate,
    ),
]
