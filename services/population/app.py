r"""Mock of the national population database (CSDL quốc gia về dân cư, provider BCA): SOAP 1.1 over HTTP.

POST / (alias /CSDLDC) takes XacThucThongTinCongDanRequest (namespace http://dancuquocgia.bca) or
XacMinhThongTinNhanThanRequest (http://www.mic.gov.vn/dancu/1.0), chosen by the Body element; a
SOAPAction header, when sent, must name the same operation. GET /?wsdl serves the WSDL. Faults: HTTP
500 with soap:Client (malformed XML, DTD, body over 256 KiB, wrong namespace, unknown operation, bad
SoDinhDanh) or soap:Server (our own failure). Result codes and the data-mismatch answer: operations.py.
Latency and injected failures come from services.faults (/_control/faults). The civil registry has
newborns' numbers issued at POST /api/v1/dinhdanh/capso (REST/JSON, issuing.py); other agencies read
the deaths recorded, in order, at GET /api/v1/biendong/khaitu (death_feed.py), each with the time it
was recorded on the mock's simulated clock (/_control/clock, which a compressed bus leads).

    lgsp mock population          # or: uvicorn --factory services.population.app:create_app --port 8101
    curl -s localhost:8101/ -H 'Content-Type: text/xml; charset=utf-8' --data-binary \
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
       <XacThucThongTinCongDanRequest xmlns="http://dancuquocgia.bca"><MaCanBo>CB01</MaCanBo>
       <SoDinhDanh>031045375407</SoDinhDanh><HoVaTen>Phạm Văn Đức</HoVaTen>
       </XacThucThongTinCongDanRequest></s:Body></s:Envelope>'
    # → ...<dc:TonTai>true</dc:TonTai><dc:MaKetQua>00</dc:MaKetQua>... (person 0 of the default seed)
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from importlib.resources import files

from fastapi import FastAPI, Request, Response
from lxml import etree
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from services.casework.control import clock_router
from services.citizens import Population
from services.faults import FaultProfile, Latency, install_faults
from services.population.death_feed import death_feed_router
from services.population.issuing import install_issuing
from services.population.operations import OPERATIONS, read_query
from services.population.settings import PopulationSettings
from services.population.soap import (
    CONTENT_TYPE,
    MAX_BODY_BYTES,
    SoapFault,
    parse_request,
    serialize_fault,
)
from services.telemetry import NO_TELEMETRY

PATHS = ("/", "/CSDLDC")
_WSDL = files("services.population").joinpath("population.wsdl").read_text(encoding="utf-8")
_log = logging.getLogger(__name__)


def default_faults(latency: bool) -> FaultProfile:
    """Log-normal latency, p50 300 ms and p99 3 s (none when `latency` is false); errors as SOAP faults."""
    return FaultProfile(latency=Latency.lognormal(300, 3000) if latency else Latency(), soap_fault=True)


# The headers a SOAP call is judged by (ASGI servers hand names over in lower case).
_SOAP_HEADERS = (b"content-length", b"content-type", b"soapaction")


def soap_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The SOAP call's own headers from the raw ASGI list, in one pass: the first of a repeated one,
    as Starlette's `Headers` answers (which scans the whole list again for each header asked)."""
    found: dict[bytes, bytes] = {}
    for name, value in raw:
        if name in _SOAP_HEADERS and name not in found:
            found[name] = value
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in found.items()}


