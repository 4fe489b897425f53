"""Administrative units of a Hải Phòng-like province and of the provinces its migrants come from.

Codes follow the national scheme (province 2 digits, district 3, ward/commune 5) and look real; names
are real, codes for wards are close to but not guaranteed to be the official ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from services.citizens.names import WeightedChoice


@dataclass(frozen=True)
class District:
    """A district (quận/huyện) with its wards or communes and a few street names for addresses."""

    code: str
    name: str
    wards: tuple[tuple[str, str], ...]
    streets: tuple[str, ...]
    weight: float  # thousands of residents, to spread people realistically


def _wards(first_code: int, *names: str) -> tuple[tuple[str, str], ...]:
    return tuple((f"{first_code + 3 * n:05d}", name) for n, name in enumerate(names))


HOME_DISTRICTS: tuple[District, ...] = (
    District("303", "Quận Hồng Bàng", _wards(11296, "Phường Quán Toan", "Phường Hùng Vương", "Phường Sở Dầu",
             "Phường Thượng Lý", "Phường Minh Khai", "Phường Hoàng Văn Thụ"),
             ("phố Hoàng Văn Thụ", "đường Hùng Vương", "phố Minh Khai", "đường Bạch Đằng"), 110),
    District("304", "Quận Ngô Quyền", _wards(11329, "Phường Máy Chai", "Phường Vạn Mỹ", "Phường Cầu Tre",
             "Phường Lạc Viên", "Phường Gia Viên", "Phường Đông Khê", "Phường Lạch Tray"),
             ("đường Lạch Tray", "đường Lê Lợi", "phố Đà Nẵng", "đường Văn Cao"), 170),
    District("305", "Quận Lê Chân", _wards(11359, "Phường Cát Dài", "Phường An Biên", "Phường Lam Sơn",
             "Phường Trần Nguyên Hãn", "Phường Hồ Nam", "Phường Dư Hàng Kênh", "Phường Vĩnh Niệm"),
             ("đường Tô Hiệu", "phố Hai Bà Trưng", "đường Nguyễn Văn Linh", "phố Chợ Con"), 220),
    District("306", "Quận Hải An", _wards(11401, "Phường Đông Hải 1", "Phường Đông Hải 2", "Phường Đằng Lâm",
             "Phường Thành Tô", "Phường Đằng Hải", "Phường Nam Hải", "Phường Cát Bi"),
             ("đường Ngô Gia Tự", "đường Lê Hồng Phong", "đường Cát Bi"), 130),
    District("307", "Quận Kiến An", _wards(11410, "Phường Quán Trữ", "Phường Lãm Hà", "Phường Đồng Hòa",
             "Phường Bắc Sơn", "Phường Nam Sơn", "Phường Ngọc Sơn", "Phường Trần Thành Ngọ"),
             ("đường Trần Thành Ngọ", "phố Phan Đăng Lưu", "đường Trường Chinh"), 120),
    District("308", "Quận Đồ Sơn", _wards(11443, "Phường Ngọc Xuyên", "Phường Hải Sơn", "Phường Vạn Hương",
             "Phường Minh Đức", "Phường Bàng La"),
             ("đường Lý Thánh Tông", "phố Nguyễn Hữu Cầu"), 50),
    District("309", "Quận Dương Kinh", _wards(11455, "Phường Anh Dũng", "Phường Hải Thành",
             "Phường Hòa Nghĩa", "Phường Tân Thành", "Phường Hưng Đạo"),
             ("đường Phạm Văn Đồng", "phố Mạc Đăng Doanh"), 60),
    District("311", "Huyện Thủy Nguyên", _wards(11473, "Thị trấn Núi Đèo", "Thị trấn Minh Đức", "Xã Lại Xuân",
             "Xã Kỳ Sơn", "Xã Lập Lễ", "Xã Tam Hưng", "Xã Thủy Sơn", "Xã Hoa Động"),
             ("thôn Đông", "thôn Trung", "đường 359", "thôn Nam"), 330),
    District("312", "Huyện An Dương", _wards(11626, "Thị trấn An Dương", "Xã Lê Thiện", "Xã Đại Bản",
             "Xã An Hòa", "Xã Hồng Phong", "Xã Tân Tiến", "Xã Nam Sơn"),
             ("thôn Tiền Phong", "đường 208", "thôn Trung Hành"), 200),
    District("313", "Huyện An Lão", _wards(11659, "Thị trấn An Lão", "Thị trấn Trường Sơn", "Xã Bát Trang",
             "Xã Trường Thọ", "Xã Quốc Tuấn", "Xã Mỹ Đức"),
             ("thôn Đông", "thôn Tây", "đường 354"), 150),
    District("314", "Huyện Kiến Thụy", _wards(11700, "Thị trấn Núi Đối", "Xã Đại Đồng", "Xã Tú Sơn",
             "Xã Thụy Hương", "Xã Ngũ Đoan", "Xã Tân Phong"),
             ("thôn Cẩm Hoàn", "thôn Tiên Hội", "đường 401"), 140),
    District("315", "Huyện Tiên Lãng", _wards(11737, "Thị trấn Tiên Lãng", "Xã Đại Thắng", "Xã Tiên Cường",
             "Xã Quyết Tiến", "Xã Khởi Nghĩa", "Xã Vinh Quang"),
             ("thôn Xuân Úc", "thôn Cựu Đôi", "đường 212"), 150),
    District("316", "Huyện Vĩnh Bảo", _wards(11791, "Thị trấn Vĩnh Bảo", "Xã Dũng Tiến", "Xã Giang Biên",
             "Xã Thắng Thủy", "Xã Trung Lập", "Xã Cổ Am", "Xã Vĩnh An"),
             ("thôn Tân Hòa", "thôn Nhân Lý", "đường 17"), 180),
)  # fmt: skip

_HOME_DISTRICT_CHOICE = WeightedChoice([(d.code, d.weight) for d in HOME_DISTRICTS])
_HOME_BY_CODE = {d.code: d for d in HOME_DISTRICTS}

# Where people not born here registered their birth (3-digit ID prefix), with the share among migrants.
MIGRANT_ORIGINS = WeightedChoice(
    [("030", 20), ("034", 18), ("001", 15), ("022", 10), ("036", 8), ("033", 7), ("038", 6),
     ("040", 5), ("079", 5), ("035", 3), ("037", 3)]
)  # fmt: skip

# One representative district and commune per origin province: enough for home towns and birth places.
OTHER_PROVINCE_UNITS: dict[str, tuple[str, str, str, str]] = {
    "001": ("Thành phố Hà Nội", "005", "Quận Cầu Giấy", "00157"),
    "022": ("Tỉnh Quảng Ninh", "193", "Thành phố Hạ Long", "06658"),
    "030": ("Tỉnh Hải Dương", "288", "Thành phố Hải Dương", "10507"),
    "033": ("Tỉnh Hưng Yên", "323", "Thành phố Hưng Yên", "11953"),
    "034": ("Tỉnh Thái Bình", "336", "Thành phố Thái Bình", "12427"),
    "035": ("Tỉnh Hà Nam", "347", "Thành phố Phủ Lý", "13285"),
    "036": ("Tỉnh Nam Định", "356", "Thành phố Nam Định", "13630"),
    "037": ("Tỉnh Ninh Bình", "369", "Thành phố Ninh Bình", "14365"),
    "038": ("Tỉnh Thanh Hóa", "380", "Thành phố Thanh Hóa", "14755"),
    "040": ("Tỉnh Nghệ An", "412", "Thành phố Vinh", "16681"),
    "079": ("Thành phố Hồ Chí Minh", "760", "Quận 1", "26734"),
}


def draw_home_district(rng: random.Random) -> District:
    """A district of the home province, weighted by population."""
    return _HOME_BY_CODE[_HOME_DISTRICT_CHOICE.draw(rng)]
