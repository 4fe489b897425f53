"""Models built from values the bus made (bus.trusted_models) are what validating those values makes:
the same field values of the same types, in the same order, and the same fields counted as set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr

from bus.gateway.call_facts import CallFacts
from bus.transaction import TransactionRecord
from bus.trusted_models import builder
from bus.txlog.entry import GENESIS_HASH, LogEntry, TransactionBodies, build_entry

AT = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def assert_as_validated(built: BaseModel, given: dict[str, Any] | None = None) -> None:
    """`built` equals its model validated from its own values (or from `given`), field for field."""
    validated = type(built).model_validate(dict(built.__dict__) if given is None else given)
    assert built == validated
    assert list(built.__dict__) == list(validated.__dict__)
    assert [type(value) for value in built.__dict__.values()] == [
        type(value) for value in validated.__dict__.values()
    ]
    assert built.model_fields_set == validated.model_fields_set
    assert (built.__pydantic_extra__, built.__pydantic_private__) == (None, None)


def records() -> list[TransactionRecord]:
    """A served call's record, a refused one's (no envelope, no times on the bus) and an error answer's."""
    served = CallFacts(
        transaction_id="tx-1",
        request_in=AT,
        method="POST",
        body=b'{"SoDinhDanh": "031185149789"}',
        client="VN/GOV/HPG/LOADTEST",
        service="VN/GOV/HPG/LGSP/Echo/v1",
        request_out=AT + timedelta(milliseconds=1),
        response_in=AT + timedelta(milliseconds=5),
        worker="worker-1",
        subjects=("031185149789",),
    )
    refused = CallFacts(transaction_id="tx-2", request_in=AT, method="GET")
    return [
        served.record(200, b'{"ok": true}'),
        refused.record(401, b'{"type": "Client.Unauthenticated", "message": "no key"}'),
        served.record(504, b'{"type": "Server.Provider.Timeout", "message": "slow"}'),
    ]


@pytest.mark.parametrize("index", range(3))
def test_a_log_entry_is_what_validating_its_content_makes(index: int) -> None:
    entry = build_entry(records()[index], 7, GENESIS_HASH)
    assert_as_validated(entry)
    assert entry.computed_hash() == entry.entry_hash


def test_an_entry_with_bodies_is_validated_as_before() -> None:
    entry = build_entry(records()[0], 1, GENESIS_HASH, TransactionBodies(b'{"a": 1}', b"\xff"))
    assert type(entry) is LogEntry and entry.response_body is not None
    assert entry.response_body.encoding == "base64"
    assert_as_validated(entry)


def test_a_model_that_validation_does_more_for_is_not_built_this_way() -> None:
    class Private(BaseModel):
        value: int = 0
        _seen: int = PrivateAttr(default=0)

    class Extras(BaseModel):
        model_config = ConfigDict(extra="allow")

    for model in (Private, Extras):
        with pytest.raises(TypeError):
            builder(model)
