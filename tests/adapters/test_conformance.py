"""The conformance kit on the built-in adapters: all green (echo: provider checks not applicable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from adapters.conformance import ConformanceReport, check_target
from lgsp.adapter_cli import adapter_app

if TYPE_CHECKING:
    from adapters.conformance.pytest_plugin import RunConformance

pytest_plugins = ["adapters.conformance.pytest_plugin"]
PROVIDER_CHECKS = {
    "echoes_correlation_ids",
    "honours_deadline",
    "maps_provider_timeout",
    "maps_provider_5xx",
    "maps_provider_outage",
    "maps_malformed_body",
    "maps_rate_limit_429",
}


def _statuses(report: ConformanceReport) -> dict[str, str]:
    return {result.name: result.status for result in report.results}


@pytest.mark.slow
async def test_civil_adapter_passes_every_applicable_check() -> None:
    report = await check_target("adapters.civil:create_adapter")
    statuses = _statuses(report)
    assert report.ok, report.model_dump_json(indent=1)
    assert statuses.pop("maps_soap_fault") == "not_applicable"
    assert set(statuses.values()) == {"pass"}


@pytest.mark.slow
async def test_population_adapter_passes_every_check_including_soap_fault() -> None:
    report = await check_target("population")
    statuses = _statuses(report)
    assert report.ok, report.model_dump_json(indent=1)
    assert statuses["maps_soap_fault"] == "pass"
    assert statuses.pop("no_credentials_in_logs") == "not_applicable"  # it is configured with no secret
    assert set(statuses.values()) == {"pass"}


async def test_echo_adapter_passes_with_provider_checks_not_applicable() -> None:
    report = await check_target("echo")
    statuses = _statuses(report)
    assert report.ok, report.model_dump_json(indent=1)
    assert {name for name, status in statuses.items() if status == "not_applicable"} >= PROVIDER_CHECKS
    assert statuses["answers_every_service"] == statuses["vietnamese_text"] == "pass"


def test_check_command_exits_zero_and_writes_the_json_report(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(adapter_app, ["check", "echo", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "answers_every_service" in result.output
    report = ConformanceReport.model_validate(json.loads(out.read_text(encoding="utf-8")))
    assert report.adapter == "echo" and report.ok


@pytest.mark.slow
def test_check_command_exits_non_zero_naming_the_failed_check(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    target = "tests.adapters.fixtures.broken_civil:maps_5xx_wrongly"
    result = CliRunner().invoke(adapter_app, ["check", target, "--json", str(out)])
    assert result.exit_code == 1, result.output
    report = ConformanceReport.model_validate_json(out.read_text(encoding="utf-8"))
    assert report.failed() == ["maps_provider_5xx"]


def test_check_command_refuses_an_unknown_adapter_with_exit_status_2() -> None:
    result = CliRunner().invoke(adapter_app, ["check", "no-such-adapter"])
    assert result.exit_code == 2
    assert "no adapter 'no-such-adapter'" in result.output


def test_check_command_refuses_malformed_config_json() -> None:
    result = CliRunner().invoke(adapter_app, ["check", "echo", "--config", "[1, 2]"])
    assert result.exit_code == 2
    assert "--config must be a JSON object" in result.output


async def test_samples_from_the_command_line_replace_the_declared_ones(conformance: RunConformance) -> None:
    # Echo with a sample for a service id that does not parse: the kit reports it, it does not crash.
    report = await conformance("echo", samples=())
    assert report.result("answers_every_service").status == "fail"
    assert "no sample requests declared" in report.result("answers_every_service").detail


async def test_pytest_fixture_runs_the_kit_in_a_users_suite(conformance: RunConformance) -> None:
    report = await conformance("adapters.echo:EchoAdapter")
    assert report.ok and report.adapter == "adapters.echo:EchoAdapter"
