"""A CongDan record as XML: the pydantic wire model written out field by field, in declaration order.

The record is written as text and parsed once: lxml's `SubElement` resolves the namespace of each of a
record's ≈ 60 elements on its own, which cost more than the rest of a look-up's answer. The element is
the one `SubElement` would build, down to an empty value's empty text (`<dc:ChuDem></dc:ChuDem>`).
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
# Our own text: no DTD, nothing to resolve, nothing to fetch.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


def _escaped(text: str) -> str:
    return text.translate(_TEXT_ESCAPES) if _TO_ESCAPE.search(text) else text


class _RecordText:
    """The record's elements as text, in document order, and which of them hold an empty value."""

    def __init__(self, namespace: str) -> None:
        self.parts = [f'<{PREFIX}:CongDan xmlns:{PREFIX}="{namespace}">']
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


def congdan_element(record: CongDan, namespace: str) -> etree._Element:
    """`<CongDan>` in `namespace` with every field of the record that has a value."""
    text = _RecordText(namespace)
    text.write(record)
    text.parts.append(f"</{PREFIX}:CongDan>")
    element = etree.fromstring("".join(text.parts).encode(), _PARSER)
    if text.empty:  # parsed, `<x></x>` has no text at all; set, an empty text is kept (and written so)
        elements = list(element.iter())
        for position in text.empty:
            elements[position].text = ""
    return element
