"""The CongDan record written as text is the element lxml builds field by field, byte for byte."""

from __future__ import annotations

import random

import pytest
from lxml import etree
from pydantic import BaseModel

from services.citizens import CongDan, Population
from services.population.operations import LOOKUP_NS
from services.population.wire import congdan_element


def _appended_field_by_field(parent: etree._Element, model: BaseModel, namespace: str) -> None:
    # The way the record was built before it was written as text: one SubElement per field.
    for name in type(model).__pydantic_fields__:
        value = getattr(model, name)
        if value is None:
            continue
        child = etree.SubElement(parent, f"{{{namespace}}}{name}")
        if isinstance(value, BaseModel):
            _appended_field_by_field(child, value, namespace)
        else:
            child.text = str(value)


def _built_field_by_field(record: CongDan, namespace: str) -> bytes:
    element = etree.Element(f"{{{namespace}}}CongDan", nsmap={"dc": namespace})
    _appended_field_by_field(element, record, namespace)
    return bytes(etree.tostring(element, encoding="UTF-8"))


def test_records_of_random_people_are_written_as_element_by_element() -> None:
    population = Population()
    draw = random.Random(16)
    for _ in range(300):
        record = population.citizen(population.id_at(draw.randrange(len(population))))
        assert record is not None
        congdan = record.to_congdan()
        written = etree.tostring(congdan_element(congdan, LOOKUP_NS), encoding="UTF-8")
        assert written == _built_field_by_field(congdan, LOOKUP_NS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ChuDem", ""),  # no middle name: an empty element, written <dc:ChuDem></dc:ChuDem>
        ("Ten", "A & B <c> \"d\" 'e'"),
        ("Ten", "line\r\nbreak\ttab"),
        ("Ten", "Nguyễn Thị Ánh Tuyết"),
    ],
)
def test_values_that_need_escaping_or_are_empty_keep_their_bytes(field: str, value: str) -> None:
    population = Population()
    congdan = population.citizen(population.id_at(7))
    assert congdan is not None
    record = congdan.to_congdan()
    record = record.model_copy(update={"HoVaTen": record.HoVaTen.model_copy(update={field: value})})
    element = congdan_element(record, LOOKUP_NS)
    assert etree.tostring(element, encoding="UTF-8") == _built_field_by_field(record, LOOKUP_NS)
    assert element.find(f"{{{LOOKUP_NS}}}HoVaTen/{{{LOOKUP_NS}}}{field}").text == value
