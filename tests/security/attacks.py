"""Attacks on the security surface: each names what it tries, what the bus must answer, what it saw."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import jwt

from adapters.population.adapter import VERIFY
from adapters.sdk.soap import parse_xml
from bus.errors import BusError
from tests.in_process_stack import MAX_BODY, SecuredStack
from tests.security.conftest import (
    ADMIN_KEY,
    OTHER_KEY,
    READER_KEY,
    STP_EXPIRED_KEY,
    STP_FUTURE_KEY,
    STP_KEY,
    TOKEN_SECRET,
)

STP = "VN/GOV/HPG/STP"
ECHO_URL = "/r1/VN/GOV/HPG/SEC/Echo/v1"
RECORDS = "VN/GOV/HPG/SEC/Records/v1"
SOAP_XML = {"content-type": "text/xml"}

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol">'
    + b"".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9))
    + b']><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b'<XacThucThongTinCongDanRequest xmlns="http://dancuquocgia.bca"><SoDinhDanh>031094411047</SoDinhDanh>'
    b"<HoVaTen>&j;</HoVaTen></XacThucThongTinCongDanRequest></s:Body></s:Envelope>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    b'<XacThucThongTinCongDanRequest xmlns="http://dancuquocgia.bca"><SoDinhDanh>031094411047</SoDinhDanh>'
    b"<HoVaTen>&x;</HoVaTen></XacThucThongTinCongDanRequest></s:Body></s:Envelope>"
)


@dataclass
class Row:
    """One line of the attack table."""

    case: str
    target: str
    expected: str
    observed: str
    side_effect_free: bool
    open_gap: bool = False
    outcome: str = "rejected"  # or "survived": absorbed (a share cut off, a replay answered), not refused
    control: int | None = None  # status of a genuine client's call made right after the attack

    @property
    def ok(self) -> bool:
        """Answered as expected, nothing changed, and the genuine call after it served."""
        return self.observed == self.expected and self.side_effect_free and self.control == 200


@dataclass
class Attack:
    """A case: `run` returns what was observed; `open_gap` marks a defence that is built but not wired.

    `prepare` runs before the side effects are measured: the genuine message a replay repeats.
    `survives` marks an attack the bus absorbs instead of refusing (its answer is not an error).
    """

    case: str
    target: str
    expected: str
    run: Callable[[SecuredStack, httpx.AsyncClient], Awaitable[str]]
    open_gap: bool = False
    prepare: Callable[[SecuredStack], Awaitable[None]] | None = None
    survives: bool = False


def http_outcome(response: httpx.Response) -> str:
    """`STATUS type` of a bus error, `STATUS type (error)` of an OAuth2 one, else the status alone."""
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code)
    if not isinstance(body, dict):
        return str(response.status_code)
    label = " ".join(str(body[k]) if k == "type" else f"({body[k]})" for k in ("type", "error") if k in body)
    return f"{response.status_code} {label}".strip()


async def refused_as(call: Awaitable[object]) -> str:
    """The bus error type a call raised (or "accepted")."""
    try:
        await call
    except BusError as error:
        return error.type
    return "accepted"


def claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": STP, "aud": "lgsp-gateway", "iss": "lgsp", "iat": now, "exp": now + 60, **changes}


def signed(body: dict[str, object], key: str | None = TOKEN_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(body, key, algorithm=alg, headers={"kid": "k1"})


def gateway(
    headers: dict[str, str], body: bytes = b"{}"
) -> Callable[[SecuredStack, httpx.AsyncClient], Awaitable[str]]:
    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        sent = {"content-type": "application/json", **headers}
        return http_outcome(await stack.http.post(ECHO_URL, content=body, headers=sent))

    return run


def bearer(
    token: Callable[[SecuredStack], str], client_header: str | None = None
) -> Callable[..., Awaitable[str]]:
    """A call to the gateway's /r1 with `Authorization: Bearer <token>` (and a client header, if given)."""

    async def run(stack: SecuredStack, mock: httpx.AsyncClient) -> str:
        headers = {"authorization": f"Bearer {token(stack)}"}
        if client_header:
            headers["x-road-client"] = client_header
        return await gateway(headers)(stack, mock)

    return run


