"""Sub-command groups load on first use yet behave as if mounted: listed with their help, runnable."""

from __future__ import annotations

from typer.testing import CliRunner

from lgsp.cli import LgspCommands, app


def test_help_lists_every_lazy_group_with_its_help() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name, (_, help_text) in LgspCommands.subcommands.items():
        assert any(
            line.split("│")[1].split()[:1] == [name] and help_text in line
            for line in result.output.splitlines()
            if line.count("│") >= 2
        ), name


def test_a_lazy_group_loads_when_named_and_offers_its_own_commands() -> None:
    result = CliRunner().invoke(app, ["dlq", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert all(command in result.output for command in ("list", "show", "replay", "purge"))
    assert "--install-completion" not in result.output  # a sub-command, not a program of its own


def test_a_lazy_groups_command_runs() -> None:
    result = CliRunner().invoke(app, ["adapter", "list"], terminal_width=200)
    assert result.exit_code == 0 and "adapters.payment:create_adapter" in result.output
