"""The adapter guide is what the tests run: every file it shows is what `lgsp adapter new` writes
(installed and run end to end by test_adapter_new_package.py), its code parses, and every public name
it mentions is documented where it is defined."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lgsp.adapter_scaffold import AdapterNames, render_template

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "adapters" / "README.md"
EXAMPLE = AdapterNames("judicial")
SHOWN = {
    "judicial/models.py": "python",
    "judicial/adapter.py": "python",
    "judicial/callbacks.py": "python",
    "judicial/mock.py": "python",
    "judicial/conformance.py": "python",
    "pyproject.toml": "toml",
    "catalog.yaml": "yaml",
    "conftest.py": "python",
    "tests/test_conformance.py": "python",
}
# Where the guide's names are defined (a name is looked up in each, in this order).
NAMESPACES = (
    "bus.adapter",
    "bus.inbound",
    "bus.envelope",
    "bus.identifiers",
    "bus.errors",
    "bus.events",
    "bus.store",
    "adapters.sdk",
    "adapters.conformance",
    "lgsp.mock_provider",
    "lgsp.adapter_scaffold",
    "services.faults",
)
# Variables the guide's prose calls methods on (`await inbound.publish_once(...)`), and their types.
VARIABLES = {
    "client": "ProviderClient",
    "inbound": "InboundContext",
    "spec": "ServiceSpec",
    "envelope": "Envelope",
}
PROJECT_PACKAGES = {"bus", "adapters", "lgsp", "services"}


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _guide(), flags=re.DOTALL)


@pytest.mark.parametrize(("path", "language"), sorted(SHOWN.items()))
def test_the_guide_shows_each_template_file_verbatim(path: str, language: str) -> None:
    rendered = {str(p): text for p, text in render_template(EXAMPLE).items()}
    assert rendered[path] in _blocks(language), f"adapters/README.md no longer shows {path} as written"


def test_every_file_the_guide_lists_is_one_the_template_writes() -> None:
    listed = set(re.findall(r"^\| `([^`]+)`", _guide(), flags=re.MULTILINE))
    written = {str(p) for p in render_template(EXAMPLE)} | {"tests/"}
    named = {name.strip() for entry in listed for name in entry.split("`, `")}
    files = {n for n in named if "/" in n or n.endswith((".py", ".toml", ".yaml"))}
    assert files and files <= written, files - written


def test_every_python_example_in_the_guide_parses() -> None:
    for block in _blocks("python"):
        ast.parse(block)


def _resolve(dotted: str) -> Any:
    """The object `dotted` names (`ServiceTable.spec_for`, `bus.inbound.InboundContext`), or None."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        return _walk(found, parts[split:])
    for namespace in NAMESPACES:
        found = _walk(importlib.import_module(namespace), parts)
        if found is not None:
            return found
    return None


def _walk(start: Any, attributes: list[str]) -> Any:
    found = start
    for attribute in attributes:
        found = getattr(found, attribute, None)
        if found is None:
            return None
    return found


def _documentable(thing: Any) -> bool:
    """A module, class, function or property of this project (third-party names are not ours to fix)."""
    if not (isinstance(thing, ModuleType | property) or inspect.isclass(thing) or inspect.isfunction(thing)):
        return False
    module = inspect.getmodule(thing.fget if isinstance(thing, property) else thing)
    return module is not None and module.__name__.split(".")[0] in PROJECT_PACKAGES


def test_every_public_name_the_guide_mentions_is_documented_where_it_is_defined() -> None:
    prose = re.sub(r"```.*?```", "", _guide(), flags=re.DOTALL)
    spans = re.findall(r"`([^`]+)`", prose)
    starts = [re.match(r"[A-Za-z_][\w.]*", s.strip().removeprefix("await ")) for s in spans]
    names = {m.group(0).rstrip(".") for m in starts if m}
    for variable, kind in VARIABLES.items():
        names |= {kind + name[len(variable) :] for name in names if name.startswith(variable + ".")}
    checked, undocumented = [], []
    for name in sorted(names):
        if name.split(".")[-1].startswith("_"):
            continue
        thing = _resolve(name)
        if not _documentable(thing):
            continue
        checked.append(name)
        if not (thing.__doc__ or "").strip():
            undocumented.append(name)
    assert len(checked) >= 30, checked  # the check reaches the names the guide is about
    assert undocumented == [], undocumented