def reader_call(method: str, path: str) -> Callable[..., Awaitable[str]]:
    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        reader = await stack.access.authenticate(
            {"x-road-client": "VN/GOV/HPG/READER", "x-api-key": READER_KEY}
        )
        service = next(s for s in stack.catalog.services if str(s.id) == RECORDS)
        return await refused_as(stack.access.authorize(reader, service.id, method, path))

    return run


def endpoint(method: str, path: str, **kwargs: object) -> Callable[..., Awaitable[str]]:
    async def run(stack: SecuredStack, _: httpx.AsyncClient) -> str:
        return http_outcome(await stack.http.request(method, path, **kwargs))  # type: ignore[arg-type]

    return run


def population(body: bytes, leak: bytes) -> Callable[..., Awaitable[str]]:
    async def run(_: SecuredStack, mock: httpx.AsyncClient) -> str:
        response = await mock.post("/", content=body, headers=SOAP_XML)
        if leak in response.content or len(response.content) > 2000:
            return "expanded"
        code = (
            response.content.split(b"<faultcode>")[1].split(b"</faultcode>")[0]
            if b"<faultcode>" in response.content
            else b""
        )
        return f"{response.status_code} {code.decode()}"

    return run


def soap_helper(body: bytes) -> Callable[..., Awaitable[str]]:
    async def run(_: SecuredStack, __: httpx.AsyncClient) -> str:
        try:
            parse_xml(body, provider="population")
        except BusError as error:
            return error.type
        return "parsed"

    return run


def canonical(payload: object) -> Callable[..., Awaitable[str]]:
    async def run(_: SecuredStack, __: httpx.AsyncClient) -> str:
        try:
            VERIFY.parse_request(payload)  # type: ignore[arg-type]
        except BusError as error:
            return error.type
        return "accepted"

    return run


def stp_token(stack: SecuredStack) -> str:
    return stack.access.tokens.issue(stack.catalog.clients[0].id).access_token


def altered_token(stack: SecuredStack) -> str:
    head, _, signature = stp_token(stack).split(".")
    return f"{head}.{signed(claims(sub='VN/GOV/HPG/OTHER'), key='z' * 40).split('.')[1]}.{signature}"


STP_AUTH = {"x-road-client": STP, "x-api-key": STP_KEY}
UNAUTH = "401 Client.Unauthenticated"

