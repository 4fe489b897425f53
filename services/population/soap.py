"""SOAP 1.1 plumbing of the population database: safe parsing of requests, answers and faults.

Requests are untrusted: the parser never loads a DTD, resolves no entity and reaches no network, and
any DOCTYPE is refused before parsing, so billion-laughs and XXE documents end as a soap:Client fault
without a single expansion.
"""

from __future__ import annotations

from typing import Literal

from lxml import etree

from safe_xml import MalformedXml, XmlWithDtd, parse_untrusted

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_BODY_BYTES = 256 * 1024

_ENVELOPE = f"{{{SOAP_ENV_NS}}}Envelope"
_BODY = f"{{{SOAP_ENV_NS}}}Body"
_DTD_REFUSED = "a DTD (DOCTYPE or ENTITY declaration) is not allowed in a request"


class SoapFault(Exception):
    """A fault to answer: `Client` when the request is at fault, `Server` when this service is."""

    def __init__(self, code: Literal["Client", "Server"], message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_request(data: bytes) -> etree._Element:
    """The single element inside the Body of a SOAP 1.1 request; SoapFault(Client) for anything else."""
    if len(data) > MAX_BODY_BYTES:
        raise SoapFault("Client", f"request body exceeds {MAX_BODY_BYTES} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SoapFault("Client", _DTD_REFUSED)
    try:
        root = parse_untrusted(data)
    except MalformedXml as exc:
        raise SoapFault("Client", f"malformed XML: {exc}") from None
    except XmlWithDtd:
        raise SoapFault("Client", _DTD_REFUSED) from None
    if root.tag != _ENVELOPE:
        raise SoapFault("Client", f"expected a SOAP 1.1 Envelope ({SOAP_ENV_NS}), got {root.tag}")
    bodies = [child for child in root if child.tag == _BODY]
    if len(bodies) != 1:
        raise SoapFault("Client", f"a SOAP Envelope needs exactly one Body, got {len(bodies)}")
    contents = [child for child in bodies[0] if isinstance(child.tag, str)]
    if len(contents) != 1:
        raise SoapFault("Client", f"the SOAP Body must hold one operation element, got {len(contents)}")
    return contents[0]


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(_ENVELOPE, nsmap={"soap": SOAP_ENV_NS})
    return envelope, etree.SubElement(envelope, _BODY)


def serialize_answer(content: etree._Element) -> bytes:
    """A UTF-8 SOAP Envelope whose Body holds `content`."""
    envelope, body = _envelope()
    body.append(content)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def serialize_fault(fault: SoapFault) -> bytes:
    """A UTF-8 SOAP 1.1 Fault envelope (faultcode soap:Client or soap:Server, faultstring)."""
    envelope, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP_ENV_NS}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(element, "faultstring").text = fault.message
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))
