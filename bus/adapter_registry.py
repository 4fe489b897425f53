"""Find adapters through the `lgsp.adapters` entry-point group and build them from the catalog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from bus.adapter import Adapter
from bus.catalog import Catalog

ENTRY_POINT_GROUP = "lgsp.adapters"
PLACEHOLDER_PREFIX = "${bus."


class AdapterNotInstalled(LookupError):
    """A catalog names an adapter that no installed package registers."""


def installed_adapters() -> dict[str, EntryPoint]:
    """Every adapter registered in the `lgsp.adapters` group, by name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def missing_adapters(catalog: Catalog) -> list[str]:
    """Adapter names the catalog's services use that are not installed."""
    installed = installed_adapters()
    return sorted({s.adapter for s in catalog.services if s.adapter not in installed})


def resolve_placeholders(config: Mapping[str, Any], bus_values: Mapping[str, str]) -> dict[str, Any]:
    """The config with every string value of the form `${bus.NAME}` replaced by `bus_values[NAME]`."""
    resolved: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIX) and value.endswith("}"):
            name = value[len(PLACEHOLDER_PREFIX) : -1]
            if name not in bus_values:
                raise KeyError(f"adapter config {key!r}: unknown placeholder {value!r}")
            value = bus_values[name]
        resolved[key] = value
    return resolved


def build_adapters(
    catalog: Catalog,
    names: Iterable[str],
    *,
    bus_values: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Adapter]:
    """Load each named adapter's factory and call it with its catalog section, updated by its
    `overrides` (a deployment's provider URLs, say), placeholders such as `${bus.store_url}` (the
    bus's shared store) resolved from `bus_values`."""
    installed = installed_adapters()
    built: dict[str, Adapter] = {}
    for name in sorted(set(names)):
        entry = installed.get(name)
        if entry is None:
            raise AdapterNotInstalled(
                f"adapter {name!r} is not installed (entry-point group {ENTRY_POINT_GROUP!r} has: "
                f"{', '.join(sorted(installed)) or 'nothing'})"
            )
        section = {**catalog.adapters.get(name, {}), **(overrides or {}).get(name, {})}
        config = resolve_placeholders(section, bus_values or {})
        adapter = entry.load()(config)
        if not isinstance(adapter, Adapter):
            raise TypeError(f"adapter {name!r} ({entry.value}) has no async handle(request) method")
        built[name] = adapter
    return built
