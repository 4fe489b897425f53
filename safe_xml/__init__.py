"""Parsing untrusted XML with lxml: no DTD, no entity, no network, bounded trees.

One parser for both sides of SOAP: the population mock parses its callers' requests with it and the
adapter SDK parses providers' answers. It is a bottom-layer package, importing nothing of this project,
so that both may use it without the adapters depending on the mocks; each caller words the refusal in
its own terms.
"""

from __future__ import annotations

import threading

from lxml import etree


class UnsafeXml(ValueError):
    """XML that is refused: malformed, or carrying a DTD."""


class MalformedXml(UnsafeXml):
    """Not well-formed XML; the message is the parser's."""


class XmlWithDtd(UnsafeXml):
    """XML with a DOCTYPE or internal DTD (entity expansion, XXE)."""


def safe_parser() -> etree.XMLParser:
    """An lxml parser that loads no DTD, resolves no entity, reaches no network and caps tree size."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


class _ThreadParser(threading.local):
    """One safe parser per thread, reused for every document (lxml parsers are not thread-safe)."""

    def __init__(self) -> None:
        self.parser = safe_parser()


_parsers = _ThreadParser()


def parse_untrusted(data: bytes) -> etree._Element:
    """The root element of `data`; MalformedXml or XmlWithDtd when it is refused."""
    try:
        root = etree.fromstring(data, parser=_parsers.parser)
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(str(exc)) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # e.g. a DOCTYPE hidden by another encoding
        raise XmlWithDtd("XML with a DTD is refused")
    return root
