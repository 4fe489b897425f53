"""The gateway's generic callback plumbing: adapters' routers mounted under /callbacks (collisions
refused), and the inbound context's body limit, once-only publication and trace context."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request

from bus.adapter import ReceivesCallbacks
from bus.envelope import Envelope
from bus.errors import NoRoute
from bus.events import BusEvent, event_id_for
from bus.gateway.callbacks import CallbackRouteConflict, callbacks_router
from bus.inbound import BodyTooLarge, EventNotPublished, InboundContext, InboundSettings
from bus.store import MemoryStore

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Publisher:
    """Keeps what it publishes; refuses while `down`."""

    def __init__(self) -> None:
        self.published: list[BusEvent] = []
        self.down = False

    async def publish(self, event: BusEvent) -> None:
        if self.down:
            raise NoRoute("no queue bound for the event")
        self.published.append(event)


class Receiver:
    """An adapter whose provider calls back on `path` with `method`; it echoes what the context gives."""

    def __init__(self, path: str, method: str = "POST") -> None:
        self.path = path
        self.method = method

    async def handle(self, request: Envelope) -> Any:
        return {}

    def callback_router(self, inbound: InboundContext) -> APIRouter:
        router = APIRouter()

        async def receive(request: Request) -> dict[str, Any]:
            try:
                body = await inbound.read_body(request)
            except BodyTooLarge as refused:
                return {"refused": refused.reason}
            key = body.decode()
            event = BusEvent(
                event_id=event_id_for(key),
                type="payment.confirmed",
                source="VN/GOV/TEST/CALLBACK/Receive/v1",
                trace=inbound.trace_of(request),
            )
            return {"published": await inbound.publish_once(key, event), "namespace": inbound.namespace}

        router.add_api_route(self.path, receive, methods=[self.method])
        return router


class Plain:
    """An adapter without callbacks."""

    async def handle(self, request: Envelope) -> Any:
        return {}


def inbound(publisher: Publisher, store: MemoryStore | None = None, **settings: Any) -> InboundContext:
    return InboundContext(publisher, store or MemoryStore(), InboundSettings(**settings))


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


def test_an_adapter_with_a_callback_router_is_a_receiver_and_a_plain_one_is_not() -> None:
    assert isinstance(Receiver("/x"), ReceivesCallbacks)
    assert not isinstance(Plain(), ReceivesCallbacks)


def test_two_adapters_claiming_the_same_method_and_path_are_refused_naming_both() -> None:
    adapters = {"alpha": Receiver("/notify/{order}"), "beta": Receiver("/notify/{code}")}
    refusal = r"'alpha' and 'beta' both declare POST /callbacks/notify"
    with pytest.raises(CallbackRouteConflict, match=refusal):
        callbacks_router(adapters, inbound(Publisher()))


def test_the_same_path_with_another_method_is_no_conflict() -> None:
    adapters = {"alpha": Receiver("/notify"), "beta": Receiver("/notify", method="PUT"), "plain": Plain()}
    router = callbacks_router(adapters, inbound(Publisher()))
    app = FastAPI()
    app.include_router(router)
    assert set(app.openapi()["paths"]["/callbacks/notify"]) == {"post", "put"}


async def test_a_callback_publishes_once_under_its_adapters_namespace_with_the_callers_trace() -> None:
    publisher, store = Publisher(), MemoryStore()
    app = FastAPI()
    receivers = {"alpha": Receiver("/a"), "beta": Receiver("/b")}
    app.include_router(callbacks_router(receivers, inbound(publisher, store)))
    async with client(app) as http:
        first = (await http.post("/callbacks/a", content=b"K1", headers={"traceparent": TRACEPARENT})).json()
        again = (await http.post("/callbacks/a", content=b"K1")).json()
        other = (await http.post("/callbacks/b", content=b"K1")).json()  # same key, another adapter
    assert first == {"published": True, "namespace": "alpha"} and again["published"] is False
    assert other == {"published": True, "namespace": "beta"}
    assert len(publisher.published) == 2
    assert publisher.published[0].trace.traceparent.split("-")[1] == TRACEPARENT.split("-")[1]


async def test_a_refused_publication_gives_its_claim_back_so_the_providers_retry_succeeds() -> None:
    publisher, store = Publisher(), MemoryStore()
    context = inbound(publisher, store).for_adapter("alpha")
    event = BusEvent(type="payment.confirmed", source="VN/GOV/TEST/CALLBACK/Receive/v1")
    publisher.down = True
    with pytest.raises(EventNotPublished, match="deliver again later"):
        await context.publish_once("K2", event)
    assert len(store) == 0
    publisher.down = False
    assert await context.publish_once("K2", event) is True
    assert publisher.published == [event]


async def test_a_body_over_the_limit_is_refused_and_publishes_nothing() -> None:
    publisher = Publisher()
    app = FastAPI()
    app.include_router(callbacks_router({"alpha": Receiver("/a")}, inbound(publisher, max_body_bytes=256)))
    async with client(app) as http:
        answer = (await http.post("/callbacks/a", content=b"x" * 257)).json()
    assert answer == {"refused": "body larger than 256 bytes"} and publisher.published == []