async def _read_body(declared: str | None, receive: Receive) -> bytes:
    """The request's body, read as Starlette's `Request.stream` reads it (ClientDisconnect when the
    client goes), refused as soon as it is over the limit."""
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise SoapFault("Client", f"request body exceeds {MAX_BODY_BYTES} bytes")
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise SoapFault("Client", f"request body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def answer_soap(body: bytes, headers: Mapping[str, str], population: Population) -> bytes:
    """The SOAP answer to one request (raises SoapFault for the caller to serialise)."""
    content_type, soap_action = headers.get("content-type"), headers.get("soapaction")
    if content_type is not None and "xml" not in content_type.lower():
        raise SoapFault("Client", f"Content-Type must be text/xml for SOAP 1.1, got {content_type!r}")
    element = parse_request(body)
    operation = OPERATIONS.get(element.tag)
    if operation is None:
        local = etree.QName(element).localname
        same_name = [op for op in OPERATIONS.values() if f"{op.name}Request" == local]
        if same_name:
            expected = same_name[0].namespace
            raise SoapFault("Client", f"{local} belongs to namespace {expected}, got {element.tag}")
        raise SoapFault("Client", f"unknown operation {element.tag}")
    if soap_action is not None and not operation.accepts_action(soap_action):
        raise SoapFault("Client", f"SOAPAction {soap_action} does not name operation {operation.name}")
    query = read_query(element, operation)
    return operation.handler(query, population)


class SoapShortcut:
    """Pure ASGI middleware, the app's innermost: a SOAP call (POST to one of PATHS) goes to `answer`
    directly, past FastAPI's exception and exit-stack layers, the router's scan and the
    request/response wrapper, none of which it uses (it answers every failure itself, as a fault);
    anything else (other paths or methods, a mounted app's root_path) goes on to `app`. The fault
    injector and the server-error handler still wrap every call."""

    def __init__(self, app: ASGIApp, *, answer: Callable[[Scope, Receive], Awaitable[Response]]) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a SOAP call, or pass anything else on unchanged."""
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] not in PATHS
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        response = await self.answer(scope, receive)
        await response(scope, receive, send)


def create_app(population: Population | None = None, *, latency: bool = True) -> FastAPI:
    """The population-database app over `population` (default: one built from PopulationSettings)."""
    if population is None:
        settings = PopulationSettings()
        population = Population(settings.seed, settings.size, settings.province_code)
    people = population
    app = FastAPI(
        title="CSDL quốc gia về dân cư (mock)",
        docs_url=None,
        redoc_url=None,
        telemetry=NO_TELEMETRY,
    )
    app.state.population = people

    async def answer(scope: Scope, receive: Receive) -> Response:
        try:
            headers = soap_headers(scope["headers"])
            body = await _read_body(headers.get("content-length"), receive)
            answer = answer_soap(body, headers, people)
        except SoapFault as fault:
            return Response(serialize_fault(fault), status_code=500, media_type=CONTENT_TYPE)
        except Exception:
            _log.exception("population database failed on a request")
            internal = SoapFault("Server", "internal error of the population database")
            return Response(serialize_fault(internal), status_code=500, media_type=CONTENT_TYPE)
        return Response(answer, media_type=CONTENT_TYPE)

    async def soap(request: Request) -> Response:
        return await answer(request.scope, request.receive)

    async def wsdl(request: Request) -> Response:
        if "wsdl" not in {key.lower() for key in request.query_params}:
            return Response("POST SOAP 1.1 requests here; the WSDL is at ?wsdl\n", 405, {"Allow": "POST"})
        location = str(request.url.replace(query=""))
        return Response(_WSDL.replace("__LOCATION__", location), media_type=CONTENT_TYPE)

    for path in PATHS:
        # Plain Starlette routes: the handlers take the Request as it is, so FastAPI's per-call
        # dependency solving and response wrapping would be pure overhead on every SOAP call. A SOAP
        # call reaches the route only in a mounted app: SoapShortcut answers it before the router.
        app.add_route(path, soap, methods=["POST"], include_in_schema=False)
        app.add_route(path, wsdl, methods=["GET"], include_in_schema=False)
    install_issuing(app, people)
    app.include_router(death_feed_router(people))
    app.include_router(clock_router(people.clock))  # deaths are recorded on it: the bus's clock leads it
    app.add_middleware(SoapShortcut, answer=answer)  # before the faults' middleware, so inside it
    # After the SOAP routes, so that a SOAP call is matched first, not after every control route.
    install_faults(app, "population", default_faults(latency))
    return app
