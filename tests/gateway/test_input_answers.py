"""Every input gets a typed JSON answer of the taxonomy and a transaction record, on both `/r1` paths
(the ASGI shortcut and, under a root path, FastAPI's route): never a text/plain 500."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from bus.gateway.unrouted_calls import UnroutedCallRecorder
from bus.monitoring import MonitoringSink, make_monitoring_sink
from bus.transaction import TransactionRecord
from tests.in_process_stack import KEY, Stack, running_stack

STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": KEY}
JSON = {**STP, "content-type": "application/json"}


class Records:
    """A transaction sink keeping every record."""

    def __init__(self) -> None:
        self.kept: list[TransactionRecord] = []

    async def record(self, record: TransactionRecord) -> None:
        self.kept.append(record)


@asynccontextmanager
async def gateway(path: str, records: Records) -> AsyncIterator[tuple[Stack, httpx.AsyncClient, str]]:
    """The stack, a client reaching `/r1` by `path` ("shortcut" or "route"), and the URL prefix."""
    async with running_stack(None, sinks=[records]) as stack:
        if path == "shortcut":
            yield stack, stack.client, ""
            return
        parent = Starlette(routes=[Mount("/gw", app=stack.client._transport.app)])  # type: ignore[attr-defined]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=parent), base_url="http://p"
        ) as client:
            yield stack, client, "/gw"


CASES = [
    # (case, body, extra headers, status, type)
    ("lone surrogate", b'{"name": "\\ud800"}', {}, 400, "Client.BadRequest"),
    ("lone trailing surrogate in a key", b'{"\\udc00": 1}', {}, 400, "Client.BadRequest"),
    ("integer of 4,400 digits", b'{"n": ' + b"9" * 4400 + b"}", {}, 400, "Client.BadRequest"),
    ("NaN", b'{"n": NaN}', {}, 400, "Client.BadRequest"),
    ("Infinity", b'{"n": -Infinity}', {}, 400, "Client.BadRequest"),
    ("float overflowing to infinity", b'{"n": [1, 2e400]}', {}, 400, "Client.BadRequest"),
    ("text/plain body", b'{"n": 1}', {"content-type": "text/plain"}, 415, "Client.UnsupportedMediaType"),
    (
        "form body",
        b"n=1",
        {"content-type": "application/x-www-form-urlencoded"},
        415,
        "Client.UnsupportedMediaType",
    ),
    (
        "UTF-16 declared",
        '{"n": 1}'.encode("utf-16"),
        {"content-type": "application/json; charset=utf-16"},
        415,
        "Client.UnsupportedMediaType",
    ),
    ("UTF-16 as JSON", '{"n": 1}'.encode("utf-16"), {}, 400, "Client.BadRequest"),
    ("X-Road-Id with a path", b"{}", {"x-road-id": "../../etc"}, 400, "Client.BadRequest"),
    ("X-Road-Id of 200 characters", b"{}", {"x-road-id": "a" * 200}, 400, "Client.BadRequest"),
]


@pytest.mark.parametrize("path", ["shortcut", "route"])
async def test_malformed_input_gets_its_typed_error_a_record_and_nothing_is_sent(path: str) -> None:
    records = Records()
    async with gateway(path, records) as (stack, client, prefix):
        answers = []
        for case, body, headers, _, _ in CASES:
            response = await client.post(
                prefix + stack.url("Echo"), content=body, headers={**JSON, **headers}
            )
            answers.append((case, response))
        sent = list(stack.transport.sent)
    for (case, _, _, status, error_type), (_, response) in zip(CASES, answers, strict=True):
        assert response.headers["content-type"] == "application/json", case
        assert (response.status_code, response.json()["type"]) == (status, error_type), (case, response.text)
        assert "../" not in response.text and "a" * 100 not in response.text, case
    assert sent == []
    assert [r.fault_type for r in records.kept] == [error_type for *_, error_type in CASES]
    assert all(r.status >= 400 and not r.succeeded for r in records.kept)


@pytest.mark.parametrize("path", ["shortcut", "route"])
async def test_valid_json_in_utf8_with_big_but_bounded_numbers_is_served(path: str) -> None:
    records = Records()
    body = b'{"n": ' + b"9" * 4000 + b', "emoji": "\\ud83d\\ude00", "f": 1.5e308}'
    async with gateway(path, records) as (stack, client, prefix):
        plain = await client.post(prefix + stack.url("Echo"), content=body, headers=JSON)
        charset = await client.post(
            prefix + stack.url("Echo"),
            content=body,
            headers={**STP, "content-type": "application/json; charset=UTF-8", "x-road-id": "tx-1:a.b_c"},
        )
    assert plain.status_code == 200, plain.text
    assert plain.json()["echo"]["emoji"] == "😀" and len(str(plain.json()["echo"]["n"])) == 4000
    assert charset.status_code == 200 and charset.headers["x-road-id"] == "tx-1:a.b_c"


async def test_an_8kb_url_is_refused_quoting_only_a_short_prefix() -> None:
    records = Records()
    async with gateway("shortcut", records) as (_, client, _prefix):
        response = await client.post("/r1/VN/GOV/" + "A" * 8192, json={}, headers=STP)
    assert response.status_code == 400 and response.json()["type"] == "Client.BadRequest"
    assert len(response.text) < 400 and "8" in response.json()["message"]
    assert records.kept[0].fault_type == "Client.BadRequest"


async def test_r1_naming_no_service_is_a_typed_error_not_a_redirect() -> None:
    async with gateway("shortcut", Records()) as (_, client, _prefix):
        response = await client.get("/r1", headers=STP)
    assert 400 <= response.status_code < 500 and response.headers["content-type"] == "application/json"
    assert response.json()["type"].startswith("Client.")


@pytest.mark.parametrize("path", ["shortcut", "route"])
async def test_fifty_calls_reusing_an_x_road_id_leave_the_first_alone_and_get_409(
    path: str,
) -> None:
    records = Records()
    headers = {**STP, "x-road-id": "reused-id-1"}
    async with gateway(path, records) as (stack, client, prefix):
        first = asyncio.create_task(client.post(prefix + stack.url("Slow"), json={}, headers=headers))
        while not stack.transport.sent:  # noqa: ASYNC110 - the first call has reached the bus
            await asyncio.sleep(0.01)
        again = await asyncio.gather(
            *(client.post(prefix + stack.url("Slow"), json={}, headers=headers) for _ in range(49))
        )
        answers = [await first, *again]
    # The first call keeps its own verdict (Slow outlasts its deadline: the worker's 504).
    assert (answers[0].status_code, answers[0].json()["type"]) == (504, "Server.Provider.Timeout")
    statuses = Counter((r.status_code, r.json().get("type")) for r in answers[1:])
    assert statuses == {(409, "Client.DuplicateRequest"): 49}, statuses
    assert sum(1 for r in records.kept if r.worker) == 1  # the duplicates reached no worker
    faults = Counter(r.fault_type for r in records.kept)
    assert faults == {"Server.Provider.Timeout": 1, "Client.DuplicateRequest": 49}


async def test_an_unexpected_failure_outside_r1_is_a_json_bus_internal_error() -> None:
    async with running_stack(None) as stack:
        app = stack.client._transport.app  # type: ignore[attr-defined]

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("a bug")

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answer = await client.get("/boom")
    assert answer.status_code == 500 and answer.headers["content-type"] == "application/json"
    assert answer.json()["type"] == "Server.Bus.InternalError" and "a bug" not in answer.text


async def test_a_caller_leaving_mid_body_on_another_route_is_a_warning_not_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with running_stack(None) as stack:
        app = stack.client._transport.app  # type: ignore[attr-defined]

        @app.post("/reads-its-body")
        async def reads(request: Request) -> int:
            return len(await request.body())

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/reads-its-body",
            "raw_path": b"/reads-its-body",
            "query_string": b"",
            "headers": [(b"content-type", b"application/json")],
            "root_path": "",
            "scheme": "http",
            "server": ("gw", 80),
            "client": ("127.0.0.1", 1),
        }
        sent: list[dict[str, object]] = []
        messages = iter(
            [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
        )

        async def receive() -> object:
            return next(messages)

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        with caplog.at_level("WARNING"):
            await app(scope, receive, send)
    assert sent[0]["status"] == 408
    assert "caller disconnected" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def counted(sink: MonitoringSink, fault_type: str) -> float:
    """How many transactions of `fault_type` the sink's `lgsp_requests` metric counted."""
    return sum(
        sample.value
        for family in sink.metrics.registry.collect()
        for sample in family.samples
        if sample.name == "lgsp_requests_total" and sample.labels.get("fault_type") == fault_type
    )


