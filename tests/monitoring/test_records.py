"""The monitoring view of a gateway record: every fact copied, nothing about citizens or bodies."""

from __future__ import annotations

from bus.monitoring import OperationalRecord
from bus.transaction import TransactionFacts
from tests.monitoring.conftest import transaction


def test_the_operational_record_keeps_every_fact_of_the_transaction_and_nothing_else() -> None:
    record = transaction(duration_ms=40.0, bus_ms=25.0, subjects=("031090000001",))

    operational = OperationalRecord.from_transaction(record)

    facts = {name: getattr(record, name) for name in TransactionFacts.model_fields}
    assert {name: getattr(operational, name) for name in TransactionFacts.model_fields} == facts
    assert operational.model_fields_set == set(TransactionFacts.model_fields)
    assert operational.duration_ms == 40.0 and operational.bus_duration_ms == 25.0
    assert not hasattr(operational, "subjects") and not hasattr(operational, "request_sha256")
