"""The attack cases of issue 14 against the secured stack: inputs that used to end in an unhandled
text/plain 500 or an echo of the caller's bytes, and monitoring read without a credential."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from tests.in_process_stack import SECURED_SLOW_SECONDS, SecuredStack
from tests.security.attacks import ECHO_URL, STP_AUTH, UNAUTH, Attack, gateway, http_outcome
from tests.security.conftest import MONITORING_TOKEN, READER_KEY

SLOW_URL = "/r1/VN/GOV/HPG/SEC/Slow/v1"
REUSED_ID = "reused-transaction-id"
SHARED_ID = "predictable-transaction-id"
RECORDS_URL = "/r1/VN/GOV/HPG/SEC/Records/v1/records"
READER_AUTH = {"x-road-client": "VN/GOV/HPG/READER", "x-api-key": READER_KEY}
BAD = "400 Client.BadRequest"
UNSUPPORTED = "415 Client.UnsupportedMediaType"
Run = Callable[[SecuredStack, httpx.AsyncClient], Awaitable[str]]


def unechoed(headers: dict[str, str], marker: str, url: str = ECHO_URL) -> Run:
    """A call whose answer must not carry `marker` (the caller's own bytes) back."""

    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        answer = await stack.http.post(url, json={}, headers={**STP_AUTH, **headers})
        echoed = " (echoed the input)" if marker in answer.text else ""
        return http_outcome(answer) + echoed

    return run


def wrong_method(method: str = "GET") -> Run:
    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        answer = await stack.http.request(method, ECHO_URL, headers=STP_AUTH)
        return f"{http_outcome(answer)} (Allow: {answer.headers.get('allow')})"

    return run


def callback_to(url: str) -> Run:
    """An asynchronous call asking the gateway to POST its result to `url` (server-side request forgery)."""
    return gateway({**STP_AUTH, "prefer": "respond-async", "x-callback-url": url})


def reused_id() -> Run:
    """49 calls at once under the X-Road-Id of a call still in flight (started by `hold_the_id`)."""

    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        headers = {**STP_AUTH, "x-road-id": REUSED_ID}
        answers = await asyncio.gather(
            *(stack.http.post(SLOW_URL, json={}, headers=headers) for _ in range(49))
        )
        counts = Counter(http_outcome(a) for a in answers)
        return ", ".join(f"{n} x {outcome}" for outcome, n in sorted(counts.items()))

    return run


def other_clients_id() -> Run:
    """Another client's call under the X-Road-Id STP holds in flight (started by `holding(SHARED_ID)`):
    it used to get STP's 409 (telling it STP had a call in flight); each client's ids are its own."""

    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        headers = {**READER_AUTH, "x-road-id": SHARED_ID}
        answer = await stack.http.get(RECORDS_URL, params={"who": "reader"}, headers=headers)
        mine = answer.headers.get("x-road-id") == SHARED_ID and answer.json().get("query") == {
            "who": "reader"
        }
        return http_outcome(answer) + (" (its own answer)" if mine else " (not its own answer)")

    return run


def holding(transaction_id: str) -> Callable[[SecuredStack], Awaitable[None]]:
    """The genuine call whose id the attack reuses: sent, and still waiting for its slow answer."""

    async def hold(stack: SecuredStack) -> None:
        before = len(stack.transport.sent)
        headers = {**STP_AUTH, "x-road-id": transaction_id}
        first = asyncio.create_task(stack.http.post(SLOW_URL, json={}, headers=headers))
        async with asyncio.timeout(SECURED_SLOW_SECONDS):
            while len(stack.transport.sent) == before:  # noqa: ASYNC110 - it has reached the bus
                await asyncio.sleep(0.005)
        _HELD.append(first)

    return hold


_HELD: list[asyncio.Task[httpx.Response]] = []


def monitoring(path: str, headers: dict[str, str]) -> Run:
    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        answer = await stack.http.get(path, headers=headers)
        leaked = " (data leaked)" if "lgsp_" in answer.text or '"records"' in answer.text else ""
        return http_outcome(answer) + leaked

    return run


INPUT_ATTACKS: list[Attack] = [
    Attack("lone surrogate in a JSON string", "gateway /r1", BAD, gateway(STP_AUTH, b'{"a": "\\ud800"}')),
    Attack("integer of 4,400 digits", "gateway /r1", BAD, gateway(STP_AUTH, b'{"n": ' + b"9" * 4400 + b"}")),
    Attack("NaN in the body", "gateway /r1", BAD, gateway(STP_AUTH, b'{"n": NaN}')),
    Attack("Infinity in the body", "gateway /r1", BAD, gateway(STP_AUTH, b'{"n": Infinity}')),
    Attack(
        "JSON sent as text/plain",
        "gateway /r1",
        UNSUPPORTED,
        gateway({**STP_AUTH, "content-type": "text/plain"}),
    ),
    Attack(
        "UTF-16 body declared as such",
        "gateway /r1",
        UNSUPPORTED,
        gateway(
            {**STP_AUTH, "content-type": "application/json; charset=utf-16"}, '{"n": 1}'.encode("utf-16")
        ),
    ),
    Attack(
        "UTF-16 body declared as JSON", "gateway /r1", BAD, gateway(STP_AUTH, '{"n": 1}'.encode("utf-16"))
    ),
    Attack(
        "GET on a POST-only service",
        "gateway /r1 (catalog methods)",
        "405 Client.MethodNotAllowed (Allow: POST)",
        wrong_method(),
    ),
    Attack(
        "OPTIONS on a service",
        "gateway /r1 (methods)",
        "405 Client.MethodNotAllowed (Allow: GET, POST, PUT, PATCH, DELETE)",
        wrong_method("OPTIONS"),
    ),
    Attack(
        "result callback to the cloud metadata address",
        "gateway /r1 (callback SSRF check)",
        BAD,
        callback_to("http://169.254.169.254/latest/meta-data/"),
    ),
    Attack(
        "result callback to the gateway's own admin API",
        "gateway /r1 (callback SSRF check)",
        BAD,
        callback_to("http://127.0.0.1:8000/admin/keys/rotate"),
    ),
    Attack(
        "X-Road-Id: ../../etc",
        "gateway /r1 (transaction id)",
        BAD,
        unechoed({"x-road-id": "../../etc"}, "../"),
    ),
    Attack(
        "X-Road-Id of 300 characters",
        "gateway /r1 (transaction id)",
        BAD,
        unechoed({"x-road-id": "z" * 300}, "z" * 65),
    ),
    Attack(
        "8 KB URL",
        "gateway /r1 (identifiers)",
        BAD,
        unechoed({}, "Q" * 65, url="/r1/VN/GOV/" + "Q" * 8192 + "/Echo/v1"),
    ),
    Attack("/metrics without a credential", "GET /metrics", UNAUTH, monitoring("/metrics", {})),
    Attack(
        "/monitoring/records with a client's API key",
        "GET /monitoring/records",
        UNAUTH,
        monitoring("/monitoring/records", STP_AUTH),
    ),
    Attack(
        "/monitoring/health with a wrong token",
        "GET /monitoring/health",
        UNAUTH,
        monitoring("/monitoring/health", {"authorization": "Bearer guess"}),
    ),
    Attack(
        "/monitoring/breakers with the token as an admin key",
        "GET /monitoring/breakers",
        UNAUTH,
        monitoring("/monitoring/breakers", {"x-admin-key": MONITORING_TOKEN}),
    ),
]


# Last of the table: the genuine calls they hold answer (a worker reply sent) after the rows are measured.
HELD_ID_ATTACKS = [
    Attack(
        "49 calls reusing an in-flight X-Road-Id",
        "gateway /r1 (transaction id)",
        "49 x 409 Client.DuplicateRequest",
        reused_id(),
        prepare=holding(REUSED_ID),
    ),
    Attack(
        "another client's call under an X-Road-Id in flight",
        "gateway /r1 (transaction id per client)",
        "200 (its own answer)",
        other_clients_id(),
        prepare=holding(SHARED_ID),
        survives=True,
        sends=1,  # the other client's own call, served
    ),
]


async def held_calls() -> list[httpx.Response]:
    """The answers of the genuine calls whose ids the attacks reused (they must not have failed)."""
    answered = [await task for task in _HELD]
    _HELD.clear()
    return answered
