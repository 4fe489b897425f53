"""SOAP 1.1 with lxml: build request envelopes, parse answers safely, detect faults, read bodies as dicts.

Parsing refuses DTDs (hence XXE and entity bombs), never touches the network and caps the size;
element names are read by their local part so providers that qualify children and those that do not
both work. Text stays `str` throughout, so Vietnamese diacritics survive unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

from lxml import etree
from pydantic import BaseModel, JsonValue

from bus.errors import BadResponse, ProviderError, ProviderFault, ProviderRejected
from safe_xml import MalformedXml, XmlWithDtd, parse_untrusted

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Fault codes that say the request was wrong; anything else is the provider's own failure.
_CLIENT_SIDE_CODES = frozenset({"Client", "VersionMismatch", "MustUnderstand"})


class SoapFault(BaseModel):
    """A SOAP 1.1 Fault: `faultcode`, `faultstring` and the `detail` as a dict."""

    code: str
    message: str
    detail: JsonValue = None

    @property
    def side(self) -> str:
        """The fault class without namespace prefix or dotted subcode: `soap:Client.Auth` → `Client`."""
        return self.code.rpartition(":")[2].split(".")[0]

    def to_error(self, provider: str) -> ProviderFault:
        """Client faults → ProviderRejected, Server (and unknown) faults → ProviderError."""
        text = f"{provider} SOAP fault {self.code}: {self.message}"
        if self.side in _CLIENT_SIDE_CODES:
            return ProviderRejected(text)
        return ProviderError(text)


def local_name(element: Any) -> str:
    """An element's tag without its namespace."""
    return str(element.tag).rpartition("}")[2]


def find_by_local_name(element: Any, name: str) -> Any | None:
    """The element itself or its first descendant named `name` (any namespace), or None."""
    return next(element.iter(f"{{*}}{name}"), None)


# What lxml refuses in text (its ValueError, same message); it escapes these four when writing text.
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))  # "&" first
_MARK = "lgsp-soap-body"


@lru_cache(maxsize=256)
def _frame(operation: str, namespace: str, prefix: str) -> tuple[str, str, str]:
    """What lxml writes around the operation's element (before it, after it) and the prefix it gives
    the namespace's elements; the names are checked by lxml here (ValueError as it raises)."""
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soapenv": SOAP_ENV_NS, prefix: namespace})
    soap_body = etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body")
    content = etree.SubElement(soap_body, f"{{{namespace}}}{operation}")
    content.text = _MARK
    written = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8").decode()
    tag = f"{content.prefix}:{operation}" if content.prefix else operation
    before, _, after = written.partition(f"<{tag}>{_MARK}</{tag}>")
    return before, after, content.prefix or ""


@lru_cache(maxsize=1024)
def _tag(namespace: str, name: str, prefix: str) -> str:
    """`name` qualified by `prefix`, once lxml has accepted it as a tag name (its ValueError if not)."""
    etree.Element(f"{{{namespace}}}{name}")
    return f"{prefix}:{name}" if prefix else name


def _text(value: object) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if _NOT_XML_TEXT.search(text):
        raise ValueError(
            "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
        )
    for special, escaped in _TEXT_ESCAPES:
        if special in text:  # rare: a test is cheaper than a replace (or a translate) per text
            text = text.replace(special, escaped)
    return text


def _write(out: list[str], namespace: str, prefix: str, name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, list | tuple):
        for item in value:
            _write(out, namespace, prefix, name, item)
        return
    tag = _tag(namespace, name, prefix)
    if isinstance(value, Mapping):
        start = len(out)
        out.append(f"<{tag}>")
        for key, item in value.items():
            _write(out, namespace, prefix, str(key), item)
        if len(out) == start + 1:  # no child written: an empty element, as lxml writes it
            out[start] = f"<{tag}/>"
        else:
            out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>{_text(value)}</{tag}>")


def build_envelope(operation: str, namespace: str, body: Mapping[str, Any], *, prefix: str = "ns") -> bytes:
    """A UTF-8 SOAP 1.1 envelope whose Body holds `<operation>` with `body` as (nested) child elements.

    Mappings become nested elements, lists repeat their element, None is left out, bools are
    `true`/`false`; every element is qualified by `namespace`. The bytes are those lxml writes for
    that tree (its frame is lxml's, its elements written as lxml writes them, without a tree per call).
    """
    before, after, qualifier = _frame(operation, namespace, prefix)
    out = [before]
    _write(out, namespace, qualifier, operation, dict(body))
    out.append(after)
    return "".join(out).encode()


def parse_xml(data: bytes, *, provider: str = "provider", max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Parse untrusted XML into its root element; BadResponse on size, DTD or syntax problems."""
    if len(data) > max_bytes:
        raise BadResponse(f"{provider} answered {len(data)} bytes of XML (limit {max_bytes})")
    try:
        return parse_untrusted(data)
    except MalformedXml as exc:
        raise BadResponse(f"{provider} answered malformed XML: {exc}") from exc
    except XmlWithDtd as exc:
        raise BadResponse(f"{provider} answered XML with a DTD, which is refused (entities, XXE)") from exc


def envelope_body(root: Any, *, provider: str = "provider") -> Any:
    """The first element inside a SOAP Envelope's Body; BadResponse when there is none."""
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise BadResponse(f"{provider} answered {local_name(root)!r}, not a SOAP 1.1 Envelope")
    body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    content = None if body is None else next(iter(body.iterchildren(tag=etree.Element)), None)
    if content is None:
        raise BadResponse(f"{provider} answered a SOAP envelope with an empty Body")
    return content


def find_fault(content: Any) -> SoapFault | None:
    """The fault a Body element carries, or None when it is not a Fault."""
    if content.tag != f"{{{SOAP_ENV_NS}}}Fault":
        return None
    fields = {local_name(child): child for child in content.iterchildren(tag=etree.Element)}
    code = fields.get("faultcode")
    message = fields.get("faultstring")
    detail = fields.get("detail")
    return SoapFault(
        code=(code.text or "").strip() if code is not None else "Server",
        message=(message.text or "").strip() if message is not None else "",
        detail=element_to_dict(detail) if detail is not None else None,
    )


def element_to_dict(element: Any, *, lists: Collection[str] = ()) -> JsonValue:
    """An element as JSON: leaves become their text, repeated (or `lists`-named) children become lists."""
    children = list(element.iterchildren(tag=etree.Element))
    if not children:
        return element.text.strip() if element.text and element.text.strip() else None
    result: dict[str, JsonValue] = {}
    for child in children:
        name = local_name(child)
        value = element_to_dict(child, lists=lists)
        if name in result:
            previous = result[name]
            result[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        elif name in lists:
            result[name] = [value]
        else:
            result[name] = value
    return result


def parse_soap_response(
    data: bytes, *, provider: str = "provider", max_bytes: int = DEFAULT_MAX_BYTES
) -> Any:
    """The Body's content element of a SOAP answer; a Fault raises its taxonomy error."""
    content = envelope_body(parse_xml(data, provider=provider, max_bytes=max_bytes), provider=provider)
    fault = find_fault(content)
    if fault is not None:
        raise fault.to_error(provider)
    return content
