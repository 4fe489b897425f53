"""Sub-command groups imported on first use, so that `lgsp --help` loads none of their dependencies.

`lgsp --help` lists each group with the one-line help given here; running `lgsp dlq ...` (or asking
`lgsp dlq --help`) imports the group's module and runs the real typer app.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:  # recent typer vendors click as typer._click: its classes are the ones to use
    from typer._click import Command, Context

_COMPLETION_OPTIONS = {"install_completion", "show_completion"}


class LazySubcommands(TyperGroup):
    """A typer group whose `subcommands` ({name: ("module:typer_app", help)}) load when resolved."""

    subcommands: ClassVar[dict[str, tuple[str, str]]] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        """The group's own commands, then the lazy groups not loaded yet."""
        own = super().list_commands(ctx)
        return [*own, *(name for name in self.subcommands if name not in own)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """A loaded command, or a stand-in carrying a lazy group's help (for listings only)."""
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self.subcommands:
            return command
        return TyperGroup(name=cmd_name, help=self.subcommands[cmd_name][1])

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """Import a lazy group the first time the command line names it."""
        name = args[0] if args else None
        if name in self.subcommands and name not in self.commands:
            self.add_command(self._load(name), name)
        return super().resolve_command(ctx, args)

    def _load(self, name: str) -> Command:
        target, help_text = self.subcommands[name]
        module_name, _, attribute = target.partition(":")
        sub_app: typer.Typer = getattr(import_module(module_name), attribute)
        command = typer.main.get_command(sub_app)
        command.help = help_text
        # Built alone, a typer app offers shell-completion options; as a sub-command it must not.
        command.params = [p for p in command.params if p.name not in _COMPLETION_OPTIONS]
        return command
