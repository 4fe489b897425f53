"""SOAP helper: envelopes built and parsed, faults detected and mapped, hostile XML refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters.sdk import (
    SOAP_ENV_NS,
    ProviderClient,
    build_envelope,
    call_soap,
    element_to_dict,
    find_fault,
    parse_soap_response,
    parse_xml,
)
from bus.envelope import Envelope
from bus.errors import BadResponse, ProviderError, ProviderRejected, ProviderUnavailable

NS = "http://dancuquocgia.bca"
NAME = "Nguyễn Thị Ánh Tuyết"


def _soap(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{SOAP_ENV_NS}"><s:Body>{body}'
        "</s:Body></s:Envelope>"
    ).encode()


def _fault(code: str, message: str, detail: str = "") -> bytes:
    return _soap(
        f"<s:Fault><faultcode>{code}</faultcode><faultstring>{message}</faultstring>{detail}</s:Fault>"
    )


def test_built_envelope_is_utf8_soap11_with_namespaced_fields_in_order() -> None:
    data = build_envelope(
        "XacThucThongTinCongDanRequest", NS, {"MaYeuCau": "R1", "HoVaTen": NAME, "SoCMND": None}
    )
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert NAME.encode("utf-8") in data  # raw UTF-8, not character references
    root = etree.fromstring(data)
    operation = root.find(f"{{{SOAP_ENV_NS}}}Body")[0]
    assert operation.tag == f"{{{NS}}}XacThucThongTinCongDanRequest"
    assert [child.tag for child in operation] == [f"{{{NS}}}MaYeuCau", f"{{{NS}}}HoVaTen"]  # None left out


def _lxml_envelope(operation: str, namespace: str, body: Mapping[str, Any], prefix: str = "ns") -> bytes:
    """The envelope as lxml writes the tree (what build_envelope's bytes must equal)."""

    def append(parent: Any, name: str, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, list | tuple):
            for item in value:
                append(parent, name, item)
            return
        child = etree.SubElement(parent, f"{{{namespace}}}{name}")
        if isinstance(value, Mapping):
            for key, item in value.items():
                append(child, str(key), item)
        else:
            child.text = ("true" if value else "false") if isinstance(value, bool) else str(value)

    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soapenv": SOAP_ENV_NS, prefix: namespace})
    append(etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body"), operation, dict(body))
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


_names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.-]{0,8}\Z")
_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(_names, _values, max_size=4), prefix=st.sampled_from(["ns", "p", "soapenv"]))
def test_built_envelope_is_byte_for_byte_what_lxml_writes(body: dict[str, Any], prefix: str) -> None:
    try:
        expected: bytes | type[ValueError] = _lxml_envelope("Op", NS, body, prefix)
    except ValueError:  # text lxml refuses (control characters, surrogates)
        expected = ValueError
    if expected is ValueError:
        with pytest.raises(ValueError):
            build_envelope("Op", NS, body, prefix=prefix)
    else:
        assert build_envelope("Op", NS, body, prefix=prefix) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"A": "x&<>\"'\r\n\t", "B": {}, "C": {"D": None}, "E": [1, True, "", None], "F": ""},
        {"Ho": "Trần", "Nested": {"Deep": {"Deeper": ["a", {"b": False}]}}, "K7": 1.5},
        {},
    ],
)
def test_built_envelope_of_edge_values_is_what_lxml_writes(body: dict[Any, Any]) -> None:
    assert build_envelope("XacThuc", NS, body) == _lxml_envelope("XacThuc", NS, body)
    assert build_envelope("Op", SOAP_ENV_NS, body, prefix="s") == _lxml_envelope("Op", SOAP_ENV_NS, body, "s")


@pytest.mark.parametrize(("name", "text"), [("a b", "x"), ("1a", "x"), ("ok", "\x00"), ("ok", "\ufffe")])
def test_built_envelope_refuses_what_lxml_refuses(name: str, text: str) -> None:
    with pytest.raises(ValueError):
        _lxml_envelope("Op", NS, {name: text})
    with pytest.raises(ValueError):
        build_envelope("Op", NS, {name: text})


def test_nested_mappings_lists_and_bools_round_trip_through_element_to_dict() -> None:
    body = {"HoVaTen": {"Ho": "Trần", "Ten": "Đức"}, "SoDienThoai": ["0901", "0902"], "TonTai": True}
    content = parse_soap_response(build_envelope("Thu", NS, body))
    assert element_to_dict(content) == {
        "HoVaTen": {"Ho": "Trần", "Ten": "Đức"},
        "SoDienThoai": ["0901", "0902"],
        "TonTai": "true",
    }


