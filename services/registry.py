"""The mock national systems by name: how to build each app and where it listens by default."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from services.faults import FaultInjector, Latency

if TYPE_CHECKING:
    from fastapi import FastAPI

    from services.citizens import Population


@dataclass(frozen=True)
class MockSpec:
    """One mock system: its app factory ('module:function'), default port and description."""

    factory: str
    port: int
    description: str
    takes_population: bool = False

    def build(self, *, population: Population | None, latency: bool) -> FastAPI:
        """Build the app; mocks that hold citizens share `population` so their data agrees."""
        module_name, function_name = self.factory.split(":")
        factory: Callable[..., FastAPI] = getattr(import_module(module_name), function_name)
        kwargs: dict[str, Any] = {"population": population} if self.takes_population else {}
        app = factory(**kwargs)
        if not latency:
            # Without realistic latency even a fault reset keeps the mock instant.
            injector: FaultInjector = app.state.faults
            injector.defaults = injector.defaults.model_copy(update={"latency": Latency()})
            injector.reset()
        return app


MOCKS: dict[str, MockSpec] = {
    "population": MockSpec(
        "services.population.app:create_app", 8101, "national population database (BCA), SOAP/XML", True
    ),
    "civil": MockSpec("services.civil.app:create_app", 8102, "civil registry (Ministry of Justice), REST", True),
    "payment": MockSpec("services.payment.app:create_app", 8103, "payment platform (PayGov-like)"),
    "vnpost": MockSpec("services.vnpost.app:create_app", 8104, "VNPost: OAuth2, orders, tracking"),
    "portal": MockSpec("services.portal.app:create_app", 8105, "National Public Service Portal (caller)"),
}
