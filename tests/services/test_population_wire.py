"""The CongDan record written as text is the element lxml builds field by field, byte for byte, and a
look-up's answer holding it the bytes lxml writes for the whole tree."""

from __future__ import annotations

import random

import pytest
from lxml import etree
from pydantic import BaseModel

from services.citizens import CongDan, Population
from services.population.operations import LOOKUP_NS, found_answer
from services.population.soap import serialize_answer
from services.population.wire import congdan_element, congdan_xml


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


def _answer_built_by_lxml(record: CongDan, died: str | None = None) -> bytes:
    # The look-up's answer as it was built before its record was written as text: a tree, then tostring.
    answer = etree.Element(f"{{{LOOKUP_NS}}}CongdanCollection", nsmap={"dc": LOOKUP_NS})
    etree.SubElement(answer, f"{{{LOOKUP_NS}}}MaKetQua").text = "00"
    etree.SubElement(answer, f"{{{LOOKUP_NS}}}MoTaKetQua").text = "Thông tin khớp"
    element = etree.SubElement(answer, f"{{{LOOKUP_NS}}}CongDan")
    _appended_field_by_field(element, record, LOOKUP_NS)
    if died is not None:
        etree.SubElement(element, f"{{{LOOKUP_NS}}}NgayMat").text = died
    return serialize_answer(answer)


def test_lookup_answers_of_random_people_are_the_bytes_lxml_writes() -> None:
    population = Population()
    draw = random.Random(61)
    for _ in range(300):
        record = population.citizen(population.id_at(draw.randrange(len(population))))
        assert record is not None
        congdan = record.to_congdan()
        assert found_answer(congdan) == _answer_built_by_lxml(congdan)


def test_a_deceased_persons_answer_ends_the_record_with_ngaymat_as_lxml_writes_it() -> None:
    population = Population()
    record = population.citizen(population.id_at(11))
    assert record is not None
    answer = found_answer(record.to_congdan(), "20240105")
    assert answer == _answer_built_by_lxml(record.to_congdan(), "20240105")
    assert b"<dc:SoSoHoKhau>" in answer.split(b"<dc:NgayMat>20240105</dc:NgayMat></dc:CongDan>")[0]


@pytest.mark.parametrize(
    "value",
    ["", "A & B <c> \"d\" 'e' ]]>", "line\r\nbreak\ttab", "Nguyễn Thị Ánh Tuyết", "emoji \U0001f600"],
)
def test_lookup_answers_with_values_to_escape_or_empty_are_the_bytes_lxml_writes(value: str) -> None:
    population = Population()
    citizen = population.citizen(population.id_at(7))
    assert citizen is not None
    record = citizen.to_congdan()
    name = record.HoVaTen.model_copy(update={"ChuDem": value, "Ten": value or "Ân"})
    record = record.model_copy(update={"HoVaTen": name, "SoSoHoKhau": value})
    assert found_answer(record) == _answer_built_by_lxml(record)


def _with_given_name(value: str) -> CongDan:
    population = Population()
    citizen = population.citizen(population.id_at(7))
    assert citizen is not None
    record = citizen.to_congdan()
    return record.model_copy(update={"HoVaTen": record.HoVaTen.model_copy(update={"Ten": value})})


@pytest.mark.parametrize("value", ["bell \x07", "nul \x00", "not a character \ufffe", "lone \ud800"])
def test_a_record_lxml_cannot_write_fails_as_the_element_path_does(value: str) -> None:
    record = _with_given_name(value)
    assert congdan_xml(record) is None
    with pytest.raises((etree.XMLSyntaxError, ValueError)) as raised:
        found_answer(record)
    with pytest.raises(type(raised.value)):
        congdan_element(record, LOOKUP_NS)


def test_the_text_writer_refuses_exactly_the_characters_lxml_refuses() -> None:
    # Every C0 control and the edges of XML's character ranges, against lxml's own verdict.
    edges = [*range(0x20), 0x7F, 0x80, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000]
    for code in [*edges, 0x10FFFF]:
        record = _with_given_name(f"x{chr(code)}y")
        try:
            congdan_element(record, LOOKUP_NS)
        except (etree.XMLSyntaxError, ValueError):
            refused = True
        else:
            refused = False
        assert (congdan_xml(record) is None) is refused, hex(code)
