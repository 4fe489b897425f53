"""Every pydantic-settings class of the installed packages, and the reference page listing their variables.

The classes are found by reading the packages' sources (a module is imported only when it defines a
`...Settings` class), so the page cannot forget a component. Regenerate the page with
`lgsp config reference --output docs/SETTINGS.md`.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, get_args

from pydantic import AliasChoices, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from bus.config_masking import masked

_DEFINES_SETTINGS = re.compile(r"^class \w+\([^)]*Settings\b", re.MULTILINE)
_MODULE_PATH = re.compile(r"\b(?:[a-z_]\w*\.)+(?=[A-Za-z_])")


def distribution_packages() -> tuple[str, ...]:
    """The top-level packages installed with the bus (bus, adapters, services, ... of this project)."""
    owners = metadata.packages_distributions().get("bus", [])
    found: set[str] = set()
    for owner in owners:
        listed = metadata.distribution(owner).read_text("top_level.txt") or ""
        found.update(line.strip() for line in listed.splitlines() if line.strip())
    return tuple(sorted(found or {"bus"}))


def _modules_defining_settings(package: str) -> list[str]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    names = []
    for location in spec.submodule_search_locations:
        root = Path(location)
        for source in sorted(root.rglob("*.py")):
            in_package = all((d / "__init__.py").exists() for d in source.parents if d.is_relative_to(root))
            if in_package and _DEFINES_SETTINGS.search(source.read_text(encoding="utf-8")):
                parts = source.relative_to(root).with_suffix("").parts
                names.append(".".join((package, *parts)).removesuffix(".__init__"))
    return names


def settings_classes(packages: Iterable[str]) -> list[type[BaseSettings]]:
    """Every BaseSettings subclass defined in `packages`, ordered by module then name."""
    found: list[type[BaseSettings]] = []
    for package in packages:
        for name in _modules_defining_settings(package):
            module = importlib.import_module(name)
            found.extend(
                obj
                for obj in vars(module).values()
                if inspect.isclass(obj)
                and issubclass(obj, BaseSettings)
                and obj is not BaseSettings
                and obj.__module__ == name
            )
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


def env_names(cls: type[BaseSettings], name: str, field: FieldInfo) -> tuple[str, ...]:
    """The variables that set field `name` of `cls`, the usual one first."""
    alias = field.validation_alias
    if isinstance(alias, str):
        return (alias.upper(),)
    if isinstance(alias, AliasChoices):
        return tuple(choice.upper() for choice in alias.choices if isinstance(choice, str))
    prefix = str(cls.model_config.get("env_prefix", ""))
    return ((prefix + (field.alias or name)).upper(),)


def type_text(annotation: Any) -> str:
    """A field's type as a reader writes it: `int`, `str | None`, `dict[str, SecretStr]`."""
    if inspect.isclass(annotation) and not get_args(annotation):
        return annotation.__name__
    return _MODULE_PATH.sub("", repr(annotation))


def _default_text(field: FieldInfo) -> tuple[str, bool]:
    """The default as text, and whether that text is a literal value (else it says what the default is)."""
    factory = field.default_factory
    if factory is None:
        if field.default is PydanticUndefined:
            return "required", False
        value: object = field.default
    elif inspect.isfunction(factory) and factory.__doc__:
        return factory.__doc__.strip().splitlines()[0], False
    else:
        value = factory()  # type: ignore[call-arg]
    if field.annotation is not None:
        try:  # validated as the field would be, so a secret typed by the field is masked as one
            value = TypeAdapter(field.annotation).validate_python(value)
        except ValueError:
            pass
    shown = masked(value)
    if shown is None:
        return "unset", False
    if shown == "":
        return '""', True
    return (shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)), True


@dataclass(frozen=True)
class SettingDoc:
    """One setting as the reference page lists it."""

    variables: tuple[str, ...]
    type: str
    default: str
    default_is_literal: bool
    description: str


def describe(cls: type[BaseSettings]) -> list[SettingDoc]:
    """The settings of `cls`, in declaration order."""
    return [
        SettingDoc(
            env_names(cls, name, field),
            type_text(field.annotation),
            *_default_text(field),
            field.description or "",
        )
        for name, field in cls.model_fields.items()
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _summary(cls: type[BaseSettings]) -> str:
    return " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())


def render_reference(classes: Iterable[type[BaseSettings]]) -> str:
    """The reference page (Markdown) of `classes`."""
    lines = [
        "# Settings reference",
        "",
        "Every setting of every component, read by pydantic-settings from environment variables (and,",
        "where a class says so, a `.env` file in the working directory). Lists and mappings are JSON.",
        "`lgsp config show` prints the values in effect, secrets masked.",
        "",
        "Generated from the settings classes; do not edit by hand. Regenerate with:",
        "",
        "    lgsp config reference --output docs/SETTINGS.md",
    ]
    for cls in classes:
        reads_dotenv = "yes" if cls.model_config.get("env_file") else "no"
        lines += ["", f"## {cls.__name__} (`{cls.__module__}`)", "", _summary(cls), ""]
        lines += [f"Reads `.env`: {reads_dotenv}.", ""]
        lines += ["| variable | type | default | description |", "|---|---|---|---|"]
        for doc in describe(cls):
            variables = "<br>".join(f"`{name}`" for name in doc.variables)
            default = f"`{_cell(doc.default)}`" if doc.default_is_literal else _cell(doc.default)
            cells = (variables, f"`{_cell(doc.type)}`", default, _cell(doc.description))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
