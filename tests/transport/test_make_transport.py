"""`make_transport` picks the transport a URL names, and the package exports what it promises."""

from __future__ import annotations

import pytest

import bus.transport
from bus.transport import AmqpTransport, MemoryTransport, Transport, make_transport


@pytest.mark.parametrize("url", [None, "memory://"])
def test_memory_urls_give_a_memory_transport(url: str | None) -> None:
    transport = make_transport(url, delivery_limit=3)
    assert isinstance(transport, MemoryTransport)
    assert transport.delivery_limit == 3


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1:5672/", "amqps://broker.example:5671/"])
def test_amqp_urls_give_an_amqp_transport_with_its_settings(url: str) -> None:
    transport = make_transport(url, delivery_limit=7, connection_name="lgsp-worker")
    assert isinstance(transport, AmqpTransport)
    assert (transport.url, transport.delivery_limit, transport.connection_name) == (url, 7, "lgsp-worker")


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "", "memory", "http://broker"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported transport URL"):
        make_transport(url)


def test_both_transports_satisfy_the_protocol() -> None:
    assert isinstance(make_transport(None), Transport)
    assert isinstance(make_transport("amqp://localhost/"), Transport)


def test_every_exported_name_exists() -> None:
    assert all(hasattr(bus.transport, name) for name in bus.transport.__all__)
