"""MaXacThuc: SHA-256 hex over `|`-joined field values, the partner's shared secret last.

The field order of every signed message lives here, once, and is used both to sign and to verify.
A missing (None) value is signed as the empty string; numbers as their decimal text.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

INIT_FIELDS: tuple[str, ...] = (
    "LoaiBanTin",
    "PhienBan",
    "MaDoiTac",
    "MaThamChieu",
    "SoTien",
    "MaTienTe",
    "ThongTinGiaoDich",
    "ThoiGianGD",
    "Ip",
    "NgonNgu",
)
"""Signed fields of an initiate request (protocol 1.0.6); ThongTinBienLai is not signed."""

CONFIRM_FIELDS: tuple[str, ...] = (
    "LoaiBanTin",
    "MaLoi",
    "MaDoiTac",
    "MaThamChieu",
    "SoTien",
    "MaTienTe",
    "MaGiaoDich",
    "MaNganHang",
    "ThoiGianGD",
    "ThongTinGiaoDich",
)
"""Signed fields of the confirmation callback (IPN) sent to the partner."""

QUERY_FIELDS: tuple[str, ...] = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "ThoiGianGD")
"""Signed fields of a status query."""

QUERY_RESULT_FIELDS: tuple[str, ...] = (
    "MaDoiTac",
    "MaThamChieu",
    "SoTien",
    "MaTienTe",
    "TrangThaiGD",
    "MaGiaoDich",
    "MaNganHang",
    "ThoiGianGD",
)
"""Signed fields of a status-query answer, so the partner can trust it too."""


def compute_checksum(fields: Sequence[str], message: Mapping[str, object], secret: str) -> str:
    """SHA-256 hex of the values of `fields` in `message`, then `secret`, joined with `|`."""
    values = ["" if message.get(name) is None else str(message.get(name)) for name in fields]
    return hashlib.sha256("|".join([*values, secret]).encode("utf-8")).hexdigest()


def verify_checksum(fields: Sequence[str], message: Mapping[str, object], secret: str, given: str) -> bool:
    """Whether `given` is the checksum of `message` (hex compared case-insensitively, in constant time)."""
    expected = compute_checksum(fields, message, secret)
    return hmac.compare_digest(expected, given.lower())
