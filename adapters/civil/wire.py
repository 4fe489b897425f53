"""The civil registry's REST wire format (Ministry field names) and its mapping to canonical models.

Each registration is described once, as (canonical path, wire path, conversion) triples; the same table
builds the wire body and translates the registry's field-named errors back into canonical field names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from adapters.civil.models import (
    CivilRecord,
    MaritalStatus,
    PersonCivilStatus,
    RecordKind,
)

PROVIDER = "civil registry"
WireKind = Literal["khaisinh", "khaitu", "kethon", "xacnhantthn"]
KIND_OF_WIRE: dict[str, RecordKind] = {
    "khaisinh": "birth",
    "khaitu": "death",
    "kethon": "marriage",
    "xacnhantthn": "marital_status_certificate",
}
WIRE_OF_PREFIX: dict[str, WireKind] = {"KS": "khaisinh", "KT": "khaitu", "KH": "kethon", "XN": "xacnhantthn"}
_SEX = {"male": 1, "female": 2, "undetermined": 3}
_DOCUMENT = {"old_id_card": 1, "citizen_id": 2, "passport": 3}
_REGISTRATION_TYPE = {"on_time": 1, "re_registration": 2, "late": 4}
_MARITAL: dict[int, MaritalStatus] = {1: "single", 2: "married", 3: "divorced", 4: "widowed"}


@dataclass(frozen=True)
class FieldMap:
    """One field: where it sits in the canonical request, where on the wire, how its value converts."""

    canonical: str
    wire: str
    convert: Callable[[Any], Any] | None = None


def _register(prefix: str = "register_entry") -> list[FieldMap]:
    pairs = [
        ("number", "so"),
        ("book", "quyenSo"),
        ("page", "trangSo"),
        ("registration_date", "ngayDangKy"),
        ("registration_place", "noiDangKy"),
        ("signer_name", "nguoiKy"),
        ("signer_title", "chucVuNguoiKy"),
        ("officer_name", "nguoiThucHien"),
    ]
    return [FieldMap(f"{prefix}.{canonical}", wire) for canonical, wire in pairs]


def _relative(canonical: str, wire: str) -> list[FieldMap]:
    return [
        FieldMap(f"{canonical}.full_name", f"{wire}.HoTen"),
        FieldMap(f"{canonical}.birth_date", f"{wire}.NgaySinh"),
        FieldMap(f"{canonical}.ethnicity_code", f"{wire}.DanToc"),
        FieldMap(f"{canonical}.nationality", f"{wire}.QuocTich"),
        FieldMap(f"{canonical}.residence", f"{wire}.NoiCuTru"),
        FieldMap(f"{canonical}.id_document_type", f"{wire}.LoaiGiayToTuyThan", _DOCUMENT.__getitem__),
        FieldMap(f"{canonical}.id_document_number", f"{wire}.SoGiayToTuyThan"),
    ]


def _requester() -> list[FieldMap]:
    return [
        FieldMap("requester.full_name", "nyc.HoTen"),
        FieldMap("requester.relationship", "nyc.QuanHe"),
        FieldMap("requester.id_document_type", "nyc.LoaiGiayToTuyThan", _DOCUMENT.__getitem__),
        FieldMap("requester.id_document_number", "nyc.SoGiayToTuyThan"),
    ]


BIRTH_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("dossier_number", "maHoSo"),
    *_register(),
    FieldMap("registration_type", "loaiDangKy", _REGISTRATION_TYPE.__getitem__),
    FieldMap("child.full_name", "nksHoTen"),
    FieldMap("child.sex", "nksGioiTinh", _SEX.__getitem__),
    FieldMap("child.birth_date", "nksNgaySinh"),
    FieldMap("child.birth_place", "nksNoiSinh"),
    FieldMap("child.hometown", "nksQueQuan"),
    FieldMap("child.ethnicity_code", "nksDanToc"),
    FieldMap("child.nationality", "nksQuocTich"),
    FieldMap("child.born_abroad", "nksLoaiKhaiSinh", lambda abroad: 2 if abroad else 1),
    *_relative("mother", "me"),
    *_relative("father", "cha"),
    *_requester(),
)
DEATH_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("dossier_number", "maHoSo"),
    *_register(),
    FieldMap("deceased.full_name", "nktHoTen"),
    FieldMap("deceased.id_number", "nktSoDinhDanh"),
    FieldMap("deceased.death_date", "nktNgayChet"),
    FieldMap("deceased.death_place", "nktNoiChet"),
    FieldMap("deceased.cause", "nktNguyenNhan"),
    *_requester(),
)
MARRIAGE_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("dossier_number", "maHoSo"),
    *_register(),
    *_relative("husband", "chong"),
    *_relative("wife", "vo"),
)
CERTIFICATE_FIELDS: tuple[FieldMap, ...] = (
    FieldMap("dossier_number", "maHoSo"),
    FieldMap("id_number", "soDinhDanh"),
    FieldMap("full_name", "hoTen"),
    FieldMap("purpose", "mucDichSuDung"),
    FieldMap("registration_date", "ngayDangKy"),
    FieldMap("registration_place", "noiDangKy"),
    FieldMap("signer_name", "nguoiKy"),
    FieldMap("signer_title", "chucVuNguoiKy"),
    *_requester(),
)


def _get(tree: Mapping[str, Any], dotted: str) -> Any:
    value: Any = tree
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _put(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[leaf] = value


def to_wire(canonical: BaseModel, fields: Sequence[FieldMap], dossier_number: str) -> dict[str, Any]:
    """The wire body of a registration; absent optional parts (e.g. no father) are left out."""
    dumped = canonical.model_dump(mode="json") | {"dossier_number": dossier_number}
    body: dict[str, Any] = {}
    for field in fields:
        value = _get(dumped, field.canonical)
        if value is None:
            continue
        _put(body, field.wire, field.convert(value) if field.convert else value)
    return body


def canonical_field(wire_path: str, fields: Sequence[FieldMap]) -> str:
    """The canonical name of a wire field the registry complained about (the wire name if unknown)."""
    for field in fields:
        if field.wire == wire_path:
            return field.canonical
    # A whole block ("me") or a path below a mapped leaf: translate the longest known prefix.
    for field in fields:
        wire_parent, _, _ = field.wire.rpartition(".")
        canonical_parent, _, _ = field.canonical.rpartition(".")
        if wire_parent and wire_path == wire_parent:
            return canonical_parent
    return f"{wire_path} (registry field)"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


_WireT = TypeVar("_WireT", bound=_Wire)


class WireRecord(_Wire):
    """HoTichRecord as the registry answers it."""

    id: str
    loai: WireKind
    maHoSo: str
    trangThai: Literal[1, 2]
    nksSoDinhDanh: str | None = None
    tinhTrangHonNhan: Literal[1, 2, 3, 4] | None = None
    yeuCauBoSung: list[str] = []
    nguoiLienQuan: list[str] = []
    duLieu: dict[str, Any] = {}


class WirePerson(_Wire):
    """CongDanHoTich: a person's status and records."""

    soDinhDanh: str
    hoTen: str
    tinhTrangHonNhan: Literal[1, 2, 3, 4]
    daMat: bool
    hoSo: list[WireRecord]


