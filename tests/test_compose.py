"""docker-compose.yml stays coherent with the code: every mock served, settings that parse, known adapters,
a 3-node RabbitMQ cluster the bus is given every node of.

(No Docker engine runs on this machine, so the file is checked for what the code can check, and by
`docker-compose config` when that command is installed.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

from bus.broker_urls import split_amqp_urls
from bus.catalog import load_catalog
from bus.settings import BusSettings
from lgsp.default_catalog import DEFAULT_CATALOG
from services.registry import MOCKS

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
RABBITMQ_NODES = ("rabbitmq-1", "rabbitmq-2", "rabbitmq-3")
BUS_SERVICES = ("gateway", "worker", *MOCKS)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_every_mock_runs_in_its_own_service_on_its_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, spec in MOCKS.items():
        assert services[name]["command"][:2] == ["mock", name]
        assert services[name]["ports"] == [f"127.0.0.1:{spec.port}:{spec.port}"]
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


def test_only_the_gateway_is_published_and_broker_and_store_stay_internal(compose: dict[str, Any]) -> None:
    services, networks = compose["services"], compose["networks"]
    assert networks["internal"]["internal"] is True
    for private in (*RABBITMQ_NODES, "redis"):
        assert "ports" not in services[private], f"{private} must not be published"
        assert services[private]["networks"] == ["internal"]
    published = {name: spec["ports"] for name, spec in services.items() if "ports" in spec}
    everywhere = {
        name for name, ports in published.items() if any(not p.startswith("127.0.0.1:") for p in ports)
    }
    assert everywhere == {"gateway"}
    for name in ("gateway", "worker", *MOCKS):
        assert set(services[name]["networks"]) == {"edge", "internal"}


def test_monitoring_is_opened_by_a_configured_token_only(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in compose["services"]["gateway"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    from bus.auth import AuthSettings
    from bus.catalog import hash_api_key

    settings = AuthSettings()
    assert settings.monitoring_token_sha256 == (hash_api_key("compose-monitoring-token"),)
    assert "compose-monitoring-token" in COMPOSE.read_text()  # the header comment says how to use it


def test_the_image_copies_every_package_the_project_installs() -> None:
    import tomllib

    root = COMPOSE.parent
    included = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = {pattern.rstrip("*") for pattern in included["include"]}
    dockerfile = (root / "Dockerfile").read_text()
    assert {p for p in packages if f"COPY {p} ./{p}" not in dockerfile} == set()


def test_rabbitmq_is_a_three_node_cluster_of_named_nodes_with_their_own_data(compose: dict[str, Any]) -> None:
    services = compose["services"]
    config_file = COMPOSE.parent / "compose" / "rabbitmq-cluster.conf"
    listed = [
        line.split("=")[1].strip()
        for line in config_file.read_text().splitlines()
        if line.startswith("cluster_formation.classic_config.nodes.")
    ]
    assert listed == [f"rabbit@{node}" for node in RABBITMQ_NODES]
    cookies = {services[node]["environment"]["RABBITMQ_ERLANG_COOKIE"] for node in RABBITMQ_NODES}
    assert len(cookies) == 1  # one shared cookie, or the nodes refuse each other
    for node in RABBITMQ_NODES:
        spec = services[node]
        assert spec["hostname"] == node  # the node's name rabbit@<hostname> is the one the config lists
        assert "./compose/rabbitmq-cluster.conf:/etc/rabbitmq/conf.d/20-cluster.conf:ro" in spec["volumes"]
        assert f"{node}:/var/lib/rabbitmq" in spec["volumes"]
        assert node in compose["volumes"]
        assert spec["healthcheck"]["test"][:2] == ["CMD", "rabbitmq-diagnostics"]
    assert "rabbitmq" not in services  # no single broker left beside the cluster


def test_every_bus_process_is_given_every_node_and_waits_for_all_three(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in BUS_SERVICES:
        urls = split_amqp_urls(services[name]["environment"]["LGSP_AMQP_URL"])
        assert [urlparse(url).hostname for url in urls] == list(RABBITMQ_NODES)
        assert {urlparse(url).port for url in urls} == {5672}
        depends = services[name]["depends_on"]
        assert all(depends[node] == {"condition": "service_healthy"} for node in RABBITMQ_NODES)


@pytest.mark.skipif(
    shutil.which("docker-compose") is None and os.environ.get("CI") != "true",
    reason="docker-compose is not installed (under CI it must be: .ci/run installs it)",
)
def test_docker_compose_itself_accepts_the_file() -> None:
    checked = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
