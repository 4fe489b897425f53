"""`lgsp config show` prints the configuration in effect, and never a secret."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr
from typer.testing import CliRunner

from bus.config_masking import MASK, hide_url_secrets, is_secret_name, masked
from lgsp.config_report import config_app
from lgsp.default_catalog import DEFAULT_CATALOG

AMQP_PASSWORD = "amqp-pass-4f9c"
TOKEN_SECRET = "token-secret-" + "x" * 40
PROVIDER_KEY = "provider-api-key-77aa"


@pytest.fixture(autouse=True)
def clean_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No .env of the caller's may leak into what is shown."""
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    "name", ["token_secret", "api_key", "password", "client_secret", "webhook_secret", "access_token"]
)
def test_secret_names_are_recognised(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["token_ttl_seconds", "token_kid", "stream_key", "key_prefix", "base_url", "max_in_flight"]
)
def test_ordinary_names_are_not_taken_for_secrets(name: str) -> None:
    assert not is_secret_name(name)


def test_url_password_and_secret_query_values_are_masked_and_the_rest_kept() -> None:
    assert (
        hide_url_secrets("amqp://guest:guest@rabbitmq:5672/vhost")
        == f"amqp://guest:{MASK}@rabbitmq:5672/vhost"
    )
    assert hide_url_secrets("redis://:pw@cache:6379/0") == f"redis://:{MASK}@cache:6379/0"
    assert hide_url_secrets("https://h/x?token=abc&page=2") == f"https://h/x?token={MASK}&page=2"
    assert hide_url_secrets("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert hide_url_secrets("not a url: at all") == "not a url: at all"
    assert hide_url_secrets("amqp://u:p1@rabbit-1/,amqp://u:p2@rabbit-2/") == (
        f"amqp://u:{MASK}@rabbit-1/,amqp://u:{MASK}@rabbit-2/"
    )


class _Partner(BaseModel):
    secret: str
    callback_url: str


def test_secrets_are_masked_however_deep_they_sit() -> None:
    value = {
        "payment": {"base_url": "http://user:pw@pay:8103", "api_key": "k-1", "timeout": 5},
        "kids": {"k0": SecretStr("s")},
        "partner": _Partner(secret="p", callback_url="http://gw/cb"),
        "digests": ("a", "b"),
    }
    assert masked(value) == {
        "payment": {"base_url": f"http://user:{MASK}@pay:8103", "api_key": MASK, "timeout": 5},
        "kids": {"k0": MASK},
        "partner": {"secret": MASK, "callback_url": "http://gw/cb"},
        "digests": ["a", "b"],
    }


def test_an_unset_secret_shows_as_unset_not_as_a_mask() -> None:
    assert masked(None, "token_secret") is None


def _secret_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_AMQP_URL", f"amqp://guest:{AMQP_PASSWORD}@127.0.0.1:5672/")
    monkeypatch.setenv("LGSP_AUTH_TOKEN_SECRET", TOKEN_SECRET)
    monkeypatch.setenv("LGSP_ADAPTER_OVERRIDES", json.dumps({"population": {"api_key": PROVIDER_KEY}}))
    monkeypatch.setenv("LGSP_GATEWAY_MAX_IN_FLIGHT", "17")
    monkeypatch.delenv("LGSP_DELIVERY_LIMIT", raising=False)


def test_config_show_prints_values_in_effect_and_their_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _secret_environment(monkeypatch)
    result = CliRunner().invoke(config_app, ["show"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert f"catalog in use: {DEFAULT_CATALOG}" in lines
    assert any(line.startswith("LGSP_GATEWAY_MAX_IN_FLIGHT=17 ") and line.endswith("(set)") for line in lines)
    assert any(line.startswith("LGSP_DELIVERY_LIMIT=5 ") and line.endswith("(default)") for line in lines)
    assert any(line.startswith(f"LGSP_AMQP_URL=amqp://guest:{MASK}@127.0.0.1:5672/ ") for line in lines)
    assert any(line.startswith(f"LGSP_AUTH_TOKEN_SECRET={MASK} ") for line in lines)
    assert "[VnpostSettings] services.vnpost.settings" in lines


def test_config_show_never_prints_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    _secret_environment(monkeypatch)
    for arguments in (["show"], ["show", "--json"]):
        output = CliRunner().invoke(config_app, arguments).output
        for secret in (
            AMQP_PASSWORD,
            TOKEN_SECRET,
            PROVIDER_KEY,
            "hpg-lgsp-vnpost-client-secret",
            "dvcqg-dev-key",
        ):
            assert secret not in output


def test_config_show_json_groups_settings_by_class(monkeypatch: pytest.MonkeyPatch) -> None:
    _secret_environment(monkeypatch)
    result = CliRunner().invoke(config_app, ["show", "--json"])
    shown = json.loads(result.output)
    assert shown["catalog"] == str(DEFAULT_CATALOG)
    assert shown["settings"]["BusSettings"]["LGSP_ADAPTER_OVERRIDES"] == {"population": {"api_key": MASK}}
    assert shown["settings"]["GatewaySettings"]["LGSP_GATEWAY_MAX_IN_FLIGHT"] == 17


def test_an_invalid_setting_is_named_and_the_command_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_GATEWAY_MAX_IN_FLIGHT", "none")
    result = CliRunner().invoke(config_app, ["show"])
    assert result.exit_code == 1
    assert "INVALID: max_in_flight:" in result.output
    assert "[BusSettings] bus.settings" in result.output  # the other classes are still shown


def test_lgsp_has_the_config_command() -> None:
    lgsp = next(iter(entry_points(group="console_scripts", name="lgsp"))).load()
    result = CliRunner().invoke(lgsp, ["config", "reference"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Settings reference")