class WireFieldError(_Wire):
    """One entry of LoiBody.chiTiet."""

    truong: str
    thongBao: str


class WireError(_Wire):
    """LoiBody: the registry's error answer."""

    maLoi: str
    thongBao: str
    chiTiet: list[WireFieldError] = []


def _subject(record: WireRecord) -> str | None:
    data = record.duLieu
    if record.loai == "kethon":
        names = [_get(data, "chong.HoTen"), _get(data, "vo.HoTen")]
        return " & ".join(str(name) for name in names if name) or None
    name = data.get({"khaisinh": "nksHoTen", "khaitu": "nktHoTen", "xacnhantthn": "hoTen"}[record.loai])
    return str(name) if name else None


def to_record(record: WireRecord) -> CivilRecord:
    """A registry record in canonical form; texts pass through unchanged (diacritics kept)."""
    registered = record.duLieu.get("ngayDangKy")
    return CivilRecord(
        record_id=record.id,
        kind=KIND_OF_WIRE[record.loai],
        dossier_number=record.maHoSo,
        status="registered" if record.trangThai == 1 else "awaiting_id_number",
        subject_name=_subject(record),
        registration_date=date.fromisoformat(registered) if isinstance(registered, str) else None,
        registration_place=record.duLieu.get("noiDangKy"),
        child_id_number=record.nksSoDinhDanh,
        marital_status=_MARITAL[record.tinhTrangHonNhan] if record.tinhTrangHonNhan else None,
        documents_requested=list(record.yeuCauBoSung),
        persons_involved=list(record.nguoiLienQuan),
    )


def to_person(person: WirePerson) -> PersonCivilStatus:
    """CongDanHoTich in canonical form."""
    return PersonCivilStatus(
        id_number=person.soDinhDanh,
        full_name=person.hoTen,
        marital_status=_MARITAL[person.tinhTrangHonNhan],
        deceased=person.daMat,
        records=[to_record(record) for record in person.hoSo],
    )
