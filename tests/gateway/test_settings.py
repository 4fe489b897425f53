"""The gateway's settings come from LGSP_GATEWAY_* variables and refuse nonsense."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bus.gateway.settings import GatewaySettings, bind_address


def test_settings_are_read_from_lgsp_gateway_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_GATEWAY_MAX_IN_FLIGHT", "7")
    monkeypatch.setenv("LGSP_GATEWAY_IDEMPOTENCY_TTL", "60")
    settings = GatewaySettings(_env_file=None)
    assert (settings.max_in_flight, settings.idempotency_ttl) == (7, 60.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_in_flight", 0), ("transaction_ttl", -1), ("callback_attempts", 0), ("idempotency_ttl", 0)],
)
def test_nonsense_settings_are_refused_naming_the_field(name: str, value: float) -> None:
    with pytest.raises(ValidationError, match=name):
        GatewaySettings.model_validate({name: value})


def test_bind_address_comes_from_lgsp_gateway_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_GATEWAY_HOST", "0.0.0.0")
    monkeypatch.setenv("LGSP_GATEWAY_PORT", "8123")
    assert bind_address() == ("0.0.0.0", 8123)


def test_command_line_address_wins_over_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_GATEWAY_HOST", "0.0.0.0")
    monkeypatch.setenv("LGSP_GATEWAY_PORT", "8123")
    assert bind_address("127.0.0.2", 9000) == ("127.0.0.2", 9000)


def test_bind_address_defaults_to_loopback_port_8000(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.delenv("LGSP_GATEWAY_HOST", raising=False)
    monkeypatch.delenv("LGSP_GATEWAY_PORT", raising=False)
    assert bind_address() == ("127.0.0.1", 8000)


def test_lgsp_gateway_binds_the_address_the_settings_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    bound: dict[str, object] = {}

    def serve(server: uvicorn.Server, sockets: object = None) -> None:
        bound.update(host=server.config.host, port=server.config.port)
        server.started = True

    monkeypatch.setattr(uvicorn.Server, "run", serve)
    monkeypatch.setenv("LGSP_GATEWAY_HOST", "0.0.0.0")
    monkeypatch.setenv("LGSP_GATEWAY_PORT", "8123")
    # The `lgsp` console script, wherever the composition root defines it.
    lgsp = next(iter(entry_points(group="console_scripts", name="lgsp"))).load()
    result = CliRunner().invoke(lgsp, ["gateway"])
    assert result.exit_code == 0, result.output
    assert (bound["host"], bound["port"]) == ("0.0.0.0", 8123)
