"""Find adapters through the `lgsp.adapters` entry-point group and build them from the catalog."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

from adapters.base import Adapter
from bus.catalog import Catalog

ENTRY_POINT_GROUP = "lgsp.adapters"


class AdapterNotInstalled(LookupError):
    """A catalog names an adapter that no installed package registers."""


def installed_adapters() -> dict[str, EntryPoint]:
    """Every adapter registered in the `lgsp.adapters` group, by name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def missing_adapters(catalog: Catalog) -> list[str]:
    """Adapter names the catalog's services use that are not installed."""
    installed = installed_adapters()
    return sorted({s.adapter for s in catalog.services if s.adapter not in installed})


def build_adapters(catalog: Catalog, names: Iterable[str]) -> dict[str, Adapter]:
    """Load each named adapter's factory and call it with its catalog section."""
    installed = installed_adapters()
    built: dict[str, Adapter] = {}
    for name in sorted(set(names)):
        entry = installed.get(name)
        if entry is None:
            raise AdapterNotInstalled(
                f"adapter {name!r} is not installed (entry-point group {ENTRY_POINT_GROUP!r} has: "
                f"{', '.join(sorted(installed)) or 'nothing'})"
            )
        adapter = entry.load()(catalog.adapters.get(name, {}))
        if not isinstance(adapter, Adapter):
            raise TypeError(f"adapter {name!r} ({entry.value}) has no async handle(request) method")
        built[name] = adapter
    return built
