"""A CongDan record as XML: the pydantic wire model written out field by field, in declaration order.

The record is written as text: lxml's `SubElement` resolves the namespace of each of a record's ≈ 60
elements on its own, which cost more than the rest of a look-up's answer. `congdan_xml` is that text as
lxml writes the element inside a parent that declares `dc` (a look-up's answer takes it as it is);
`congdan_element` parses it once into the element `SubElement` would build, down to an empty value's
empty text (`<dc:ChuDem></dc:ChuDem>`).
"""

from __future__ import annotations

import re

from lxml import etree
from pydantic import BaseModel

from services.citizens import CongDan

PREFIX = "dc"
# What lxml escapes in text content when it writes it out, so the parsed text is the value unchanged.
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_TO_ESCAPE = re.compile("[&<>\r]")
# Characters XML 1.0 text may not hold: lxml refuses to write them (and to parse them).
_NOT_XML = re.compile("[^\t\n\r -\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Our own text: no DTD, nothing to resolve, nothing to fetch.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _escaped(text: str) -> str:
    return text.translate(_TEXT_ESCAPES) if _TO_ESCAPE.search(text) else text


class _RecordText:
    """The record's elements as text, in document order, and which of them hold an empty value."""

    def __init__(self, root: str) -> None:
        self.parts = [root]
        self.written = 1  # elements so far, the root included: an element's position in `iter()`
        self.empty: list[int] = []

    def write(self, model: BaseModel) -> None:
        for name, value in model.__dict__.items():  # the fields, in declaration order
            if value is None:  # optional blocks (VoChong, SoCMND …) are left out, as minOccurs="0" allows
                continue
            self.written += 1
            if isinstance(value, BaseModel):
                self.parts.append(f"<{PREFIX}:{name}>")
                self.write(value)
                self.parts.append(f"</{PREFIX}:{name}>")
                continue
            text = str(value)
            if not text:
                self.empty.append(self.written - 1)
            self.parts.append(f"<{PREFIX}:{name}>{_escaped(text)}</{PREFIX}:{name}>")


def congdan_xml(record: CongDan, extra: tuple[tuple[str, str], ...] = ()) -> str | None:
    """`<dc:CongDan>` with every field of the record that has a value, then the `extra` (name, value)
    elements, as lxml writes it inside an element that declares the `dc` prefix; None when a value holds
    a character XML text may not (lxml would refuse it)."""
    text = _RecordText(f"<{PREFIX}:CongDan>")
    text.write(record)
    text.parts.extend(f"<{PREFIX}:{name}>{_escaped(value)}</{PREFIX}:{name}>" for name, value in extra)
    text.parts.append(f"</{PREFIX}:CongDan>")
    written = "".join(text.parts)
    return None if _NOT_XML.search(written) else written


def congdan_element(record: CongDan, namespace: str) -> etree._Element:
    """`<CongDan>` in `namespace` with every field of the record that has a value."""
    text = _RecordText(f'<{PREFIX}:CongDan xmlns:{PREFIX}="{namespace}">')
    text.write(record)
    text.parts.append(f"</{PREFIX}:CongDan>")
    element = etree.fromstring("".join(text.parts).encode(), _PARSER)
    if text.empty:  # parsed, `<x></x>` has no text at all; set, an empty text is kept (and written so)
        elements = list(element.iter())
        for position in text.empty:
            elements[position].text = ""
    return element
