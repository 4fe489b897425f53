"""Vietnamese names with their diacritics (NFC) and rough frequencies for a northern coastal province."""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

from services.citizens.id_numbers import Sex


class WeightedChoice:
    """Draws from a fixed table of (value, weight) with one uniform number: O(log n), no allocation."""

    def __init__(self, table: list[tuple[str, float]]) -> None:
        self.values = [value for value, _ in table]
        self._cumulative = list(accumulate(weight for _, weight in table))

    def draw(self, rng: random.Random) -> str:
        """One value, with probability proportional to its weight."""
        return self.values[bisect(self._cumulative, rng.random() * self._cumulative[-1])]


# Shares in per cent after national surveys (Nguyễn ≈ 38 %); Hoàng and Vũ outnumber Huỳnh and Võ in the north.
FAMILY_NAMES = WeightedChoice(
    [
        ("Nguyễn", 38.4), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.1), ("Hoàng", 4.5), ("Huỳnh", 0.6),
        ("Phan", 4.5), ("Vũ", 3.4), ("Võ", 0.5), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3),
        ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Đào", 0.9), ("Đoàn", 0.8), ("Vương", 0.3),
        ("Trịnh", 0.6), ("Mai", 0.5), ("Lương", 0.5), ("Đinh", 0.6), ("Cao", 0.4), ("Lưu", 0.3),
        ("Tạ", 0.3), ("Hà", 0.4), ("Phùng", 0.3), ("Chu", 0.2), ("Tô", 0.2), ("Nhữ", 0.1),
    ]
)  # fmt: skip

# Văn and Thị dominate older generations; younger parents chose freely among the others.
_MIDDLE_TRADITIONAL = {"M": "Văn", "F": "Thị"}
MIDDLE_NAMES = {
    "M": WeightedChoice(
        [("Đức", 5), ("Minh", 6), ("Quang", 4), ("Hữu", 3), ("Công", 3), ("Xuân", 2), ("Thành", 2),
         ("Tuấn", 2), ("Ngọc", 1), ("Gia", 3), ("Bảo", 3), ("Anh", 2), ("Trung", 1), ("Việt", 2)]
    ),
    "F": WeightedChoice(
        [("Ngọc", 5), ("Thu", 4), ("Thanh", 4), ("Phương", 3), ("Thùy", 3), ("Minh", 3), ("Khánh", 3),
         ("Bảo", 2), ("Hồng", 2), ("Mai", 2), ("Kim", 2), ("Thảo", 2), ("Hải", 1), ("Diệu", 1)]
    ),
}  # fmt: skip

GIVEN_NAMES = {
    "M": WeightedChoice(
        [("Anh", 5), ("Hùng", 4), ("Dũng", 4), ("Tuấn", 4), ("Minh", 4), ("Hải", 4), ("Nam", 4),
         ("Long", 3), ("Phong", 2), ("Quân", 3), ("Khoa", 2), ("Huy", 3), ("Đức", 3), ("Thắng", 3),
         ("Sơn", 3), ("Trung", 3), ("Hiếu", 2), ("Hoàng", 2), ("Khang", 2), ("Bảo", 2), ("Lâm", 2),
         ("Phúc", 2), ("Tùng", 3), ("Vinh", 2), ("Cường", 3), ("Toàn", 2), ("Thành", 3), ("Kiên", 2),
         ("Hưng", 3), ("Đạt", 3), ("Thịnh", 2), ("Nghĩa", 2), ("Quý", 1), ("Lộc", 1), ("Khôi", 2)]
    ),
    "F": WeightedChoice(
        [("Lan", 4), ("Hương", 5), ("Hoa", 3), ("Mai", 4), ("Linh", 5), ("Trang", 5), ("Hà", 4),
         ("Thảo", 4), ("Ngọc", 3), ("Phương", 3), ("Huyền", 4), ("Hằng", 4), ("Nhung", 3), ("Yến", 3),
         ("Vân", 3), ("Anh", 4), ("Chi", 2), ("Giang", 3), ("Hạnh", 3), ("Thủy", 3), ("Nga", 3),
         ("Loan", 2), ("Hồng", 2), ("Duyên", 2), ("My", 2), ("Nhi", 2), ("Vy", 2), ("Quỳnh", 3),
         ("Tâm", 2), ("Thư", 2), ("Oanh", 1), ("Liên", 2), ("Dung", 2), ("Hiền", 2), ("Ánh", 2)]
    ),
}  # fmt: skip


def draw_middle_name(rng: random.Random, sex: Sex, birth_year: int) -> str:
    """A middle name (chữ đệm); the traditional Văn/Thị fades from ~85 % (born 1930) to ~10 % (born 2020)."""
    traditional_share = min(0.85, max(0.1, 0.85 - (birth_year - 1930) * 0.0083))
    if rng.random() < traditional_share:
        return _MIDDLE_TRADITIONAL[sex]
    return MIDDLE_NAMES[sex].draw(rng)


def draw_given_name(rng: random.Random, sex: Sex) -> str:
    """A given name (tên)."""
    return GIVEN_NAMES[sex].draw(rng)


def draw_family_name(rng: random.Random) -> str:
    """A family name (họ), at national frequencies."""
    return FAMILY_NAMES.draw(rng)
