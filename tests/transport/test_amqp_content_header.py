"""A content header decoded in one pass: the same pamqp objects as pamqp's own decoding, for every kind of
property; what it does not decode itself is pamqp's, what does not fill the header exactly is refused."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from pamqp import commands as spec
from pamqp.header import ContentHeader

from bus.transport.amqp_content_header import decode_content_header
from bus.transport.amqp_wire import amqp_properties
from bus.transport.base import Message

PROPERTIES = [
    spec.Basic.Properties(),
    spec.Basic.Properties(message_id="m-1"),
    amqp_properties(
        Message(body=b"{}", reply_to="lgsp.reply.1", headers={"traceparent": "00-a-b-01", "n": 3})
    ),
    amqp_properties(Message(body=b"<a/>", content_type="text/xml", headers={"flag": True, "tên": "Nguyễn"})),
    spec.Basic.Properties(
        content_type="application/json",
        content_encoding="gzip",
        headers={"x-death": [{"reason": "rejected", "count": 2, "queue": "q"}], "x-delivery-count": 4},
        delivery_mode=2,
        priority=9,
        correlation_id="c" * 255,
        reply_to="amq.rabbitmq.reply-to",
        expiration="60000",
        message_id="hàng-đợi",
        message_type="t",
        user_id="guest",
        app_id="lgsp",
        cluster_id="",
    ),
]


def _fields(header: ContentHeader) -> dict[str, Any]:
    properties = header.properties
    return {
        "class_id": header.class_id,
        "weight": header.weight,
        "body_size": header.body_size,
        **{name: getattr(properties, name) for name in properties.__slots__},
    }


def _pamqp(payload: bytes) -> ContentHeader:
    header = ContentHeader()
    header.unmarshal(payload)
    return header


@pytest.mark.parametrize("properties", PROPERTIES)
@pytest.mark.parametrize("body_size", [0, 65, 2**33])
def test_decodes_as_pamqp_decodes(properties: spec.Basic.Properties, body_size: int) -> None:
    payload = ContentHeader(body_size=body_size, properties=properties).marshal()
    assert _fields(decode_content_header(payload)) == _fields(_pamqp(payload))


def test_a_timestamp_is_left_to_pamqp() -> None:
    stamp = datetime.datetime(2026, 12, 7, 3, 0, tzinfo=datetime.UTC)
    payload = ContentHeader(
        body_size=3, properties=spec.Basic.Properties(timestamp=stamp, app_id="a")
    ).marshal()
    decoded = decode_content_header(payload)
    assert _fields(decoded) == _fields(_pamqp(payload))
    assert decoded.properties.timestamp is not None


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_a_truncated_header_is_refused(cut: int) -> None:
    payload = ContentHeader(body_size=3, properties=PROPERTIES[4]).marshal()
    with pytest.raises(ValueError):
        decode_content_header(payload[:-cut])


def test_bytes_after_the_properties_are_refused() -> None:
    payload = ContentHeader(body_size=3, properties=PROPERTIES[1]).marshal()
    with pytest.raises(ValueError):
        decode_content_header(payload + b"\x00")
