"""The chaos scenario of issue 12: marital-status certificates, each request with its own Idempotency-Key
and person, sent through the gateway while faults are injected; every failed request is then retried
once with the same key and body, as a real client would, and reconciled against the registry's records.

What a caller is told falls in three kinds (README, "What a caller can rely on"): 200; a failure that
says the effect did not happen (the bus refused the request before taking it: `NOT_DONE`, or a
definitive failure, which is stored under the key); and an outcome left open (a transient error, a
time-out, 409 "still in progress", a lost connection): the effect may have happened, and a retry with
the key tells which. "Reported failed" is a request whose every answer said not done or failed for
good; with 200, the only claims the registry can contradict.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import httpx

from bus.errors import BusUnavailable, DuplicateRequest, NoRoute, Overloaded, RateLimited
from bus.gateway.idempotency import IdempotencyInProgress
from bus.key_states import is_definitive
from services.citizens import Citizen
from tests.chaos.civil_mock import CivilMock

SERVICE_CODE = "XacNhanTinhTrangHonNhan"
CONCURRENCY = 32
# Faults of the run, through the mock's fault API: errors, hangs, malformed answers.
PROVIDER_FAULTS = {"error_rate": 0.2, "error_status": 503, "timeout_rate": 0.05, "malformed_rate": 0.05}
# Refusals before the bus took the request: nothing was sent to a worker.
NOT_DONE = {BusUnavailable.type, NoRoute.type, Overloaded.type, RateLimited.type}
# 409s for a key, or a transaction id, another attempt still holds: in progress, not a failure.
IN_PROGRESS = {IdempotencyInProgress.type, DuplicateRequest.type}


Phase = Literal["first", "retry", "again"]


@dataclass
class Outcome:
    """What the caller got: HTTP status (0 when the connection failed, 202 when a followed request was
    still pending), error type ("" on success), and whether it was a stored answer replayed."""

    status: int
    error_type: str
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def says_not_effected(self) -> bool:
        """A failure whose answer says the effect did not happen: refused before the bus took it, or a
        definitive failure (`Client.*` but a 409 "in progress", `Server.Provider.Rejected`)."""
        if self.ok or self.status in (0, 202):
            return False
        if self.error_type in NOT_DONE:
            return True
        return self.error_type not in IN_PROGRESS and is_definitive(self.error_type)


@dataclass
class CertificateRequest:
    """One business request: its key, its person, its body, and what each try got."""

    key: str
    person: Citizen
    body: bytes
    first: Outcome | None = None
    retry: Outcome | None = None
    again: Outcome | None = None  # asked once more with the key, after the bus settled and the replay

    @property
    def told_not_effected(self) -> bool:
        """Whether the caller was told the effect did not happen: every answer it got said so (an
        answer of one attempt says nothing of an earlier one left open)."""
        told = [o for o in (self.first, self.retry, self.again) if o is not None]
        return bool(told) and all(o.says_not_effected for o in told)

    @property
    def final(self) -> Outcome | None:
        for outcome in (self.again, self.retry, self.first):
            if outcome is not None:
                return outcome
        return None


def certificate_requests(people: Sequence[Citizen], today: date) -> list[CertificateRequest]:
    """One request per person, each with a fresh Idempotency-Key."""
    run = secrets.token_hex(4)
    requests = []
    for index, person in enumerate(people):
        payload = {
            "id_number": person.id_number,
            "full_name": person.full_name,
            "purpose": "Để đăng ký kết hôn",
            "registration_date": today.isoformat(),
            "registration_place": "UBND phường Lạch Tray, quận Ngô Quyền",
            "signer_name": "Nguyễn Văn Hùng",
            "signer_title": "Chủ tịch",
            "requester": {
                "full_name": person.full_name,
                "relationship": "Bản thân",
                "id_document_number": person.id_number,
            },
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        requests.append(CertificateRequest(key=f"chaos-{run}-{index:05d}", person=person, body=body))
    return requests


async def send(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    requests: Sequence[CertificateRequest],
    *,
    phase: Phase,
    spread_over: float = 0.0,
) -> None:
    """POST each request, CONCURRENCY at a time, recording its outcome as the `phase`'s (a 202 is
    followed at its Location to the outcome); with `spread_over`, the n-th request leaves no sooner than
    n/len × that many seconds from the start (so the load lasts at least that long)."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int, request: CertificateRequest) -> None:
        await asyncio.sleep(index * spread_over / len(requests))
        async with gate:
            sent = {**headers, "Idempotency-Key": request.key, "content-type": "application/json"}
            try:
                response = await client.post(url, content=request.body, headers=sent, timeout=60)
                if response.status_code == 202:  # accepted, its publish unconfirmed: follow it
                    outcome = await followed(client, response.headers["location"], headers)
                else:
                    kind = response.json().get("type", "") if response.status_code >= 400 else ""
                    replayed = response.headers.get("idempotent-replayed") == "true"
                    outcome = Outcome(response.status_code, kind, replayed)
            except (httpx.HTTPError, ValueError) as exc:
                outcome = Outcome(0, type(exc).__name__)
            setattr(request, phase, outcome)

    await asyncio.gather(*(one(index, request) for index, request in enumerate(requests)))


