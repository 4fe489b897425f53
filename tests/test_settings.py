"""BusSettings: defaults, overrides from LGSP_* variables and .env, and clear errors on bad values."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from pydantic import ValidationError

import lgsp
from bus.settings import BusSettings
from lgsp.default_catalog import DEFAULT_CATALOG, catalog_path


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LGSP_ variable from the caller's shell and no stray .env may leak into a test."""
    for name in BusSettings.model_fields:
        monkeypatch.delenv(f"LGSP_{name.upper()}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_select_memory_transport_and_store_and_packaged_catalog() -> None:
    settings = BusSettings()
    assert settings.amqp_url is None
    assert settings.redis_url is None
    assert settings.catalog is None
    assert catalog_path(settings) == DEFAULT_CATALOG
    assert settings.delivery_limit == 5
    assert settings.max_body_bytes == 1_048_576
    assert settings.log_level == "INFO"


def test_default_catalog_belongs_to_the_composition_root() -> None:
    assert DEFAULT_CATALOG == Path(lgsp.__file__).resolve().parent / "default_catalog.yaml"
    assert DEFAULT_CATALOG.is_file()


def test_default_worker_name_is_host_and_process() -> None:
    assert BusSettings().worker_name == f"{socket.gethostname()}-{os.getpid()}"


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LGSP_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    monkeypatch.setenv("LGSP_REDIS_URL", "rediss://cache:6380/0")
    monkeypatch.setenv("LGSP_CATALOG", str(tmp_path / "hpg.yaml"))
    monkeypatch.setenv("LGSP_WORKER_NAME", "worker-7")
    monkeypatch.setenv("LGSP_LOG_LEVEL", "debug")
    monkeypatch.setenv("LGSP_DELIVERY_LIMIT", "3")
    settings = BusSettings()
    assert settings.amqp_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings.redis_url == "rediss://cache:6380/0"
    assert catalog_path(settings) == tmp_path / "hpg.yaml"
    assert settings.worker_name == "worker-7"
    assert settings.log_level == "DEBUG"
    assert settings.delivery_limit == 3


def test_dotenv_file_is_read_and_environment_wins_over_it(monkeypatch: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("LGSP_DELIVERY_LIMIT=8\nLGSP_MAX_BODY_BYTES=8100\n", encoding="utf-8")
    monkeypatch.setenv("LGSP_MAX_BODY_BYTES", "8200")
    settings = BusSettings()
    assert settings.delivery_limit == 8
    assert settings.max_body_bytes == 8200


def test_empty_url_variable_means_memory_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_REDIS_URL", "")
    assert BusSettings().redis_url is None


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("LGSP_MAX_BODY_BYTES", "eighty", "max_body_bytes"),
        ("LGSP_AMQP_URL", "redis://127.0.0.1:6379/0", "amqp_url"),
        ("LGSP_AMQP_URL", "amqp://", "amqp_url"),
        ("LGSP_AMQP_URL", "amqp://node-1/,http://node-2/", "amqp_url"),
        ("LGSP_AMQP_URL", "amqp://node-1/,", "amqp_url"),
        ("LGSP_AMQP_URL", "amqp://node-1/,amqp://node-1:port/", "amqp_url"),
        ("LGSP_AMQP_URL", "amqp://node-1/,amqp://node-1/", "amqp_url"),
        ("LGSP_REDIS_URL", "http://127.0.0.1:6379", "redis_url"),
        ("LGSP_LOG_LEVEL", "LOUD", "log_level"),
        ("LGSP_DELIVERY_LIMIT", "0", "delivery_limit"),
        ("LGSP_MAX_BODY_BYTES", "0", "max_body_bytes"),
    ],
)
def test_bad_value_raises_validation_error_naming_the_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        BusSettings()
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]


def test_wrong_scheme_error_says_which_scheme_is_expected() -> None:
    with pytest.raises(ValidationError, match=r"redis_url must look like redis://"):
        BusSettings(redis_url="memcached://127.0.0.1:11211")


def test_a_cluster_is_a_comma_separated_list_of_node_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_AMQP_URL", " amqp://guest:guest@rabbit-1:5672/ , amqps://rabbit-2:5671/")
    assert BusSettings().amqp_url == "amqp://guest:guest@rabbit-1:5672/,amqps://rabbit-2:5671/"


def test_a_bad_cluster_entry_is_named_by_its_position() -> None:
    with pytest.raises(ValidationError, match=r"broker URL 2 of 2 must look like amqp://"):
        BusSettings(amqp_url="amqp://guest:guest@rabbit-1/,http://rabbit-2/")
