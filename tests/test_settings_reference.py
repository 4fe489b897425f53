"""docs/SETTINGS.md lists every setting of every component, in step with the code and deployment files."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bus.settings_reference import (
    describe,
    distribution_packages,
    env_names,
    render_reference,
    settings_classes,
)

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "SETTINGS.md"
REGENERATE = "lgsp config reference --output docs/SETTINGS.md"


@pytest.fixture(scope="module")
def classes() -> list[type]:
    return list(settings_classes(distribution_packages()))


def test_reference_page_is_generated_from_the_current_settings(classes: list[type]) -> None:
    expected = render_reference(classes)
    assert PAGE.read_text(encoding="utf-8") == expected, (
        f"docs/SETTINGS.md is out of date: run `{REGENERATE}`"
    )


def test_every_component_settings_class_is_found(classes: list[type]) -> None:
    names = {cls.__name__ for cls in classes}
    assert {"BusSettings", "GatewaySettings", "AuthSettings", "TxLogSettings", "MonitoringSettings"} <= names
    assert {"PaymentSettings", "VnpostSettings", "PortalSettings", "MotcuaSettings"} <= names


def test_every_setting_says_what_it_is_for(classes: list[type]) -> None:
    undescribed = [
        f"{cls.__name__}: {doc.variables[0]}"
        for cls in classes
        for doc in describe(cls)
        if not doc.description
    ]
    assert not undescribed, f"give these a Field(description=...): {undescribed}"


def _named_variables(text: str) -> set[str]:
    return set(re.findall(r"\bLGSP_[A-Z0-9_]*[A-Z0-9]", text))


def _cli_variables() -> set[str]:
    """The variables the CLI's own options read (a client's keys, not the components' settings)."""
    import typer.main

    from lgsp.cli import app

    def commands(command: Any) -> Iterator[Any]:
        yield command
        if hasattr(command, "list_commands"):  # a group: its lazy sub-groups load when resolved by name
            context = command.context_class(command)
            for name in command.list_commands(context):
                yield from commands(command.resolve_command(context, [name])[1])

    return {
        p.envvar for c in commands(typer.main.get_command(app)) for p in c.params if isinstance(p.envvar, str)
    }


def test_every_variable_the_deployment_files_and_readme_name_is_a_real_setting(classes: list[type]) -> None:
    known = {name for cls in classes for doc in describe(cls) for name in doc.variables} | _cli_variables()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    named = set(compose["x-lgsp"]["environment"])
    for document in ("Dockerfile", "README.md"):
        named |= _named_variables((ROOT / document).read_text(encoding="utf-8"))
    assert named, "no LGSP_ variable found: the check reads the wrong files"
    assert named <= known, f"named but read by no settings class: {sorted(named - known)}"


def test_a_variable_with_alias_choices_lists_each_of_them() -> None:
    from bus.txlog.settings import TxLogSettings

    field = TxLogSettings.model_fields["redis_url"]
    assert env_names(TxLogSettings, "redis_url", field) == ("LGSP_TXLOG_REDIS_URL", "LGSP_REDIS_URL")


@pytest.fixture
def outside_package(tmp_path: Path) -> Iterator[str]:
    """A package, not this project's, whose settings live in a nested module."""
    package = tmp_path / "lgsp_outside_pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "config.py").write_text(
        "from pydantic import Field, SecretStr\n"
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n"
        "class OutsideSettings(BaseSettings):\n"
        '    """Settings of a component nobody registered."""\n\n'
        '    model_config = SettingsConfigDict(env_prefix="LGSP_OUTSIDE_")\n\n'
        '    password: SecretStr = Field(SecretStr("hunter2-hunter2"), description="its password")\n'
        '    rate: float = Field(0.5, description="its rate")\n'
    )
    # A scaffold shipped as data (no __init__.py beside it) is not a module of the package.
    (package / "skeleton").mkdir()
    (package / "skeleton" / "settings.py").write_text(
        "import not_installed_anywhere\n\nclass SkeletonSettings(BaseSettings):\n    pass\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield package.name
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith(package.name)]:
            del sys.modules[name]


def test_settings_in_any_module_of_a_package_reach_the_page_with_secrets_masked(outside_package: str) -> None:
    found = settings_classes([outside_package])
    assert [cls.__name__ for cls in found] == ["OutsideSettings"]
    page = render_reference(found)
    assert "| `LGSP_OUTSIDE_PASSWORD` | `SecretStr` | `********` | its password |" in page
    assert "| `LGSP_OUTSIDE_RATE` | `float` | `0.5` | its rate |" in page
    assert "hunter2" not in page
