"""`lgsp run`, `lgsp worker` and `lgsp gateway` refuse a broken adapter with one line naming it and the
cause (exit 2), and show the traceback only with --debug."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bus import adapter_registry
from bus.adapter_registry import AdapterBuildFailed, AdapterNotInstalled
from bus.catalog import hash_api_key
from lgsp.cli import app

BROKEN = "tests.lgsp.broken_adapters"
# Failing before any server or broker is reached: nothing listens on port 1.
NO_BROKER = "amqp://guest:guest@127.0.0.1:1/"


def catalog_using(tmp_path: Path, adapter: str, section: str = "{}") -> Path:
    """A catalog whose one service is served by `adapter`, configured by `section`."""
    path = tmp_path / "catalog.yaml"
    path.write_text(
        f"""
adapters:
  {adapter}: {section}
clients:
  - id: VN/GOV/HPG/STP
    groups: [province]
    api_key_sha256: [{hash_api_key("k")}]
services:
  - id: VN/GOV/HPG/LGSP/Echo/v1
    adapter: {adapter}
    allow: [group:province]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def broken_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed adapters plus three registered by a (pretend) third-party package."""
    installed = adapter_registry.installed_adapters()
    extra = {
        name: EntryPoint(name=name, value=f"{BROKEN}:{attribute}", group=adapter_registry.ENTRY_POINT_GROUP)
        for name, attribute in [("boom", "raises"), ("shapeless", "not_an_adapter"), ("fine", "echo")]
    }
    extra["unimportable"] = EntryPoint(
        name="unimportable", value="lgsp_no_such_package.adapter:create", group="lgsp.adapters"
    )
    monkeypatch.setattr(adapter_registry, "installed_adapters", lambda: {**installed, **extra})


COMMANDS = {
    "run": ["run", "--no-mocks", "--port", "1"],
    "worker": ["worker", "--amqp-url", NO_BROKER],
    "gateway": ["gateway", "--port", "1"],
}

CASES = [
    ("not installed", "ljtp", "{}", "adapter 'ljtp': not installed"),
    ("factory raises", "boom", "{}", "ProviderDirectoryDown: cannot reach the provider directory at"),
    ("not an adapter", "shapeless", "{}", "built a dict, which has no async handle(request)"),
    ("module missing", "unimportable", "{}", "ModuleNotFoundError"),
    ("invalid config", "payment", "{timeout_cap: soon}", "field 'timeout_cap'"),
]


@pytest.mark.usefixtures("broken_entry_points")
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(("case", "adapter", "section", "cause"), CASES, ids=[c[0] for c in CASES])
def test_broken_adapter_stops_the_command_with_one_line_naming_it(
    tmp_path: Path, command: str, case: str, adapter: str, section: str, cause: str
) -> None:
    catalog = catalog_using(tmp_path, adapter, section)
    result = CliRunner().invoke(app, [*COMMANDS[command], "--catalog", str(catalog)])
    refusal = [line for line in result.stderr.splitlines() if "refusing to start" in line]
    assert result.exit_code == 2, result.output
    assert len(refusal) == 1 and f"adapter {adapter!r}" in refusal[0] and cause in refusal[0]
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("broken_entry_points")
def test_a_working_third_party_adapter_is_not_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bus.worker.BROKER_PATIENCE_SECONDS", 0.5)  # not the 120 s a deployment waits
    catalog = catalog_using(tmp_path, "fine")
    result = CliRunner().invoke(app, ["worker", "--amqp-url", NO_BROKER, "--catalog", str(catalog)])
    assert "refusing to start" not in result.output  # it got as far as the (absent) broker
    assert result.exit_code != 0


@pytest.mark.usefixtures("broken_entry_points")
def test_debug_shows_the_cause_with_its_traceback(tmp_path: Path) -> None:
    catalog = catalog_using(tmp_path, "boom")
    result = CliRunner().invoke(app, ["run", "--no-mocks", "--debug", "--catalog", str(catalog)])
    assert result.exit_code != 0
    assert isinstance(result.exception, AdapterBuildFailed) and result.exception.adapter == "boom"
    assert type(result.exception.__cause__).__name__ == "ProviderDirectoryDown"


def test_not_installed_is_an_adapter_unavailable_naming_what_is_installed(tmp_path: Path) -> None:
    from bus.catalog import load_catalog

    catalog = load_catalog(catalog_using(tmp_path, "ljtp"))
    with pytest.raises(AdapterNotInstalled, match=r"adapter 'ljtp': not installed .*echo"):
        adapter_registry.build_adapters(catalog, ["ljtp"])