async def followed(
    client: httpx.AsyncClient, location: str, headers: dict[str, str], within: float = 30.0
) -> Outcome:
    """What a request answered 202 (accepted, its publish still unconfirmed) came to, as a client
    polling its Location learns it: the final status and error type, or 202 if still pending."""
    for _ in range(int(within / 0.2)):
        state = (await client.get(location, headers=headers)).json()
        if state.get("state") == "done":
            error = state.get("error") or {}
            return Outcome(int(state.get("status") or 0), str(error.get("type", "")))
        await asyncio.sleep(0.2)
    return Outcome(202, "")


def reconcile(requests: Sequence[CertificateRequest], mock: CivilMock) -> dict[str, Any]:
    """Per request, what the caller was last told against what the registry holds."""
    effects = {request.key: mock.certificates_of(request.person.id_number) for request in requests}
    failed_first = [r for r in requests if r.first is None or not r.first.ok]
    final_ok = [r for r in requests if r.final is not None and r.final.ok]
    final_failed = [r for r in requests if r.final is None or not r.final.ok]
    told_not_done = [r for r in final_failed if r.told_not_effected]
    told_open = [r for r in final_failed if r not in told_not_done]
    asked = [r for r in requests if r.again is not None]
    table: dict[str, Any] = {
        "requests": len(requests),
        "200 on first try": len(requests) - len(failed_first),
        "200 after the retry": sum(1 for r in failed_first if r.retry is not None and r.retry.ok),
        "still failing": len(final_failed),
        "still failing, told not effected": len(told_not_done),
        "still failing, told outcome open": len(told_open),
        "failed first, effected by now": sum(1 for r in failed_first if effects[r.key] > 0),
        "effect exactly once": sum(1 for count in effects.values() if count == 1),
        "effect doubled": sum(1 for count in effects.values() if count > 1),
        "reported failed, but effected": sum(1 for r in told_not_done if effects[r.key] > 0),
        "outcome open, effect happened": sum(1 for r in told_open if effects[r.key] > 0),
        "200 without effect": sum(1 for r in final_ok if effects[r.key] == 0),
        "first-try errors": dict(Counter(r.first.error_type for r in failed_first if r.first is not None)),
        "still failing, by error": dict(
            Counter(r.final.error_type for r in final_failed if r.final is not None)
        ),
    }
    if asked:
        table["asked again"] = len(asked)
        table["asked again: 200 (stored answer)"] = sum(
            1 for r in asked if r.again is not None and r.again.ok and r.again.replayed
        )
        table["asked again: 200 (run again)"] = sum(
            1 for r in asked if r.again is not None and r.again.ok and not r.again.replayed
        )
    return table


def table_text(title: str, rows: dict[str, Any]) -> str:
    """`rows` as an aligned two-column table under `title`."""
    lines = [title]
    lines.extend(f"  {name:<36} {value}" for name, value in rows.items())
    return "\n".join(lines)
