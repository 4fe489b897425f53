"""docker-compose.yml stays coherent with the code: every mock served, settings that parse, known adapters.

(No Docker engine runs on this machine, so the file is checked for what the code can check.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bus.catalog import load_catalog
from bus.gateway.settings import bind_address
from bus.settings import DEFAULT_CATALOG, BusSettings
from services.registry import MOCKS

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_every_mock_runs_in_its_own_service_on_its_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, spec in MOCKS.items():
        assert services[name]["command"][:2] == ["mock", name]
        assert f"{spec.port}:{spec.port}" in services[name]["ports"]
    assert services["worker"]["command"] == ["worker"]
    assert services["gateway"]["command"][0] == "gateway"


def test_environment_parses_into_the_settings_and_names_real_adapters(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = compose["services"]["worker"]["environment"]
    for key, value in environment.items():
        monkeypatch.setenv(key, str(value))
    settings = BusSettings()
    assert settings.amqp_url and settings.redis_url
    catalog_adapters = set(load_catalog(DEFAULT_CATALOG).adapters)
    assert set(settings.adapter_overrides) <= catalog_adapters
    for name, override in settings.adapter_overrides.items():
        assert override["base_url"] == f"http://{name}:{MOCKS[name].port}"
    from services.payment.settings import PaymentSettings
    from services.vnpost.settings import VnpostSettings

    callback = PaymentSettings().partners["HPG_LGSP"].callback_url
    assert callback is not None and callback.host == "gateway"
    assert str(VnpostSettings().webhook_url) == "http://gateway:8000/callbacks/vnpost"


def _image_environment() -> dict[str, str]:
    """The `ENV NAME=value` lines of the Dockerfile."""
    pairs = [line.removeprefix("ENV ").split("=", 1) for line in DOCKERFILE.read_text().splitlines()]
    return {name.strip(): value.strip() for name, value in (p for p in pairs if len(p) == 2)}


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_gateway_container_listens_on_every_interface_at_its_published_port(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = compose["services"]["gateway"]
    for key, value in {**_image_environment(), **gateway["environment"]}.items():
        monkeypatch.setenv(key, str(value))
    command = gateway["command"]
    port = _option(command, "--port")
    host, bound_port = bind_address(_option(command, "--host"), None if port is None else int(port))
    assert host == "0.0.0.0"
    assert f"{bound_port}:{bound_port}" in gateway["ports"]
