"""The adapter contract: one `handle` that turns a canonical request into the provider's answer.

An adapter is built by a factory registered in the `lgsp.adapters` entry-point group:
`factory(config: Mapping[str, Any]) -> Adapter`, `config` being the adapter's section of the catalog.
Failures are raised as errors of the taxonomy (`bus.errors`), e.g. `ProviderTimeout`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import JsonValue

from bus.envelope import Envelope

if TYPE_CHECKING:
    from adapters.sdk.services import ServiceTable


@runtime_checkable
class Adapter(Protocol):
    """Converts between the bus's canonical JSON and one national system's protocol."""

    async def handle(self, request: Envelope) -> JsonValue:
        """Serve one request; return the canonical answer or raise a `bus.errors.BusError`."""
        ...


@runtime_checkable
class ManagedAdapter(Adapter, Protocol):
    """An adapter holding resources (pooled clients, tokens): the worker starts and closes it."""

    async def start(self) -> None:
        """Called once before the first request."""
        ...

    async def close(self) -> None:
        """Called once when the worker stops."""
        ...


@runtime_checkable
class DeclaresServices(Protocol):
    """An adapter that lists the services it serves, with their canonical models and JSON schemas."""

    services: ServiceTable


class AdapterFactory(Protocol):
    """What an `lgsp.adapters` entry point names."""

    def __call__(self, config: Mapping[str, Any]) -> Adapter: ...
