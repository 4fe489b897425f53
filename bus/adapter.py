"""The adapter contract: what an `lgsp.adapters` entry point gives the bus, and nothing more.

An adapter is built by a factory registered in the `lgsp.adapters` entry-point group:
`factory(config: Mapping[str, Any]) -> Adapter`, `config` being the adapter's section of the catalog
(its secrets included: one source for each). The bus never imports an adapter by name; it asks what
the built object offers, each part being a small runtime-checkable protocol:

    Adapter            required   async handle(request: Envelope) -> JsonValue
    ManagedAdapter     optional   async start() / async close(): the worker opens and closes resources
    DeclaresServices   optional   services.spec_for(service).json_schema(): the gateway serves schemas
                                  (the gateway builds the adapter for this but never starts it)
    ReceivesCallbacks  optional   callback_router(inbound) -> APIRouter: provider callbacks, mounted by
                                  the gateway under /callbacks (see `bus.inbound.InboundContext`)

Failures are raised as errors of the taxonomy (`bus.errors`), e.g. `ProviderTimeout`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import JsonValue

from bus.envelope import Envelope
from bus.identifiers import ServiceId

if TYPE_CHECKING:
    from fastapi import APIRouter

    from bus.inbound import InboundContext


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


class DeclaredService(Protocol):
    """One service an adapter declares: its canonical request and response JSON schemas."""

    def json_schema(self) -> dict[str, Any]:
        """`{"request": <JSON schema>, "response": <JSON schema>, ...}`."""
        ...


class ServiceDeclarations(Protocol):
    """The services an adapter declares, found by service id."""

    def spec_for(self, service: ServiceId) -> DeclaredService:
        """The declaration serving `service`; raise `bus.errors.UnknownService` when there is none."""
        ...


@runtime_checkable
class DeclaresServices(Protocol):
    """An adapter that lists its services with their canonical schemas (the SDK's `ServiceTable` fits)."""

    services: ServiceDeclarations


@runtime_checkable
class ReceivesCallbacks(Protocol):
    """An adapter whose provider calls back (a payment confirmed, a parcel delivered).

    The gateway calls `callback_router` once at assembly, on an adapter built from the catalog but
    never started, and mounts the router under `/callbacks`; two adapters declaring the same method
    and path stop the gateway. The router's handlers check the provider's signature with the secrets
    of the adapter's own config, then publish bus events through `inbound.publish_once`.
    """

    def callback_router(self, inbound: InboundContext) -> APIRouter:
        """The adapter's callback routes, paths relative to `/callbacks` (e.g. `/paygov/{partner}`)."""
        ...


class AdapterFactory(Protocol):
    """What an `lgsp.adapters` entry point names."""

    def __call__(self, config: Mapping[str, Any]) -> Adapter: ...
