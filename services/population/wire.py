"""A CongDan record as XML: the pydantic wire model written out field by field, in declaration order."""

from __future__ import annotations

from lxml import etree
from pydantic import BaseModel

from services.citizens import CongDan


def _append_fields(parent: etree._Element, model: BaseModel, namespace: str) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:  # optional blocks (VoChong, SoCMND …) are left out, as minOccurs="0" allows
            continue
        child = etree.SubElement(parent, f"{{{namespace}}}{name}")
        if isinstance(value, BaseModel):
            _append_fields(child, value, namespace)
        else:
            child.text = str(value)


def congdan_element(record: CongDan, namespace: str) -> etree._Element:
    """`<CongDan>` in `namespace` with every field of the record that has a value."""
    element = etree.Element(f"{{{namespace}}}CongDan", nsmap={"dc": namespace})
    _append_fields(element, record, namespace)
    return element
