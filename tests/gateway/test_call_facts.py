"""A call's facts become its TransactionRecord: every field as the gateway knew it, and still validated."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bus.gateway.call_facts import CallFacts
from bus.transaction import TransactionRecord

AT = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def facts(**overrides: Any) -> CallFacts:
    values: dict[str, Any] = {
        "transaction_id": "tx-1",
        "request_in": AT,
        "method": "POST",
        "body": b'{"SoDinhDanh": "031185149789"}',
        "client": "VN/GOV/HPG/LOADTEST",
        "service": "VN/GOV/HPG/LGSP/Echo/v1",
        "request_out": AT + timedelta(milliseconds=1),
        "response_in": AT + timedelta(milliseconds=5),
        "worker": "worker-1",
        "subjects": ("031185149789",),
    }
    return CallFacts(**{**values, **overrides})


def test_the_record_holds_every_fact_of_the_answered_call() -> None:
    answer = b'{"type": "Client.BadRequest", "message": "no"}'

    record = facts().record(400, answer)

    assert type(record) is TransactionRecord
    assert record.model_fields_set == set(TransactionRecord.model_fields)
    assert record.response_out >= AT
    expected = TransactionRecord(
        transaction_id="tx-1",
        client="VN/GOV/HPG/LOADTEST",
        service="VN/GOV/HPG/LGSP/Echo/v1",
        subjects=("031185149789",),
        worker="worker-1",
        request_in=AT,
        request_out=AT + timedelta(milliseconds=1),
        response_in=AT + timedelta(milliseconds=5),
        response_out=record.response_out,
        status=400,
        succeeded=False,
        fault_type="Client.BadRequest",
        request_size=len(b'{"SoDinhDanh": "031185149789"}'),
        response_size=len(answer),
        request_sha256=hashlib.sha256(b'{"SoDinhDanh": "031185149789"}').hexdigest(),
        response_sha256=hashlib.sha256(answer).hexdigest(),
    )
    assert record == expected


def test_a_fact_of_the_wrong_type_is_refused_not_recorded() -> None:
    with pytest.raises(ValidationError):
        facts(client=42).record(200, b"{}")
