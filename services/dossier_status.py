"""The portal's dossier status codes, shared by the portal mock and the one-stop system mock.

1 new · 2 accepted · 3 not accepted · 4 processing · 5 supplement requested
6 financial obligation requested · 7 withdrawn · 8 stopped · 9 processed · 10 result returned
"""

from __future__ import annotations

STATUS_NAMES: dict[int, str] = {
    1: "Mới",
    2: "Đã tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
