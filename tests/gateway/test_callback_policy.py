"""Callback URLs (SSRF): only public addresses, unless the deployment allows a network."""

from __future__ import annotations

import re
from ipaddress import ip_network

import httpx
import pytest

from bus.envelope import utc_now
from bus.errors import BadRequest, ErrorBody
from bus.gateway.async_requests import (
    AsyncCalls,
    CallbackPolicy,
    IpNetwork,
    TransactionState,
    resolve_host,
)
from bus.store import MemoryStore
from lgsp.embedded import LOOPBACK_NETWORKS, embedded_gateway_settings


def resolving(*addresses: str, allowed: tuple[IpNetwork, ...] = ()) -> CallbackPolicy:
    """A policy whose every host resolves to `addresses` (no DNS in tests)."""

    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return CallbackPolicy(allowed, resolver=resolver)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "169.254.169.254",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1%eth0",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
async def test_a_host_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    with pytest.raises(BadRequest, match="resolves to"):
        await resolving(address).check("https://dvc.example.vn/cb")


async def test_every_resolved_address_is_checked_not_only_the_first() -> None:
    with pytest.raises(BadRequest, match=re.escape("resolves to 10.0.0.7")):
        await resolving("8.8.8.8", "10.0.0.7").check("https://dvc.example.vn/cb")


async def test_a_host_resolving_only_to_public_addresses_is_allowed() -> None:
    await resolving("8.8.8.8", "2606:4700::1111").check("https://dvc.example.vn/cb")


async def test_an_allowed_network_lets_its_addresses_through_and_no_others() -> None:
    loopback = (ip_network("127.0.0.0/8"),)
    await resolving("127.0.0.1", allowed=loopback).check("http://localhost:9000/cb")
    await resolving("::ffff:127.0.0.1", allowed=loopback).check("http://localhost:9000/cb")
    with pytest.raises(BadRequest, match=re.escape("169.254.169.254")):
        await resolving("169.254.169.254", allowed=loopback).check("http://metadata/cb")


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://8.8.8.8/cb", r"http\(s\) URL"),
        ("file:///etc/passwd", r"http\(s\) URL"),
        ("https://user:secret@8.8.8.8/cb", "credentials"),
        ("https://user@8.8.8.8/cb", "credentials"),
    ],
)
async def test_other_schemes_and_credentials_are_refused(url: str, complaint: str) -> None:
    with pytest.raises(BadRequest, match=complaint):
        await resolving("8.8.8.8").check(url)


async def test_a_host_that_does_not_resolve_is_refused() -> None:
    async def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(BadRequest, match="does not resolve"):
        await CallbackPolicy(resolver=failing).check("https://nowhere.invalid/cb")
    with pytest.raises(BadRequest, match="does not resolve"):
        await resolving().check("https://nowhere.invalid/cb")


async def test_an_ip_literal_resolves_to_itself_without_dns() -> None:
    assert await resolve_host("127.0.0.1", 80) == ["127.0.0.1"]
    assert await resolve_host("::1", 80) == ["::1"]


async def test_a_name_re_pointed_after_acceptance_is_not_called_back() -> None:
    answers = [["8.8.8.8"], ["127.0.0.1"]]  # public when accepted, loopback when the result is ready
    posted: list[httpx.Request] = []

    async def rebinding(host: str, port: int) -> list[str]:
        return answers.pop(0)

    def receiver(request: httpx.Request) -> httpx.Response:
        posted.append(request)
        return httpx.Response(204)

    async def call() -> tuple[int, None, ErrorBody | None]:
        return 200, None, None

    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        calls = AsyncCalls(MemoryStore(), ttl=60, http=http, callbacks=CallbackPolicy(resolver=rebinding))
        url = "https://rebind.example.vn/cb"
        await calls.check_callback(url)
        state = TransactionState(
            transaction_id="tx-1", client="c", service="s", state="pending", accepted_at=utc_now()
        )
        calls.run(state, call, url)
        assert await calls.drain(5) == 0
    assert posted == []
    kept = await calls.state("c", "tx-1")
    assert kept is not None and kept.state == "done"  # the call itself still finished


def test_lgsp_run_allows_loopback_callbacks_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LGSP_GATEWAY_CALLBACK_ALLOWED_NETWORKS", raising=False)
    assert embedded_gateway_settings().callback_allowed_networks == LOOPBACK_NETWORKS


def test_lgsp_run_keeps_the_deployments_own_callback_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_GATEWAY_CALLBACK_ALLOWED_NETWORKS", "[]")
    assert embedded_gateway_settings().callback_allowed_networks == ()
