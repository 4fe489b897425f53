"""`lgsp adapter new NAME`: write the package skeleton of an outside adapter from the shipped template.

The template (`lgsp/adapter_template/`, package data) is a complete adapter package: its entry points,
two services on the SDK, a signed provider callback, its own provider mock, a conformance profile, a
catalog and tests that run outside this repository. Each `*.tmpl` file is a `string.Template` (`$$`
stands for a literal `$`); a path part `__package__` becomes the package's name.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from importlib.util import find_spec
from pathlib import Path
from string import Template

TEMPLATE_PACKAGE = "lgsp"
TEMPLATE_DIRECTORY = "adapter_template"
TEMPLATE_SUFFIX = ".tmpl"
PACKAGE_PLACEHOLDER = "__package__"
# Lower-case: the name is also the adapter's entry-point name and the first part of its event types
# (bus.events.EventType), which allow only lower-case letters, digits and underscores.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class ScaffoldError(ValueError):
    """`lgsp adapter new` refused its input; nothing was written."""


class InvalidAdapterName(ScaffoldError):
    """The name is not a lower-case Python identifier free for a new top-level package."""


class TargetExists(ScaffoldError):
    """The directory to write already exists; the scaffold never overwrites anything."""


@dataclass(frozen=True)
class AdapterNames:
    """Every name the template derives from the adapter's: package, distribution, class prefix, subsystem."""

    name: str

    @property
    def distribution(self) -> str:
        """The pip distribution: `lgsp-adapter-<name>`, underscores as hyphens."""
        return "lgsp-adapter-" + self.name.replace("_", "-")

    @property
    def title(self) -> str:
        """The class-name prefix: `land_records` → `LandRecords`."""
        return "".join(part.capitalize() for part in self.name.split("_") if part)

    @property
    def subsystem(self) -> str:
        """The X-Road subsystem code of its services: the name in capitals."""
        return self.name.upper()

    def mapping(self) -> dict[str, str]:
        """The template's placeholders."""
        return {
            "name": self.name,
            "dist": self.distribution,
            "title": self.title,
            "subsystem": self.subsystem,
        }


def validate_name(name: str) -> AdapterNames:
    """`name` as the adapter's names; InvalidAdapterName saying which rule it breaks."""
    if not NAME_PATTERN.match(name):
        raise InvalidAdapterName(
            f"adapter name {name!r} must be a lower-case Python identifier of at most 40 characters: "
            "a letter, then letters, digits or underscores (e.g. judicial_records)"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise InvalidAdapterName(f"adapter name {name!r} is a Python keyword")
    if find_spec(name) is not None:
        raise InvalidAdapterName(
            f"adapter name {name!r} is already an importable module here; "
            "a package of that name would shadow it or be shadowed"
        )
    return AdapterNames(name)


def template_root() -> Traversable:
    """The template directory shipped inside the `lgsp` package."""
    return files(TEMPLATE_PACKAGE).joinpath(TEMPLATE_DIRECTORY)


def render_template(names: AdapterNames) -> dict[Path, str]:
    """Every file of the skeleton for `names`: relative path → text (nothing written)."""
    rendered: dict[Path, str] = {}
    pending: list[tuple[Traversable, Path]] = [(template_root(), Path())]
    while pending:
        folder, relative = pending.pop()
        for entry in folder.iterdir():
            if entry.name == "__pycache__":
                continue
            part = entry.name.replace(PACKAGE_PLACEHOLDER, names.name)
            if entry.is_dir():
                pending.append((entry, relative / part))
            elif entry.name.endswith(TEMPLATE_SUFFIX):
                text = Template(entry.read_text(encoding="utf-8")).substitute(names.mapping())
                rendered[relative / part.removesuffix(TEMPLATE_SUFFIX)] = text
    return dict(sorted(rendered.items()))


def write_skeleton(name: str, directory: Path | None = None) -> tuple[Path, list[Path]]:
    """Write the skeleton of adapter `name` into `directory` (default `./<name>`), which must not exist.

    Returns the directory and the files written. InvalidAdapterName or TargetExists before anything is
    written.
    """
    names = validate_name(name)
    target = Path(directory) if directory is not None else Path.cwd() / name
    if target.exists():
        raise TargetExists(f"{target} already exists; choose another --dir (nothing was overwritten)")
    files_to_write = render_template(names)
    target.mkdir(parents=True)
    written = []
    for relative, text in files_to_write.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return target, written
