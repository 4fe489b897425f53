"""The packaged default catalog: the province's clients, the built-in adapters and their services.

It names national systems, so it belongs to the composition root, not to the bus.
"""

from __future__ import annotations

from pathlib import Path

from bus.settings import BusSettings

DEFAULT_CATALOG: Path = Path(__file__).resolve().parent / "default_catalog.yaml"


def catalog_path(settings: BusSettings) -> Path:
    """The catalog to load: the one `settings` names (`LGSP_CATALOG`), or the packaged default."""
    return settings.catalog if settings.catalog is not None else DEFAULT_CATALOG
