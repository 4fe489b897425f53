"""The AMQP properties a bus message travels with: the fast marshal writes pamqp's bytes, and a received
message reads back as the one sent."""

from __future__ import annotations

from typing import Any

import aiormq
import pytest
from pamqp import frame
from pamqp.header import ContentHeader

from bus.transport.amqp_wire import WireProperties, amqp_properties, from_amqp
from bus.transport.base import Message

PROPERTY_SETS: list[dict[str, Any]] = [
    {},
    {"message_id": "m", "correlation_id": "c", "reply_to": "lgsp.reply.x", "delivery_mode": 2},
    {"headers": {}},
    {"headers": {"traceparent": "00-ab-cd-01", "x-service": "VN/GOV/HPG/LGSP/Đăng/v1"}},
    # pamqp picks the smallest integer type, 't' for a bool, 'f' for a float; the order is sorted keys.
    {"headers": {"z": 1, "a": -3, "big": 70_000, "huge": 2**40, "yes": True, "no": False, "f": 1.5}},
    {"content_type": "text/xml", "message_id": "é" * 100},
    # Fields the bus does not set, and values pamqp treats specially, go through pamqp itself.
    {"app_id": "lgsp", "message_id": "m"},
    {"headers": {"k" * 200: "truncated by pamqp"}},
    {"headers": {"nested": {"a": [1, "b"]}}},
]


@pytest.mark.parametrize("properties", PROPERTY_SETS)
def test_fast_marshal_writes_the_bytes_of_pamqps_marshal(properties: dict[str, Any]) -> None:
    expected = aiormq.spec.Basic.Properties(**properties).marshal()
    assert WireProperties(**properties).marshal() == expected


def test_a_string_longer_than_a_short_string_is_refused_as_pamqp_refuses_it() -> None:
    with pytest.raises(TypeError):
        WireProperties(correlation_id="x" * 256).marshal()


@pytest.mark.parametrize(
    "message",
    [
        Message(body=b"{}", reply_to="lgsp.reply.1", headers={"traceparent": "00-a-b-01", "n": 3}),
        Message(body=b"{}"),  # default content type and no headers: neither travels
        Message(body=b"<a/>", content_type="text/xml", headers={"flag": True}),
    ],
)
def test_a_message_reads_back_as_sent(message: Message) -> None:
    header = ContentHeader(0, len(message.body), amqp_properties(message))
    _, _, received = frame.unmarshal(frame.marshal(header, 1))
    assert isinstance(received, ContentHeader)
    assert from_amqp(message.body, received.properties) == message


def test_default_content_type_and_empty_headers_are_left_off_the_wire() -> None:
    properties = amqp_properties(Message(body=b"{}"))
    assert properties.content_type is None
    assert properties.headers is None