ATTACKS: list[Attack] = [
    Attack("no credentials", "gateway /r1", UNAUTH, gateway({})),
    Attack("wrong API key", "gateway /r1", UNAUTH, gateway({"x-road-client": STP, "x-api-key": "guess"})),
    Attack(
        "expired API key (rotation window over)",
        "gateway /r1",
        UNAUTH,
        gateway({"x-road-client": STP, "x-api-key": STP_EXPIRED_KEY}),
    ),
    Attack(
        "API key not valid yet",
        "gateway /r1",
        UNAUTH,
        gateway({"x-road-client": STP, "x-api-key": STP_FUTURE_KEY}),
    ),
    Attack(
        "unknown client",
        "gateway /r1",
        UNAUTH,
        gateway({"x-road-client": "VN/GOV/HPG/NOBODY", "x-api-key": STP_KEY}),
    ),
    Attack(
        "client id with another client's key",
        "gateway /r1",
        UNAUTH,
        gateway({"x-road-client": STP, "x-api-key": OTHER_KEY}),
    ),
    Attack(
        "other client's own key on a service it lacks",
        "gateway /r1",
        "403 Client.AccessDenied",
        gateway({"x-road-client": "VN/GOV/HPG/OTHER", "x-api-key": OTHER_KEY}),
    ),
    Attack(
        "oversized body",
        "gateway /r1",
        "413 Client.PayloadTooLarge",
        gateway(STP_AUTH, b'{"a":"' + b"x" * MAX_BODY + b'"}'),
    ),
    Attack(
        "200 headers",
        "gateway (header limit)",
        "400 Client.BadRequest",
        gateway({**STP_AUTH, **{f"x-h{i}": "v" for i in range(200)}}),
    ),
    Attack(
        "one 20 kB header",
        "gateway (header limit)",
        "400 Client.BadRequest",
        gateway({**STP_AUTH, "x-big": "v" * 20_000}),
    ),
    Attack(
        "JSON nested 2,040 deep",
        "gateway /r1",
        "400 Client.BadRequest",
        gateway(STP_AUTH, b"[" * 2040 + b"]" * 2040),
    ),
    Attack(
        "expired token",
        "gateway /r1 (bearer)",
        UNAUTH,
        bearer(lambda _: signed(claims(iat=1, exp=2))),
    ),
    Attack(
        "token signed with a wrong secret",
        "gateway /r1 (bearer)",
        UNAUTH,
        bearer(lambda _: signed(claims(), key="w" * 40)),
    ),
    Attack(
        "token with alg none",
        "gateway /r1 (bearer)",
        UNAUTH,
        bearer(lambda _: signed(claims(), key=None, alg="none")),
    ),
    Attack(
        "token for another audience",
        "gateway /r1 (bearer)",
        UNAUTH,
        bearer(lambda _: signed(claims(aud="vnpost"))),
    ),
    Attack(
        "token with an altered subject",
        "gateway /r1 (bearer)",
        UNAUTH,
        bearer(altered_token),
    ),
    Attack(
        "STP's token presented as OTHER",
        "gateway /r1 (bearer)",
        UNAUTH,
        bearer(stp_token, client_header="VN/GOV/HPG/OTHER"),
    ),
    Attack(
        "GET-only grant used for POST",
        "AccessControl (endpoint right)",
        "Client.AccessDenied",
        reader_call("POST", "records/1"),
    ),
    Attack(
        "GET-only grant used outside its path",
        "AccessControl (endpoint right)",
        "Client.AccessDenied",
        reader_call("GET", "recordsX/1"),
    ),
    Attack(
        "token endpoint, wrong secret",
        "POST /oauth/token",
        "401 Client.Unauthenticated (invalid_client)",
        endpoint(
            "POST",
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": STP, "client_secret": "guess"},
        ),
    ),
    Attack(
        "admin API without credential",
        "POST /admin/keys/rotate",
        UNAUTH,
        endpoint("POST", "/admin/keys/rotate", json={"client": STP}),
    ),
    Attack(
        "admin API with a client's API key",
        "POST /admin/rights/grant",
        UNAUTH,
        endpoint(
            "POST",
            "/admin/rights/grant",
            headers={"x-admin-key": STP_KEY},
            json={"to": "VN/GOV/HPG/OTHER", "service": RECORDS},
        ),
    ),
    Attack(
        "admin grant with an extra field",
        "POST /admin/rights/grant",
        "400 Client.BadRequest",
        endpoint(
            "POST",
            "/admin/rights/grant",
            headers={"x-admin-key": ADMIN_KEY},
            json={"to": "VN/GOV/HPG/OTHER", "service": RECORDS, "admin": True},
        ),
    ),
    Attack(
        "billion laughs", "population mock (SOAP)", "500 soap:Client", population(BILLION_LAUGHS, b"lollol")
    ),
    Attack("XXE file:///etc/passwd", "population mock (SOAP)", "500 soap:Client", population(XXE, b"root:")),
    Attack(
        "billion laughs in a provider answer",
        "adapters.sdk.soap.parse_xml",
        "Server.Provider.BadResponse",
        soap_helper(BILLION_LAUGHS),
    ),
    Attack(
        "XXE in a provider answer",
        "adapters.sdk.soap.parse_xml",
        "Server.Provider.BadResponse",
        soap_helper(XXE),
    ),
    Attack(
        "canonical request with an extra field",
        "population adapter (pydantic)",
        "Client.BadRequest",
        canonical({"id_number": "031094411047", "is_admin": True}),
    ),
    Attack(
        "canonical request with a number for a text id",
        "population adapter (pydantic)",
        "Client.BadRequest",
        canonical({"id_number": 31094411047}),
    ),
]


def write_table(rows: list[Row], path: Path) -> str:
    """Write the rows as JSON to `path`; return them as a printable table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) | {"ok": r.ok} for r in rows], indent=2, ensure_ascii=False) + "\n")
    width = max(len(r.case) for r in rows)
    lines = [
        f"{'case':<{width}}  {'target':<32} {'bus':<9} {'control':<8} {'expected':<30} observed",
        "-" * (width + 120),
    ]
    for r in rows:
        verdict = "ok" if r.ok else ("OPEN" if r.open_gap else "FAIL")
        effect = "" if r.side_effect_free else " (side effect!)"
        lines.append(
            f"{r.case:<{width}}  {r.target:<32} {r.outcome:<9} {r.control!s:<8} {r.expected:<30} "
            f"{r.observed}{effect}  [{verdict}]"
        )
    return "\n".join(lines)
