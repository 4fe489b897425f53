"""The AMQP properties a bus message travels with: only what differs from the defaults, and a received
message reads back as the one sent."""

from __future__ import annotations

import pytest
from pamqp import frame
from pamqp.header import ContentHeader

from bus.transport.amqp_wire import amqp_properties, from_amqp
from bus.transport.base import Message


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


def test_a_request_reads_back_with_its_reply_queue_given_apart_from_its_message() -> None:
    message = Message(body=b"{}", headers={"traceparent": "00-a-b-01"})
    header = ContentHeader(0, len(message.body), amqp_properties(message, reply_to="lgsp.reply.2"))
    _, _, received = frame.unmarshal(frame.marshal(header, 1))
    assert isinstance(received, ContentHeader)
    assert from_amqp(message.body, received.properties) == Message(
        body=b"{}",
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        reply_to="lgsp.reply.2",
        headers={"traceparent": "00-a-b-01"},
    )
    assert amqp_properties(message).reply_to is None  # the message itself is left as it was
