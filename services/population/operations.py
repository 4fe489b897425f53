"""The two operations of the population database: read the request element, answer from the population.

Result codes (MaKetQua, with MoTaKetQua in Vietnamese), in both answers:
  "00" found and every field given matches; "01" no citizen with this SoDinhDanh;
  "02" data mismatch: the citizen exists but a HoVaTen, NgayThangNamSinh or SoCMND given differs.
On "02" TonTai is false and the collection holds no CongDan: the database never discloses a record to
a caller whose data does not match it. MoTaKetQua names the fields that differ.

A person whose death was registered (through the civil registry) is still found, as in the real database,
and their CongDan ends with `NgayMat` (yyyymmdd), an element the published record lacks: the record keeps
every listed field and adds the date of death the Law on Identification 2023 (art. 9) requires the
database to hold. The WSDL declares it minOccurs="0"; living people have none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from pydantic import BaseModel, ConfigDict

from services.citizens import Citizen, CongDan, Identity, Population, parse_id_number
from services.citizens.civil_status import DeceasedCitizen
from services.population.soap import SoapFault, serialize_answer
from services.population.wire import congdan_element, congdan_xml

VERIFY_NS = "http://dancuquocgia.bca"
LOOKUP_NS = "http://www.mic.gov.vn/dancu/1.0"

RESULT_MATCH, RESULT_NOT_FOUND, RESULT_MISMATCH = "00", "01", "02"
_DESCRIPTIONS = {RESULT_MATCH: "Thông tin khớp", RESULT_NOT_FOUND: "Không tìm thấy công dân"}
_OLD_ID = re.compile(r"\d{9}|\d{12}")
_BIRTH = re.compile(r"(\d{4})(\d{2}\d{2})?")


class CitizenQuery(BaseModel):
    """The fields of either request that identify a citizen (the others are only carried for audit)."""

    model_config = ConfigDict(frozen=True)

    SoDinhDanh: str
    SoCMND: str | None = None
    HoVaTen: str | None = None
    NgayThangNamSinh: str | None = None  # yyyymmdd, or yyyy when only the year is known


@dataclass(frozen=True)
class Operation:
    """An operation: its request element, its SOAPAction, the fields it accepts and its handler (the
    whole SOAP answer)."""

    name: str
    namespace: str
    fields: frozenset[str]
    handler: Callable[[CitizenQuery, Population], bytes]

    @property
    def request_tag(self) -> str:
        """Qualified name of the request element."""
        return f"{{{self.namespace}}}{self.name}Request"

    @property
    def soap_action(self) -> str:
        """The SOAPAction the WSDL declares."""
        return f"{self.namespace.rstrip('/')}/{self.name}"

    def accepts_action(self, action: str) -> bool:
        """Whether a SOAPAction header names this operation (URI, bare name or request element name)."""
        return _accepts_action(self.name, self.soap_action, action)


@lru_cache(maxsize=256)  # callers send the same few headers: judged once each
def _accepts_action(name: str, soap_action: str, action: str) -> bool:
    action = action.strip().strip('"')
    last = re.split(r"[/#]", action)[-1]
    return action in ("", soap_action) or last in (name, f"{name}Request")


def read_query(element: etree._Element, operation: Operation) -> CitizenQuery:
    """The request's fields as a query; SoapFault(Client) naming the element or field at fault."""
    values: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.namespace not in (None, operation.namespace) or qname.localname not in operation.fields:
            raise SoapFault("Client", f"unexpected element {child.tag} in {operation.name}Request")
        values[qname.localname] = _text(child)
    number = values.get("SoDinhDanh", "")
    if not number:
        raise SoapFault("Client", "SoDinhDanh is missing or empty")
    try:
        parse_id_number(number)
    except ValueError as exc:
        raise SoapFault("Client", f"SoDinhDanh: {exc}") from None
    old = values.get("SoCMND") or None
    if old is not None and not _OLD_ID.fullmatch(old):
        raise SoapFault("Client", f"SoCMND must have 9 or 12 digits, got {old!r}")
    birth = values.get("NgayThangNamSinh") or None
    if birth is not None and not _BIRTH.fullmatch(birth):
        raise SoapFault("Client", f"NgayThangNamSinh must be yyyymmdd or yyyy, got {birth!r}")
    name = values.get("HoVaTen") or None
    return CitizenQuery(SoDinhDanh=number, SoCMND=old, HoVaTen=name, NgayThangNamSinh=birth)


def _text(element: etree._Element) -> str:
    # HoVaTen may come as {Ho, ChuDem, Ten} and NgayThangNamSinh as {Nam, NgayThangNam}, like the record.
    parts = {etree.QName(child).localname: (child.text or "").strip() for child in element}
    if {"Ho", "Ten"} <= parts.keys():
        return " ".join(p for p in (parts["Ho"], parts.get("ChuDem", ""), parts["Ten"]) if p)
    if "NgayThangNam" in parts or "Nam" in parts:
        return parts.get("NgayThangNam") or parts.get("Nam", "")
    return " ".join((element.text or "").split())


