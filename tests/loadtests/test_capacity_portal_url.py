"""Where a load run files its synchronised dossiers: the portal mock the gateway reports progress to."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from lgsp.cli import app
from lgsp.dashboard_wiring import load_profiles
from loadtests.capacity import CapacityRun
from loadtests.soak import steady_load_on
from loadtests.stack import Stack

PORTAL = "http://127.0.0.1:18105"


def option(argv: list[str], name: str) -> str | None:
    """The value following `name` in `argv`, or None."""
    return argv[argv.index(name) + 1] if name in argv else None


def test_the_transaction_mix_is_told_the_portal_mock_not_only_journey_runs(tmp_path: Path) -> None:
    run = CapacityRun(out=tmp_path, shape="steady", host="http://127.0.0.1:18000", portal_url=PORTAL)
    assert option(run.locust_args("http://127.0.0.1:18000", None, PORTAL), "--lgsp-portal-url") == PORTAL
    assert option(run.locust_args("http://127.0.0.1:18000"), "--lgsp-portal-url") is None  # Locust's own


def test_the_dashboards_load_profiles_file_on_the_running_portal_mock(tmp_path: Path) -> None:
    profiles = load_profiles("http://127.0.0.1:18000", tmp_path, PORTAL)
    assert profiles and all(option(p.argv, "--portal-url") == PORTAL for p in profiles)
    assert all("--portal-url" not in p.argv for p in load_profiles("http://127.0.0.1:18000", tmp_path))


def test_a_portal_url_without_a_host_is_a_usage_error(tmp_path: Path) -> None:
    args = ["capacity", "--out", str(tmp_path / "report"), "--portal-url", PORTAL]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "own portal mock" in " ".join(result.output.split())
    assert not (tmp_path / "report").exists()


def test_a_soak_files_on_the_portal_mock_of_the_stack_it_started(tmp_path: Path) -> None:
    stack = Stack(gateway_url="http://127.0.0.1:18000", mock_ports={"portal": 18105, "civil": 18102})
    run = steady_load_on(stack, tmp_path, rate=50, minutes=1)
    assert (run.host, run.portal_url, run.seconds) == ("http://127.0.0.1:18000", PORTAL, 60)
