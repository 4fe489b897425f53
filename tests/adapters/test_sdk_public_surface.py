"""The SDK's public surface is exactly `adapters.sdk.__all__`, every name of it importable."""

from __future__ import annotations

import adapters.sdk


def test_every_exported_name_resolves() -> None:
    missing = [name for name in adapters.sdk.__all__ if not hasattr(adapters.sdk, name)]
    assert missing == []


def test_public_names_are_exported_and_nothing_else() -> None:
    public = {name for name in vars(adapters.sdk) if not name.startswith("_")}
    modules = {
        "agency_adapter",
        "agency_errors",
        "aiohttp_transport",
        "dossier_codes",
        "http_client",
        "oauth2",
        "provider_adapter",
        "provider_errors",
        "services",
        "signing",
        "soap",
        "soap_call",
        "store_book",
        "vn_dates",
    }
    assert public - modules == set(adapters.sdk.__all__)
    assert len(adapters.sdk.__all__) == len(set(adapters.sdk.__all__))
