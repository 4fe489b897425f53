"""Monitoring settings come from LGSP_MONITORING_* and refuse bad values; the public surface is exported."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import bus.monitoring
from bus.monitoring import MemoryMonitoringState, MonitoringSettings, make_monitoring_sink
from tests.monitoring.conftest import transaction


async def test_records_kept_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_MONITORING_RECORDS_KEPT", "2")
    sink = make_monitoring_sink(None, settings=MonitoringSettings(_env_file=None))
    for _ in range(3):
        await sink.record(transaction())
    assert isinstance(sink.state, MemoryMonitoringState)
    assert len(await sink.latest(limit=10)) == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [("RECORDS_KEPT", "0"), ("RECORDS_KEPT", "many"), ("WRITE_TIMEOUT", "-1"), ("KEY_PREFIX", "")],
)
def test_bad_monitoring_settings_are_refused_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv("LGSP_MONITORING_" + variable, value)
    with pytest.raises(ValidationError, match=variable.lower()):
        MonitoringSettings(_env_file=None)


def test_every_public_name_is_exported_and_nothing_private_is() -> None:
    exported = set(bus.monitoring.__all__)
    assert all(hasattr(bus.monitoring, name) for name in exported)
    assert not any(name.startswith("_") for name in exported)
    assert {"MonitoringSink", "monitoring_router", "InFlightMiddleware", "make_monitoring_sink"} <= exported