def test_named_lists_stay_lists_with_one_item() -> None:
    content = parse_soap_response(
        _soap(f'<c:Col xmlns:c="{NS}"><c:CongDan><c:Ten>Á</c:Ten></c:CongDan></c:Col>')
    )
    assert element_to_dict(content, lists={"CongDan"}) == {"CongDan": [{"Ten": "Á"}]}
    assert element_to_dict(content) == {"CongDan": {"Ten": "Á"}}


def test_unqualified_and_qualified_children_read_alike() -> None:
    plain = parse_soap_response(_soap(f'<r xmlns="{NS}"><TonTai>false</TonTai></r>'))
    prefixed = parse_soap_response(_soap('<x:r xmlns:x="urn:other"><x:TonTai>false</x:TonTai></x:r>'))
    assert element_to_dict(plain) == element_to_dict(prefixed) == {"TonTai": "false"}


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("soap:Client", ProviderRejected),
        ("s:Client.Authentication", ProviderRejected),
        ("Client", ProviderRejected),
        ("soap:Server", ProviderError),
        ("SOAP-ENV:Server.Database", ProviderError),
    ],
)
def test_fault_code_maps_client_to_rejected_and_server_to_provider_error(
    code: str, error: type[Exception]
) -> None:
    with pytest.raises(error, match="Không tìm thấy mã cán bộ") as raised:
        parse_soap_response(_fault(code, "Không tìm thấy mã cán bộ"))
    assert type(raised.value) is error


def test_fault_detail_is_read_as_dict() -> None:
    root = parse_xml(
        _fault("soap:Client", "Sai", "<detail><MaLoi>E01</MaLoi><MoTa>Sai định dạng</MoTa></detail>")
    )
    fault = find_fault(root[0][0])
    assert fault is not None
    assert (fault.code, fault.message, fault.side) == ("soap:Client", "Sai", "Client")
    assert fault.detail == {"MaLoi": "E01", "MoTa": "Sai định dạng"}


def test_non_fault_body_has_no_fault() -> None:
    root = parse_xml(_soap("<KetQua><TonTai>true</TonTai></KetQua>"))
    assert find_fault(root[0][0]) is None


def test_external_entity_xxe_is_refused() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + _soap("<r>&x;</r>").split(b"?>", 1)[1]
    )
    with pytest.raises(BadResponse, match="DTD"):
        parse_soap_response(hostile)


def test_entity_expansion_bomb_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><r>&c;</r>'
    )
    with pytest.raises(BadResponse, match="DTD"):
        parse_xml(bomb)


def test_xml_over_the_size_limit_is_refused_before_parsing() -> None:
    with pytest.raises(BadResponse, match="limit 100"):
        parse_xml(b"<r>" + b"x" * 200 + b"</r>", max_bytes=100)


@pytest.mark.parametrize(
    "data",
    [b"<html>not xml", b"", b"<Envelope><Body><x/></Body></Envelope>", _soap("")],
    ids=["malformed", "empty", "not-soap-namespace", "empty-body"],
)
def test_unreadable_answers_map_to_bad_response(data: bytes) -> None:
    with pytest.raises(BadResponse):
        parse_soap_response(data)


def _client(status: int, body: bytes, seen: list[httpx.Request] | None = None) -> ProviderClient:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, content=body, headers={"Content-Type": "text/xml; charset=utf-8"})

    return ProviderClient("http://provider", provider="bca", transport=httpx.MockTransport(handle))


def _envelope() -> Envelope:
    return Envelope(client="VN/GOV/HPG/STP", service="VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1")


async def test_call_soap_posts_envelope_with_soapaction_and_returns_body_content() -> None:
    seen: list[httpx.Request] = []
    async with _client(200, _soap(f'<KetQua xmlns="{NS}"><TonTai>true</TonTai></KetQua>'), seen) as client:
        content = await call_soap(client, _envelope(), "Hoi", NS, {"HoVaTen": NAME})
    assert element_to_dict(content) == {"TonTai": "true"}
    sent = seen[0]
    assert sent.headers["SOAPAction"] == '"Hoi"'
    assert sent.headers["Content-Type"].startswith("text/xml")
    assert NAME.encode() in sent.content


async def test_call_soap_maps_fault_sent_with_http_500_by_its_code() -> None:
    async with _client(500, _fault("soap:Client", "Mã yêu cầu trùng")) as client:
        with pytest.raises(ProviderRejected, match="Mã yêu cầu trùng"):
            await call_soap(client, _envelope(), "Hoi", NS, {})


async def test_call_soap_maps_plain_503_by_status_not_as_bad_response() -> None:
    async with _client(503, b"Service Unavailable") as client:
        with pytest.raises(ProviderUnavailable):
            await call_soap(client, _envelope(), "Hoi", NS, {})


async def test_call_soap_maps_garbage_200_to_bad_response() -> None:
    async with _client(200, b"\x00\x01garbage") as client:
        with pytest.raises(BadResponse):
            await call_soap(client, _envelope(), "Hoi", NS, {})
