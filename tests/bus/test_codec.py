"""The envelope codec and the trace context every hop carries."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bus.codec import decode_envelope, decode_reply, envelope_message, reply_message
from bus.envelope import Envelope, Reply, TraceContext
from bus.errors import ErrorBody
from bus.identifiers import ClientId, ServiceId
from bus.transport.base import Message

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


def envelope() -> Envelope:
    """An envelope with text outside ASCII, a query and a deadline: what the wire must keep exactly."""
    return Envelope(
        client=ClientId.parse("VN/GOV/HPG/LOADTEST"),
        service=ServiceId.parse("VN/GOV/HPG/LGSP/Echo/v1"),
        path="a/b",
        query={"q": "Hải Phòng"},
        user_id="HPG-CB0001",
        payload={"HoVaTen": "Nguyễn Thị Ánh Tuyết", "n": [1, 2.5, None, True]},
        deadline_at=datetime(2026, 12, 6, 20, 0, 0, 123456, tzinfo=UTC),
    )


def test_an_envelope_message_carries_the_envelopes_json_and_decodes_to_an_equal_envelope() -> None:
    sent = envelope()
    message = envelope_message(sent, reply_to="lgsp.reply.x")
    assert message.body == sent.model_dump_json().encode()
    assert (message.message_id, message.correlation_id, message.reply_to) == (
        sent.message_id,
        sent.correlation_id,
        "lgsp.reply.x",
    )
    assert message.headers == {"traceparent": sent.trace.traceparent, "x-service": str(sent.service)}
    assert decode_envelope(Message(message.body)) == sent  # read from the bytes alone, as off a wire


def test_a_reply_message_carries_the_replys_json_and_decodes_to_an_equal_reply() -> None:
    request = envelope()
    for sent in (
        Reply.success(request, {"echo": request.payload}, worker="w-1", received_at=request.created_at),
        Reply.failure(request, ErrorBody(type="Server.Provider.Timeout", message="slow"), 504),
    ):
        message = reply_message(sent)
        assert message.body == sent.model_dump_json().encode()
        assert (message.message_id, message.correlation_id) == (sent.message_id, sent.correlation_id)
        assert decode_reply(Message(message.body)) == sent


def test_a_message_handed_over_as_sent_is_read_as_the_model_it_was_written_from() -> None:
    sent = envelope()
    reply = Reply.success(sent, {"echo": sent.payload})
    assert decode_envelope(envelope_message(sent)) is sent
    assert decode_reply(reply_message(reply)) is reply


def test_a_copy_with_another_body_is_read_from_that_body() -> None:
    first, second = envelope(), envelope().model_copy(update={"attempt": 2})
    copied = replace(envelope_message(first), body=envelope_message(second).body)
    assert copied.written_from is not None and decode_envelope(copied) == second != first
    reply = Reply.success(first, {"n": 1})
    other = reply.model_copy(update={"settled": False})
    assert decode_reply(replace(reply_message(reply), body=reply_message(other).body)) == other


def test_envelopes_and_replies_cannot_be_changed_in_place() -> None:
    sent = envelope()
    with pytest.raises(ValidationError):
        sent.attempt = 2  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Reply.success(sent, None).status = 500  # type: ignore[misc]


def test_a_new_trace_has_a_valid_traceparent_and_its_own_trace_and_span_ids() -> None:
    traces = [TraceContext.start() for _ in range(50)]
    assert all(TRACEPARENT.match(t.traceparent) for t in traces)
    assert len({t.trace_id for t in traces}) == 50
    assert len({t.traceparent.split("-")[2] for t in traces}) == 50
    assert all(t.traceparent.split("-")[2] not in t.trace_id for t in traces)


def test_a_child_context_keeps_the_trace_and_state_with_a_new_span_as_a_validated_context_would() -> None:
    parent = TraceContext.from_header("00-" + "a" * 32 + "-" + "b" * 16 + "-01", "vendor=1")
    child = parent.child()
    assert child.trace_id == parent.trace_id
    assert child.tracestate == "vendor=1"
    assert child.traceparent.split("-")[2] != "b" * 16
    assert child == TraceContext.model_validate(child.model_dump())
    assert child.model_fields_set == {"traceparent", "tracestate"}


def test_a_child_keeps_its_parents_version_trace_id_and_flags() -> None:
    parent = TraceContext.from_header("00-" + "0123456789abcdef" * 2 + "-" + "b" * 16 + "-00")
    version, trace_id, span_id, flags = parent.child().traceparent.split("-")
    assert (version, trace_id, flags) == ("00", "0123456789abcdef" * 2, "00") and trace_id == parent.trace_id
    assert re.fullmatch("[0-9a-f]{16}", span_id) and span_id != "b" * 16


def test_a_body_that_is_no_envelope_or_reply_raises_a_validation_error() -> None:
    for body in (b"{}", b"not json", b'{"correlation_id": 1}'):
        with pytest.raises(ValidationError):
            decode_envelope(Message(body))
        with pytest.raises(ValidationError):
            decode_reply(Message(body))