def _normalised(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def mismatches(query: CitizenQuery, person: Citizen | Identity) -> list[str]:
    """The fields given in the query that differ from the record."""
    wrong = []
    if query.HoVaTen is not None and _normalised(query.HoVaTen) != _normalised(person.full_name):
        wrong.append("HoVaTen")
    if query.NgayThangNamSinh is not None:
        birth = person.birth_date.strftime("%Y%m%d")
        if birth[: len(query.NgayThangNamSinh)] != query.NgayThangNamSinh:
            wrong.append("NgayThangNamSinh")
    if query.SoCMND is not None and query.SoCMND != person.old_id_number:
        wrong.append("SoCMND")
    return wrong


def _judge(query: CitizenQuery, person: Citizen | Identity | None) -> tuple[str, str]:
    """The result code and its description for `person`, the one the query's SoDinhDanh names."""
    if person is None:
        return RESULT_NOT_FOUND, _DESCRIPTIONS[RESULT_NOT_FOUND]
    wrong = mismatches(query, person)
    if wrong:
        return RESULT_MISMATCH, "Sai lệch thông tin: " + ", ".join(wrong)
    return RESULT_MATCH, _DESCRIPTIONS[RESULT_MATCH]


def _add(parent: etree._Element, namespace: str, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{namespace}}}{name}").text = text


def verify(query: CitizenQuery, population: Population) -> bytes:
    """XacThucThongTinCongDan: KetQuaXacThucResponse{TonTai, MaKetQua, MoTaKetQua}."""
    # The check compares name, birth date and old number only: the whole record is not derived.
    return _verification(*_judge(query, population.identity(query.SoDinhDanh)))


@lru_cache(maxsize=16)  # a verdict is one of 9 (found, not found, 7 sets of fields that differ)
def _verification(code: str, description: str) -> bytes:
    """The SOAP answer to a verification with this verdict, written by lxml once per verdict."""
    answer = etree.Element(f"{{{VERIFY_NS}}}KetQuaXacThucResponse", nsmap={"dc": VERIFY_NS})
    _add(answer, VERIFY_NS, "TonTai", "true" if code == RESULT_MATCH else "false")
    _add(answer, VERIFY_NS, "MaKetQua", code)
    _add(answer, VERIFY_NS, "MoTaKetQua", description)
    return serialize_answer(answer)


def look_up(query: CitizenQuery, population: Population) -> bytes:
    """XacMinhThongTinNhanThan: CongdanCollection{MaKetQua, MoTaKetQua, CongDan*}."""
    citizen = population.citizen(query.SoDinhDanh)
    code, description = _judge(query, citizen)
    if citizen is None or code != RESULT_MATCH:
        return _collection(code, description)
    died = citizen.death_date.strftime("%Y%m%d") if isinstance(citizen, DeceasedCitizen) else None
    return found_answer(citizen.to_congdan(), died)


def found_answer(record: CongDan, died: str | None = None) -> bytes:
    """The look-up's answer holding `record` (and NgayMat `died`, yyyymmdd): the record written as text
    into lxml's own bytes of the rest of the answer; a record lxml would refuse goes the element way,
    which fails on it as before."""
    extra = (("NgayMat", died),) if died is not None else ()
    text = congdan_xml(record, extra)
    if text is None:
        element = congdan_element(record, LOOKUP_NS)
        for name, value in extra:
            _add(element, LOOKUP_NS, name, value)
        return _collection(RESULT_MATCH, _DESCRIPTIONS[RESULT_MATCH], element)
    head, tail = _found_frame()
    return head + text.encode() + tail


_MARK = "record"


@lru_cache(maxsize=1)
def _found_frame() -> tuple[bytes, bytes]:
    """lxml's bytes of a matched look-up's answer before and after its CongDan, written once."""
    record = etree.Element(f"{{{LOOKUP_NS}}}CongDan")
    record.text = _MARK
    answer = _collection(RESULT_MATCH, _DESCRIPTIONS[RESULT_MATCH], record)
    head, tail = answer.split(f"<dc:CongDan>{_MARK}</dc:CongDan>".encode())
    return head, tail


def _collection(code: str, description: str, record: etree._Element | None = None) -> bytes:
    """A CongdanCollection answer written by lxml, with `record` as its CongDan when given."""
    answer = etree.Element(f"{{{LOOKUP_NS}}}CongdanCollection", nsmap={"dc": LOOKUP_NS})
    _add(answer, LOOKUP_NS, "MaKetQua", code)
    _add(answer, LOOKUP_NS, "MoTaKetQua", description)
    if record is not None:
        answer.append(record)
    return serialize_answer(answer)


VERIFY = Operation(
    "XacThucThongTinCongDan",
    VERIFY_NS,
    frozenset({"MaYeuCau", "MaDichVu", "MaCanBo", "SoDinhDanh", "SoCMND", "HoVaTen"}),
    verify,
)
LOOKUP = Operation(
    "XacMinhThongTinNhanThan",
    LOOKUP_NS,
    frozenset(
        {"MaYeuCau", "MaDVC", "MaTichHop", "MaDonVi", "MaCanBo", "SoDinhDanh", "SoCMND", "HoVaTen"}
        | {"NgayThangNamSinh"}
    ),
    look_up,
)
OPERATIONS = {operation.request_tag: operation for operation in (VERIFY, LOOKUP)}