@pytest.mark.parametrize("path", ["shortcut", "route"])
async def test_a_call_refused_by_the_header_limits_is_recorded_and_counted(path: str) -> None:
    records, monitoring = Records(), make_monitoring_sink(None)
    flood = {f"x-h{i}": "v" for i in range(80)}
    async with running_stack(None, sinks=[records, monitoring]) as stack:
        if path == "route":
            parent = Starlette(routes=[Mount("/gw", app=stack.client._transport.app)])  # type: ignore[attr-defined]
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=parent), base_url="http://p")
        else:
            client = stack.client
        url = ("/gw" if path == "route" else "") + stack.url("Echo")
        answer = await client.post(url, json={}, headers={**STP, "x-road-id": "refused-1", **flood})
        unnamed = await client.post(url, json={}, headers={**STP, "x-road-id": "../x", **flood})
        await client.aclose()
        sent = list(stack.transport.sent)
    assert (answer.status_code, answer.json()["type"]) == (400, "Client.BadRequest")
    assert answer.headers["x-road-id"] == "refused-1"
    first, second = records.kept
    assert (first.transaction_id, first.client, first.service, first.method) == (
        "refused-1",
        "VN/GOV/HPG/STP",
        stack.url("Echo").removeprefix("/r1/"),
        "POST",
    )
    assert (first.status, first.fault_type, first.succeeded) == (400, "Client.BadRequest", False)
    assert first.response_size == len(answer.content) > 0
    # An ill-formed caller id is not used: the record and the answer carry a new one.
    assert second.transaction_id == unnamed.headers["x-road-id"] != "../x"
    assert sent == []
    assert counted(monitoring, "Client.BadRequest") == 2


