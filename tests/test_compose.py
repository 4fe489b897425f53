"""docker-compose.yml stays coherent with the code: every mock served, settings that parse, known adapters.

(No Docker engine runs on this machine, so the file is checked for what the code can check.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bus.catalog import load_catalog
from bus.settings import BusSettings
from lgsp.default_catalog import DEFAULT_CATALOG
from services.registry import MOCKS

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


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


def test_the_image_copies_every_package_the_project_installs() -> None:
    import tomllib

    root = COMPOSE.parent
    included = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = {pattern.rstrip("*") for pattern in included["include"]}
    dockerfile = (root / "Dockerfile").read_text()
    assert {p for p in packages if f"COPY {p} ./{p}" not in dockerfile} == set()
