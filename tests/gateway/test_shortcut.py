"""`/r1/…` calls taken by ServiceCallShortcut answer exactly as FastAPI's route would."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from bus.errors import InternalError
from bus.gateway.shortcut import ServiceCallShortcut
from bus.transaction import TransactionRecord
from tests.in_process_stack import KEY, running_stack

STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": KEY}


class RefusingLog:
    """A transaction log sink whose every append fails, as TransactionLogSink reports it."""

    async def record(self, record: TransactionRecord) -> None:
        raise InternalError(f"the transaction log could not record {record.transaction_id}")


def _gateway(client: httpx.AsyncClient) -> Any:
    return client._transport.app  # type: ignore[attr-defined]


def _spy_on_plain_route(gateway: Any) -> list[str]:
    """The paths the router's plain `/r1/…` route serves from now on."""
    route = gateway.router.routes[0]
    served: list[str] = []
    original = route.app

    async def spy(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        served.append(f"{scope['method']} {scope['path']}")
        await original(scope, receive, send)

    route.app = spy
    return served


async def test_a_service_call_is_served_by_the_shortcut_and_other_methods_by_the_router() -> None:
    async with running_stack(None) as stack:
        gateway = _gateway(stack.client)
        routed = _spy_on_plain_route(gateway)
        answer = await stack.client.post(stack.url("Echo", "a/b"), json={"x": 1}, headers=STP)
        options = await stack.client.options(stack.url("Echo"), headers=STP)
    assert gateway.user_middleware[-1].cls is ServiceCallShortcut  # innermost
    assert answer.status_code == 200 and answer.json()["path"] == "a/b"
    assert routed == []
    # OPTIONS is not a method of a service call: refused with the taxonomy's 405.
    assert (options.status_code, options.json()["type"]) == (405, "Client.MethodNotAllowed")


async def test_head_is_refused_as_a_method_not_allowed_and_nothing_is_sent() -> None:
    async with running_stack(None) as stack:
        response = await stack.client.head(stack.url("Echo"), headers=STP)
    assert response.status_code == 405  # was a 500: an envelope has no HEAD method
    assert "GET" in response.headers["allow"] and "HEAD" not in response.headers["allow"]
    assert stack.transport.sent == []


async def test_a_call_under_a_root_path_is_served_by_the_route_with_the_same_answer() -> None:
    async with running_stack(None) as stack:
        routed = _spy_on_plain_route(_gateway(stack.client))
        parent = Starlette(routes=[Mount("/gw", app=_gateway(stack.client))])
        direct = await stack.client.post(stack.url("Echo", "x"), json={"n": 1}, headers=STP)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=parent), base_url="http://p"
        ) as client:
            mounted = await client.post("/gw" + stack.url("Echo", "x"), json={"n": 1}, headers=STP)
    assert mounted.status_code == direct.status_code == 200
    assert mounted.json() == direct.json()
    assert routed == ["POST /gw" + stack.url("Echo", "x")]


async def test_a_log_that_cannot_record_turns_the_answer_into_a_bus_internal_error() -> None:
    async with running_stack(None, sinks=[RefusingLog()]) as stack:
        response = await stack.client.post(stack.url("Echo"), json={}, headers=STP)
    assert response.status_code == 500
    assert response.json()["type"] == "Server.Bus.InternalError"
    assert "could not record" in response.json()["message"]
    assert "x-road-id" not in response.headers  # as FastAPI's BusError handler answered it
