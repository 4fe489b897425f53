"""`lgsp config`: the configuration in effect (secrets masked) and the settings reference page."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import JsonValue, ValidationError
from pydantic_settings import BaseSettings

from bus.config_masking import masked
from bus.settings import BusSettings
from bus.settings_reference import distribution_packages, env_names, render_reference, settings_classes
from lgsp.default_catalog import catalog_path

config_app = typer.Typer(help="Show the configuration in effect, or the reference of every setting.")


@dataclass(frozen=True)
class EffectiveSetting:
    """One setting's value in effect (masked) and whether the environment set it or it is the default."""

    variable: str
    value: JsonValue
    source: Literal["set", "default"]


@dataclass(frozen=True)
class EffectiveSection:
    """The settings of one class as this process would read them, or why they cannot be read."""

    name: str
    module: str
    settings: tuple[EffectiveSetting, ...]
    error: str | None = None


def effective_section(cls: type[BaseSettings]) -> EffectiveSection:
    """`cls` read from the environment (and `.env`) as a component would read it, secrets masked."""
    try:
        loaded = cls()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return EffectiveSection(cls.__name__, cls.__module__, (), error=problems)
    settings = tuple(
        EffectiveSetting(
            env_names(cls, name, field)[0],
            masked(getattr(loaded, name), name),
            "set" if name in loaded.model_fields_set else "default",
        )
        for name, field in cls.model_fields.items()
    )
    return EffectiveSection(cls.__name__, cls.__module__, settings)


def effective_configuration(classes: Iterable[type[BaseSettings]]) -> list[EffectiveSection]:
    """Every class's settings in effect."""
    return [effective_section(cls) for cls in classes]


def _value_text(value: JsonValue) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render_configuration(sections: Iterable[EffectiveSection], catalog: Path | None) -> str:
    """The configuration as `NAME=value  (set|default)` lines, one block per settings class."""
    sections = list(sections)
    assignments = [f"{s.variable}={_value_text(s.value)}" for section in sections for s in section.settings]
    width = min(max(map(len, assignments), default=0), 72)
    lines: list[str] = []
    if catalog is not None:
        lines += [f"catalog in use: {catalog}", ""]
    for section in sections:
        lines.append(f"[{section.name}] {section.module}")
        if section.error is not None:
            lines.append(f"  INVALID: {section.error}")
        for setting in section.settings:
            assignment = f"{setting.variable}={_value_text(setting.value)}"
            lines.append(f"  {assignment:<{width}}  ({setting.source})")
        lines.append("")
    return "\n".join(lines)


def _catalog_in_use() -> Path | None:
    try:
        return catalog_path(BusSettings())
    except ValidationError:
        return None  # its section says why


@config_app.command("show")
def show(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object, settings by class")] = False,
) -> None:
    """Print every setting in effect (environment, .env, defaults) with secrets masked."""
    sections = effective_configuration(settings_classes(distribution_packages()))
    catalog = _catalog_in_use()
    if as_json:
        document = {
            "catalog": None if catalog is None else str(catalog),
            "settings": {
                s.name: {"error": s.error} if s.error else {e.variable: e.value for e in s.settings}
                for s in sections
            },
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        typer.echo(render_configuration(sections, catalog), nl=False)
    if any(section.error for section in sections):
        raise typer.Exit(1)


@config_app.command("reference")
def reference(
    output: Annotated[Path | None, typer.Option(help="write the page here instead of printing it")] = None,
) -> None:
    """Print (or write) the reference page of every setting and its environment variable."""
    page = render_reference(settings_classes(distribution_packages()))
    if output is None:
        typer.echo(page, nl=False)
    else:
        output.write_text(page, encoding="utf-8")
        typer.echo(f"wrote {output}")
