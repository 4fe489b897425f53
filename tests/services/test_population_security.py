"""Hostile XML sent to the population database mock: refused with soap:Client, never expanded or fetched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from lxml import etree

from safe_xml import XmlWithDtd, parse_untrusted, safe_parser
from services.citizens import Population
from services.population import create_app
from services.population.soap import MAX_BODY_BYTES, SoapFault, parse_request

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
BCA = "http://dancuquocgia.bca"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<XacThucThongTinCongDanRequest xmlns="http://dancuquocgia.bca">
<SoDinhDanh>031094411047</SoDinhDanh><HoVaTen>&lol9;</HoVaTen>
</XacThucThongTinCongDanRequest></s:Body></s:Envelope>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<XacThucThongTinCongDanRequest xmlns="http://dancuquocgia.bca">
<SoDinhDanh>031094411047</SoDinhDanh><HoVaTen>&secret;</HoVaTen>
</XacThucThongTinCongDanRequest></s:Body></s:Envelope>"""


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Population(size=1_000), latency=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://p.test", timeout=10
    ) as http:
        yield http


def fault_of(response: httpx.Response) -> tuple[str | None, str | None]:
    assert response.status_code == 500
    fault = etree.fromstring(response.content)[0][0]
    assert fault.tag == f"{{{SOAP}}}Fault"
    return fault.findtext("faultcode"), fault.findtext("faultstring")


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
async def test_documents_with_a_dtd_are_refused_without_expansion(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post("/", content=body, headers={"Content-Type": "text/xml"})
    code, text = fault_of(response)
    assert code == "soap:Client" and text is not None and "DTD" in text
    assert b"lollol" not in response.content and b"root:" not in response.content
    assert len(response.content) < 1000


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_a_dtd_hidden_in_utf16_is_refused_by_the_parser_itself(body: bytes) -> None:
    # In UTF-16 the bytes "<!DOCTYPE" do not appear, so the byte guard is blind: the parser must hold
    # (libxml2 stops the laughs at its amplification limit, the DTD check catches the rest).
    encoded = body.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(SoapFault) as raised:
        parse_request(encoded.encode("utf-16"))
    assert raised.value.code == "Client"
    assert "DTD" in raised.value.message or "amplification" in raised.value.message


def test_safe_parser_does_not_read_external_entities() -> None:
    # Past the DTD guard, the parser options themselves must fetch nothing.
    root = etree.fromstring(XXE, parser=safe_parser())
    assert "root:" not in etree.tostring(root, encoding="unicode")


def test_the_reused_parser_refuses_a_dtd_after_good_documents_in_every_thread() -> None:
    # parse_untrusted keeps one parser per thread: earlier documents must not change what it accepts.
    good = f'<s:Envelope xmlns:s="{SOAP}"><s:Body/></s:Envelope>'.encode()

    def refuses_after_good() -> bool:
        parse_untrusted(good)
        try:
            parse_untrusted(XXE)
        except XmlWithDtd:
            return parse_untrusted(good).tag == f"{{{SOAP}}}Envelope"
        return False

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert refuses_after_good() and all(pool.map(lambda _: refuses_after_good(), range(4)))


async def test_a_body_over_256_kib_is_a_client_fault(client: httpx.AsyncClient) -> None:
    padding = b" " * MAX_BODY_BYTES
    body = f'<s:Envelope xmlns:s="{SOAP}"><s:Body>'.encode() + padding + b"</s:Body></s:Envelope>"
    code, text = fault_of(await client.post("/", content=body, headers={"Content-Type": "text/xml"}))
    assert code == "soap:Client" and text is not None and f"exceeds {MAX_BODY_BYTES} bytes" in text


async def test_an_oversize_streamed_body_without_length_is_cut_off(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b" " * 8192

    response = await client.post("/", content=chunks(), headers={"Content-Type": "text/xml"})
    assert "content-length" not in response.request.headers
    code, text = fault_of(response)
    assert code == "soap:Client" and text is not None and "exceeds" in text


async def test_a_body_just_under_the_limit_is_served(client: httpx.AsyncClient) -> None:
    opening = f'<s:Envelope xmlns:s="{SOAP}"><s:Body><r:XacThucThongTinCongDanRequest xmlns:r="{BCA}">'
    closing = (
        "<r:SoDinhDanh>031094411047</r:SoDinhDanh></r:XacThucThongTinCongDanRequest></s:Body></s:Envelope>"
    )
    padding = " " * (MAX_BODY_BYTES - len(opening) - len(closing))
    body = (opening + padding + closing).encode()
    assert len(body) == MAX_BODY_BYTES
    response = await client.post("/", content=body, headers={"Content-Type": "text/xml"})
    assert response.status_code == 200
