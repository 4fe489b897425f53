"""The mock national systems by name: how to build each app and where it listens by default.

Mocks that call back into the LGSP (payment confirmations, VNPost webhooks, the portal's dossiers)
are pointed at the gateway's URL unless their own settings already name one; a mock that waits in real
seconds (the payment platform's confirmations) waits `time_scale` times as long, so that its waits keep
their share of a compressed simulated day unless its own settings say otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any

from services.faults import FaultInjector, Latency

if TYPE_CHECKING:
    from fastapi import FastAPI

    from services.citizens import Population

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8000"
# The portal's credentials in the default catalog (client VN/GOV/DVCQG/PORTAL).
PORTAL_DEMO_KEY = "portal-demo-key"

# (the gateway's URL, the time scale, the mock's own URL as it is served) → the factory's arguments.
Wiring = Callable[[str, float, str], dict[str, Any]]


def _payment_wiring(gateway_url: str, time_scale: float, own_url: str) -> dict[str, Any]:
    from pydantic import HttpUrl

    from services.payment.settings import PaymentSettings

    settings = PaymentSettings()
    if "time_scale" not in settings.model_fields_set:
        settings = settings.model_copy(update={"time_scale": time_scale})
    if "public_url" not in settings.model_fields_set:  # the payer page's link: where it is served
        settings = settings.model_copy(update={"public_url": HttpUrl(own_url)})
    partners = {
        code: partner
        if partner.callback_url
        else partner.model_copy(update={"callback_url": f"{gateway_url}/callbacks/paygov/{code}"})
        for code, partner in settings.partners.items()
    }
    return {"settings": settings.model_copy(update={"partners": partners})}


def _vnpost_wiring(gateway_url: str, time_scale: float, own_url: str) -> dict[str, Any]:
    from services.vnpost.settings import VnpostSettings

    settings = VnpostSettings()
    if settings.webhook_url is None:
        settings = VnpostSettings(webhook_url=f"{gateway_url}/callbacks/vnpost")
    return {"settings": settings}


def _portal_wiring(gateway_url: str, time_scale: float, own_url: str) -> dict[str, Any]:
    from services.portal.settings import PortalSettings

    settings = PortalSettings()
    if "api_key" not in settings.model_fields_set:
        settings = PortalSettings(gateway_url=gateway_url, api_key=PORTAL_DEMO_KEY)
    return {"settings": settings}


def _motcua_wiring(gateway_url: str, time_scale: float, own_url: str) -> dict[str, Any]:
    from services.motcua.settings import MotcuaSettings

    settings = MotcuaSettings()
    if "gateway_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"gateway_url": gateway_url})
    return {"settings": settings}


@dataclass(frozen=True)
class MockSpec:
    """One mock system: its app factory ('module:function'), default port and description; `wiring`
    gives the factory's arguments that point the mock back at the gateway."""

    factory: str
    port: int
    description: str
    takes_population: bool = False
    wiring: Wiring | None = None

    def create(self, **kwargs: Any) -> FastAPI:
        """The factory called with `kwargs` as they are."""
        module_name, function_name = self.factory.split(":")
        factory: Callable[..., FastAPI] = getattr(import_module(module_name), function_name)
        return factory(**kwargs)

    def build(
        self,
        *,
        population: Population | None,
        latency: bool,
        gateway_url: str = DEFAULT_GATEWAY_URL,
        time_scale: float = 1.0,
        own_url: str | None = None,
    ) -> FastAPI:
        """The mock as the LGSP runs it: wired to the gateway, sharing `population` with the other
        mocks that hold citizens, instant when `latency` is off, its real-time waits × `time_scale`;
        `own_url` (default: 127.0.0.1 on its default port) is where it is served, for the links it hands
        out (the payer page's)."""
        own = own_url if own_url is not None else f"http://127.0.0.1:{self.port}"
        kwargs = self.wiring(gateway_url, time_scale, own) if self.wiring else {}
        if self.takes_population:
            kwargs["population"] = population
        app = self.create(**kwargs)
        if not latency:
            without_latency(app)
        return app


def without_latency(app: FastAPI) -> None:
    """Make a mock instant, even after a fault reset."""
    injector: FaultInjector = app.state.faults
    injector.defaults = injector.defaults.model_copy(update={"latency": Latency()})
    injector.reset()


MOCKS: dict[str, MockSpec] = {
    "population": MockSpec(
        "services.population.app:create_app", 8101, "national population database (BCA), SOAP/XML", True
    ),
    "civil": MockSpec(
        "services.civil.app:create_app", 8102, "civil registry (Ministry of Justice), REST", True
    ),
    "payment": MockSpec(
        "services.payment.app:create_app", 8103, "payment platform (PayGov-like)", wiring=_payment_wiring
    ),
    "vnpost": MockSpec(
        "services.vnpost.app:create_app", 8104, "VNPost: OAuth2, orders, tracking", wiring=_vnpost_wiring
    ),
    "motcua": MockSpec(
        "services.motcua.app:create_app", 8106, "provincial one-stop dossier system", wiring=_motcua_wiring
    ),
    "portal": MockSpec(
        "services.portal.app:create_app",
        8105,
        "National Public Service Portal (a caller)",
        wiring=_portal_wiring,
    ),
    "residence": MockSpec(
        "services.residence.app:create_app", 8107, "police residence database (CSDL về cư trú), REST", True
    ),
    "insurance": MockSpec(
        "services.insurance.app:create_app", 8108, "social insurance (BHXH): TE cards, survivor benefit", True
    ),
    "social": MockSpec(
        "services.social.app:create_app", 8109, "labour and social affairs: funeral allowance", True
    ),
    "lltp": MockSpec(
        "services.lltp.app:create_app", 8110, "judicial records (lý lịch tư pháp) certificates", True
    ),
}
