"""The mock national systems by name: how to build each app and where it listens by default.

Mocks that call back into the LGSP (payment confirmations, VNPost webhooks, the portal's dossiers)
are pointed at the gateway's URL unless their own settings already name one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from services.faults import FaultInjector, Latency

if TYPE_CHECKING:
    from fastapi import FastAPI

    from services.citizens import Population

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8000"
# The portal's credentials in the default catalog (client VN/GOV/DVCQG/PORTAL).
PORTAL_DEMO_KEY = "portal-demo-key"

Builder = Callable[["Population | None", str], "FastAPI"]


def _population(population: Population | None, gateway_url: str) -> FastAPI:
    from services.population.app import create_app

    return create_app(population)


def _civil(population: Population | None, gateway_url: str) -> FastAPI:
    from services.civil.app import create_app

    return create_app(population)


def _payment(population: Population | None, gateway_url: str) -> FastAPI:
    from services.payment.app import create_app
    from services.payment.settings import PaymentSettings

    settings = PaymentSettings()
    partners = {
        code: partner
        if partner.callback_url
        else partner.model_copy(update={"callback_url": f"{gateway_url}/callbacks/paygov/{code}"})
        for code, partner in settings.partners.items()
    }
    return create_app(settings.model_copy(update={"partners": partners}))


def _vnpost(population: Population | None, gateway_url: str) -> FastAPI:
    from services.vnpost.app import create_app
    from services.vnpost.settings import VnpostSettings

    settings = VnpostSettings()
    if settings.webhook_url is None:
        settings = VnpostSettings(webhook_url=f"{gateway_url}/callbacks/vnpost")
    return create_app(settings)


def _portal(population: Population | None, gateway_url: str) -> FastAPI:
    from services.portal.app import create_app
    from services.portal.settings import PortalSettings

    settings = PortalSettings()
    if "api_key" not in settings.model_fields_set:
        settings = PortalSettings(gateway_url=gateway_url, api_key=PORTAL_DEMO_KEY)
    return create_app(settings, population=population)


@dataclass(frozen=True)
class MockSpec:
    """One mock system: how to build it, its default port and what it is."""

    builder: Builder
    port: int
    description: str

    def build(
        self, *, population: Population | None, latency: bool, gateway_url: str = DEFAULT_GATEWAY_URL
    ) -> FastAPI:
        """Build the app; mocks holding citizens share `population` so their data agrees."""
        app = self.builder(population, gateway_url)
        if not latency:
            # Without realistic latency even a fault reset keeps the mock instant.
            injector: FaultInjector = app.state.faults
            injector.defaults = injector.defaults.model_copy(update={"latency": Latency()})
            injector.reset()
        return app


MOCKS: dict[str, MockSpec] = {
    "population": MockSpec(_population, 8101, "national population database (BCA), SOAP/XML"),
    "civil": MockSpec(_civil, 8102, "civil registry (Ministry of Justice), REST"),
    "payment": MockSpec(_payment, 8103, "payment platform (PayGov-like), signed callbacks"),
    "vnpost": MockSpec(_vnpost, 8104, "VNPost: OAuth2, orders, tracking, webhooks"),
    "portal": MockSpec(_portal, 8105, "National Public Service Portal (a caller of the LGSP)"),
}
