"""Personal ID numbers (số định danh cá nhân, Circular 07/2016/TT-BCA): build one and take one apart.

Layout: PPP C YY SSSSSS — province of birth registration, century+sex digit, two digits of the birth
year, six-digit serial. There is no check digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Sex = Literal["M", "F"]

# Annex of Circular 07/2016/TT-BCA: the 63 provinces' codes (numbers keep them after the 2025 merger).
PROVINCE_NAMES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh",
    "086": "Vĩnh Long", "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ",
    "093": "Hậu Giang", "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip

# Digits 4-9 stand for births in 2100-2499: no living person has them.
FIRST_YEAR, LAST_YEAR = 1900, 2099
SERIAL_SPACE = 1_000_000


@dataclass(frozen=True)
class IdParts:
    """The four fields of a personal ID number."""

    province_code: str
    sex: Sex
    birth_year: int
    serial: int


def century_sex_digit(sex: Sex, birth_year: int) -> int:
    """The fourth digit: 0/1 for a man/woman born 1900-1999, 2/3 for 2000-2099."""
    return 2 * ((birth_year - FIRST_YEAR) // 100) + (0 if sex == "M" else 1)


def make_id_number(province_code: str, sex: Sex, birth_year: int, serial: int) -> str:
    """The 12-digit ID number of these parts; ValueError names the part that is out of range."""
    if province_code not in PROVINCE_NAMES:
        raise ValueError(f"unknown province code {province_code!r} (expected one of Circular 07/2016's 63)")
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    if not FIRST_YEAR <= birth_year <= LAST_YEAR:
        raise ValueError(f"birth year {birth_year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    if not 0 <= serial < SERIAL_SPACE:
        raise ValueError(f"serial {serial} is outside 0-{SERIAL_SPACE - 1}")
    return f"{province_code}{century_sex_digit(sex, birth_year)}{birth_year % 100:02d}{serial:06d}"


def parse_id_number(text: str) -> IdParts:
    """Take a 12-digit ID number apart; ValueError says precisely what is wrong with it."""
    if len(text) != 12:
        raise ValueError(f"an ID number has 12 digits, got {len(text)} characters")
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"an ID number has only the digits 0-9, got {text!r}")
    province_code, digit = text[:3], int(text[3])
    if province_code not in PROVINCE_NAMES:
        raise ValueError(f"unknown province code {province_code!r} in ID number {text!r}")
    if digit > 3:
        first = FIRST_YEAR + 100 * (digit // 2)
        raise ValueError(
            f"century digit {digit} means a birth in {first}-{first + 99}, impossible for a citizen today"
        )
    birth_year = FIRST_YEAR + 100 * (digit // 2) + int(text[4:6])
    return IdParts(province_code, "M" if digit % 2 == 0 else "F", birth_year, int(text[6:]))
