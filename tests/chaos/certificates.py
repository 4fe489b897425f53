"""The chaos scenario of issue 12: marital-status certificates, each request with its own Idempotency-Key
and person, sent through the gateway while faults are injected; every failed request is then retried
once with the same key and body, as a real client would, and reconciled against the registry's records.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from services.citizens import Citizen
from tests.chaos.civil_mock import CivilMock

SERVICE_CODE = "XacNhanTinhTrangHonNhan"
CONCURRENCY = 32
# Faults of the run, through the mock's fault API: errors, hangs, malformed answers.
PROVIDER_FAULTS = {"error_rate": 0.2, "error_status": 503, "timeout_rate": 0.05, "malformed_rate": 0.05}


@dataclass
class Outcome:
    """What the caller got: HTTP status (0 when the connection failed) and error type ("" on success)."""

    status: int
    error_type: str

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class CertificateRequest:
    """One business request: its key, its person, its body, and what each try got."""

    key: str
    person: Citizen
    body: bytes
    first: Outcome | None = None
    retry: Outcome | None = None

    @property
    def final(self) -> Outcome | None:
        return self.retry if self.retry is not None else self.first


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
    retry: bool,
    spread_over: float = 0.0,
) -> None:
    """POST each request, CONCURRENCY at a time, recording its outcome as the first try or the retry
    (a 202 is followed at its Location to the outcome); with `spread_over`, the n-th request leaves no
    sooner than n/len × that many seconds from the start (so the load lasts at least that long)."""
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
                    outcome = Outcome(response.status_code, kind)
            except (httpx.HTTPError, ValueError) as exc:
                outcome = Outcome(0, type(exc).__name__)
            if retry:
                request.retry = outcome
            else:
                request.first = outcome

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
    """Per request, what the caller was told against what the registry holds."""
    effects = {request.key: mock.certificates_of(request.person.id_number) for request in requests}
    failed_first = [r for r in requests if r.first is not None and not r.first.ok]
    final_ok = [r for r in requests if r.final is not None and r.final.ok]
    final_failed = [r for r in requests if r.final is None or not r.final.ok]
    return {
        "requests": len(requests),
        "200 on first try": len(requests) - len(failed_first),
        "200 after the retry": sum(1 for r in failed_first if r.retry is not None and r.retry.ok),
        "still failing": len(final_failed),
        "failed first, effect had happened": sum(1 for r in failed_first if effects[r.key] > 0),
        "effect exactly once": sum(1 for count in effects.values() if count == 1),
        "effect doubled": sum(1 for count in effects.values() if count > 1),
        "reported failed, but effected": sum(1 for r in final_failed if effects[r.key] > 0),
        "200 without effect": sum(1 for r in final_ok if effects[r.key] == 0),
        "first-try errors": dict(Counter(r.first.error_type for r in failed_first if r.first is not None)),
        "still failing, by error": dict(
            Counter(r.final.error_type for r in final_failed if r.final is not None)
        ),
    }


def table_text(title: str, rows: dict[str, Any]) -> str:
    """`rows` as an aligned two-column table under `title`."""
    lines = [title]
    lines.extend(f"  {name:<36} {value}" for name, value in rows.items())
    return "\n".join(lines)
