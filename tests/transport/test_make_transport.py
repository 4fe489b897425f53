"""`make_transport` picks the transport a URL names, and the package exports what it promises."""

from __future__ import annotations

import pytest

import bus.transport
from bus.broker_urls import BrokerUrlError
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


def test_a_list_of_cluster_nodes_gives_one_amqp_transport_over_all_of_them() -> None:
    transport = make_transport("amqp://rabbit-1:5672/, amqp://rabbit-2:5672/,amqps://rabbit-3:5671/")
    assert isinstance(transport, AmqpTransport)
    assert transport.urls == ("amqp://rabbit-1:5672/", "amqp://rabbit-2:5672/", "amqps://rabbit-3:5671/")


@pytest.mark.parametrize(
    ("urls", "says"),
    [
        ("amqp://rabbit-1/,redis://rabbit-2/", "broker URL 2 of 2"),
        ("amqp://rabbit-1/,,amqp://rabbit-3/", "broker URL 2 of 3"),
        ("amqp://rabbit-1/,amqp://rabbit-2:56x2/", "broker URL 2 of 2"),
        ("amqp://rabbit-1/,amqp://rabbit-1/", "listed twice"),
    ],
)
def test_a_bad_node_in_the_list_is_a_typed_error(urls: str, says: str) -> None:
    with pytest.raises(BrokerUrlError, match=says):
        make_transport(urls)


def test_the_typed_error_does_not_show_the_bad_entrys_password() -> None:
    with pytest.raises(BrokerUrlError) as caught:
        make_transport("amqp://guest:s3cret@rabbit-1/,http://guest:s3cret@rabbit-2/")
    assert "s3cret" not in str(caught.value)


def test_both_transports_satisfy_the_protocol() -> None:
    assert isinstance(make_transport(None), Transport)
    assert isinstance(make_transport("amqp://localhost/"), Transport)


def test_every_exported_name_exists() -> None:
    assert all(hasattr(bus.transport, name) for name in bus.transport.__all__)
