"""Callback POSTs connect to the address the SSRF check approved (no second DNS resolution), keeping the
name in Host and, for https, in SNI."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx

from bus.envelope import utc_now
from bus.errors import ErrorBody
from bus.gateway.async_requests import AsyncCalls, CallbackPolicy, TransactionState
from bus.gateway.pinned import pinned_target
from bus.store import MemoryStore


def state(transaction_id: str) -> TransactionState:
    return TransactionState(
        transaction_id=transaction_id,
        client="VN/GOV/HPG/STP",
        service="S",
        state="pending",
        accepted_at=utc_now(),
    )


async def answer() -> tuple[int, None, ErrorBody | None]:
    return 200, None, None


def test_https_target_connects_to_the_ip_and_keeps_the_name_in_host_and_sni() -> None:
    target = pinned_target("https://cb.example.vn:8443/ket-qua?x=1", ipaddress.ip_address("203.0.113.7"))
    assert target.url == "https://203.0.113.7:8443/ket-qua?x=1"
    assert target.headers == {"host": "cb.example.vn:8443"}
    assert target.extensions == {"sni_hostname": "cb.example.vn"}


def test_ipv6_address_is_bracketed_and_an_ip_literal_url_is_left_alone() -> None:
    assert (
        pinned_target("http://cb.example.vn/x", ipaddress.ip_address("2001:db8::1")).url
        == "http://[2001:db8::1]/x"
    )
    assert pinned_target("https://8.8.8.8/x", ipaddress.ip_address("8.8.8.8")).url == "https://8.8.8.8/x"


async def test_callback_post_goes_to_the_checked_address_not_a_fresh_resolution() -> None:
    resolved: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        resolved.append(host)
        return ["93.184.216.34"]

    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        calls = AsyncCalls(MemoryStore(), ttl=60, http=http, callbacks=CallbackPolicy(resolver=resolver))
        calls.run(state("t-pinned"), answer, "https://cb.example.vn/ket-qua")
        await calls.drain(5)
    [posted] = received
    assert posted.url.host == "93.184.216.34"
    assert posted.headers["host"] == "cb.example.vn"
    assert posted.extensions["sni_hostname"] == "cb.example.vn"
    assert resolved == ["cb.example.vn"]  # the check before the POST; the client resolved nothing


async def test_real_http_client_reaches_a_name_only_the_checker_could_resolve() -> None:
    # "callback.invalid" cannot resolve in DNS: the POST arrives only if the client uses the checked IP.
    hosts: list[str] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        hosts.extend(
            line.split(":", 1)[1].strip() for line in head.split("\r\n") if line.lower().startswith("host:")
        )
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    policy = CallbackPolicy([ipaddress.ip_network("127.0.0.0/8")], resolver=resolver)
    calls = AsyncCalls(MemoryStore(), ttl=60, callback_attempts=1, callbacks=policy)
    calls.run(state("t-real"), answer, f"http://callback.invalid:{port}/ket-qua")
    await calls.drain(5)
    server.close()
    assert hosts == [f"callback.invalid:{port}"]
