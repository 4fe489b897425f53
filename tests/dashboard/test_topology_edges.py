"""Edge traffic from monitoring records: each call counted on its caller's edge and its provider's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bus.dashboard.topology import measure_edges
from bus.monitoring.records import OperationalRecord
from tests.dashboard.test_dashboard_api import ECHO, record

OTHER = "VN/GOV/HPG/LGSP/Other/v1"  # a second service of the same adapter
UNKNOWN = "VN/GOV/HPG/LGSP/Gone/v1"  # a service no adapter serves any more


def _call(number: int, client: str, service: str, *, ok: bool = True, ms: float = 10.0) -> OperationalRecord:
    made = record(f"tx-{number}", ok=ok)
    made = made.model_copy(
        update={
            "client": client,
            "service": service,
            "request_in": made.response_out - timedelta(milliseconds=ms),
        }
    )
    return OperationalRecord.from_transaction(made)


def test_each_call_counts_on_its_callers_edge_and_its_providers_edge() -> None:
    records = [
        _call(1, "VN/GOV/HPG/STP", ECHO, ms=10),
        _call(2, "VN/GOV/HPG/STP", OTHER, ok=False, ms=30),
        _call(3, "VN/GOV/HPG/MOTCUA", ECHO, ms=20),
        _call(4, "VN/GOV/HPG/MOTCUA", UNKNOWN, ms=40),
    ]
    edges = measure_edges(records, {ECHO: "echo", OTHER: "echo"}, seconds=2.0)
    assert set(edges) == {"caller:VN/GOV/HPG/STP>lgsp", "caller:VN/GOV/HPG/MOTCUA>lgsp", "lgsp>provider:echo"}
    stp, motcua, echo = (
        edges["caller:VN/GOV/HPG/STP>lgsp"],
        edges["caller:VN/GOV/HPG/MOTCUA>lgsp"],
        edges["lgsp>provider:echo"],
    )
    assert (stp.calls, stp.error_share, stp.rate) == (2, 0.5, 1.0)
    assert (motcua.calls, motcua.error_share) == (2, 0.0)
    assert (echo.calls, echo.rate) == (3, 1.5)
    assert echo.error_share == pytest.approx(1 / 3)
    assert echo.p95_ms == pytest.approx(30.0) and motcua.p95_ms == pytest.approx(40.0)