async def test_a_call_refused_by_mutual_tls_is_recorded_and_counted() -> None:
    records, monitoring = Records(), make_monitoring_sink(None)
    client_ids = {"CN=stp.hpg,O=STP": "VN/GOV/HPG/STP"}
    async with running_stack(None, sinks=[records, monitoring], client_ids=client_ids) as stack:
        answer = await stack.client.post(stack.url("Echo"), json={}, headers=STP)  # no certificate
        sent = list(stack.transport.sent)
    assert (answer.status_code, answer.json()["type"]) == (401, "Client.Unauthenticated")
    [record] = records.kept
    assert (record.transaction_id, record.fault_type) == (
        answer.headers["x-road-id"],
        "Client.Unauthenticated",
    )
    assert sent == [] and counted(monitoring, "Client.Unauthenticated") == 1


async def test_calls_the_router_answers_are_recorded_once_and_refusals_elsewhere_not_at_all() -> None:
    records = Records()
    async with running_stack(None, sinks=[records], max_body_bytes=64) as stack:
        served = await stack.client.post(stack.url("Echo"), json={}, headers=STP)
        unauthenticated = await stack.client.post(
            stack.url("Echo"), json={}, headers={**STP, "X-Api-Key": "x"}
        )
        too_large = await stack.client.post(stack.url("Echo"), json={"a": "b" * 100}, headers=STP)
        catalog = await stack.client.get("/catalog", headers={**STP, **{f"x-h{i}": "v" for i in range(80)}})
    answers = [served, unauthenticated, too_large]
    assert [a.status_code for a in answers] == [200, 401, 413] and catalog.status_code == 400
    # One record per call, by the router: none for /catalog, which is not a service call.
    assert [r.transaction_id for r in records.kept] == [a.headers["x-road-id"] for a in answers]
    assert [r.fault_type for r in records.kept] == [None, "Client.Unauthenticated", "Client.PayloadTooLarge"]


async def test_an_exception_escaping_the_call_path_is_a_json_error_with_a_record() -> None:
    records = Records()

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug in a middleware")

    app = UnroutedCallRecorder(broken, sinks=[records])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        answer = await client.post("/r1/VN/GOV/HPG/X/Echo/v1", json={}, headers={**STP, "x-road-id": "tx-9"})
    assert (answer.status_code, answer.headers["content-type"]) == (500, "application/json")
    assert answer.json()["type"] == "Server.Bus.InternalError" and "a bug" not in answer.text
    [record] = records.kept
    assert (record.transaction_id, record.status, record.fault_type) == (
        "tx-9",
        500,
        "Server.Bus.InternalError",
    )
