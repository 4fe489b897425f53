"""The population mock's SOAP shortcut: which requests it answers itself and which it passes on."""

from __future__ import annotations

import pytest
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from services.population.app import SoapShortcut, create_app, soap_headers


class _Inner:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope["path"])
        await Response(b"inner")(scope, receive, send)


async def _serve(scope: Scope) -> tuple[bytes, list[str]]:
    inner = _Inner()

    async def answer(scope: Scope, receive: Receive) -> Response:
        return Response(b"soap:" + (await receive())["body"])

    async def receive() -> Message:
        return {"type": "http.request", "body": b"<x/>", "more_body": False}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await SoapShortcut(inner, answer=answer)(scope, receive, send)
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"), inner.paths


def _scope(method: str, path: str, root_path: str = "") -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": root_path,
        "headers": [],
        "query_string": b"",
    }


@pytest.mark.parametrize("path", ["/", "/CSDLDC"])
async def test_a_soap_call_is_answered_without_the_router(path: str) -> None:
    assert await _serve(_scope("POST", path)) == (b"soap:<x/>", [])


@pytest.mark.parametrize(
    "scope",
    [
        _scope("GET", "/"),  # the WSDL
        _scope("POST", "/CSDLDC/"),  # the router's slash redirect stays the router's
        _scope("POST", "/api/v1/dinhdanh/capso"),
        _scope("POST", "/", root_path="/mock"),  # a mounted app: its routes match with the prefix
    ],
)
async def test_anything_else_goes_on_to_the_app(scope: Scope) -> None:
    assert await _serve(scope) == (b"inner", [scope["path"]])


def test_a_soap_calls_headers_are_read_in_one_pass_first_one_kept() -> None:
    raw = [
        (b"host", b"x"),
        (b"soapaction", b'"first"'),
        (b"content-type", b"text/xml; charset=utf-8"),
        (b"soapaction", b'"second"'),
    ]
    assert soap_headers(raw) == {"soapaction": '"first"', "content-type": "text/xml; charset=utf-8"}


async def test_a_client_gone_mid_body_is_answered_as_before_a_server_fault() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"<s:Envelope", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> Message:
        return messages.pop(0)

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await create_app(latency=False)(_scope("POST", "/"), receive, send)
    assert sent[0]["status"] == 500
    assert b"soap:Server" in sent[1]["body"]
