"""The catalog: one YAML file declaring clients, adapters, services and access rights."""

from bus.catalog.loader import CatalogError, CatalogProblem, load_catalog, parse_catalog
from bus.catalog.model import Catalog, ClientSpec, ServiceSpec, hash_api_key

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogProblem",
    "ClientSpec",
    "ServiceSpec",
    "hash_api_key",
    "load_catalog",
    "parse_catalog",
]
