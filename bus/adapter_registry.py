"""Find adapters through the `lgsp.adapters` entry-point group and build them from the catalog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from bus.adapter import Adapter
from bus.catalog import Catalog

ENTRY_POINT_GROUP = "lgsp.adapters"
PLACEHOLDER_PREFIX = "${bus."


class AdapterUnavailable(Exception):
    """An adapter the catalog names cannot be built; the message names it and says why in one line."""

    def __init__(self, adapter: str, cause: str) -> None:
        super().__init__(f"adapter {adapter!r}: {cause}")
        self.adapter = adapter
        self.cause = cause


class AdapterNotInstalled(AdapterUnavailable, LookupError):
    """A catalog names an adapter that no installed package registers."""


class AdapterBuildFailed(AdapterUnavailable):
    """The adapter's entry point did not load, its factory raised (a bad config, say), or it built
    something that is not an `Adapter`; the original exception is chained."""


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
    bus's shared store) resolved from `bus_values`. AdapterUnavailable names the first that cannot be
    built (not installed, its import or factory raised, or it is no Adapter)."""
    installed = installed_adapters()
    built: dict[str, Adapter] = {}
    for name in sorted(set(names)):
        entry = installed.get(name)
        if entry is None:
            raise AdapterNotInstalled(
                name,
                f"not installed (entry-point group {ENTRY_POINT_GROUP!r} has: "
                f"{', '.join(sorted(installed)) or 'nothing'})",
            )
        section = {**catalog.adapters.get(name, {}), **(overrides or {}).get(name, {})}
        built[name] = _build(name, entry, section, bus_values or {})
    return built


def _build(name: str, entry: EntryPoint, section: dict[str, Any], bus_values: Mapping[str, str]) -> Adapter:
    try:
        config = resolve_placeholders(section, bus_values)
        adapter = entry.load()(config)
    except Exception as exc:  # whatever a third party's import or factory raises: report it, chained
        said = " ".join(str(exc).split())  # one line, however the exception formats itself
        raise AdapterBuildFailed(name, f"{entry.value} failed: {type(exc).__name__}: {said}") from exc
    if not isinstance(adapter, Adapter):
        kind = type(adapter).__name__
        raise AdapterBuildFailed(name, f"{entry.value} built a {kind}, which has no async handle(request)")
    return adapter
