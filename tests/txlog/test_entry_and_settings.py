"""The entry's hash can be recomputed by anyone from its JSON; the log's settings refuse bad values."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bus.transaction import TransactionRecord
from bus.txlog import GENESIS_HASH, LogEntry, StoredBody, TransactionBodies, TxLogSettings, build_entry
from bus.txlog.entry import RECORD_FIELDS, canonical_json
from tests.txlog.conftest import make_record


def test_every_transaction_record_field_is_kept_in_the_entry() -> None:
    assert set(TransactionRecord.model_fields) == RECORD_FIELDS


def test_entry_hash_is_sha256_of_sorted_compact_json_without_the_hash() -> None:
    entry = build_entry(make_record(1), 1, GENESIS_HASH, TransactionBodies(b"{}", b"\x00"))
    exported = json.loads(entry.to_json())
    claimed = exported.pop("entry_hash")
    # What an auditor with only the export and the standard library would do.
    canonical = json.dumps(exported, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == claimed
    assert LogEntry.from_json(entry.to_json()).computed_hash() == claimed


TRICKY_TEXT = [
    "",
    "plain",
    'quote " backslash \\ slash /',
    "".join(chr(c) for c in range(0x20)) + "\x7f",  # every control character, and DEL
    "Nguyễn Thị Ánh Tuyết",
    "\u2028\u2029 \ufeff \U0001f600 \u00e9\u0301",
    "</script> & <",
]


@pytest.mark.parametrize("text", TRICKY_TEXT)
def test_canonical_json_is_the_standard_librarys_bytes(text: str) -> None:
    # Entries hashed before orjson wrote the canonical form must still verify: same bytes for the same
    # content, whatever the text holds.
    content = {"z": text, "a": [text, None, True, False, 0, -1, 2**63 - 1], "m": {"k": text, "b": None}}
    # 2**70 is past orjson's integers: the standard library writes that content
    for value in (content, {**content, "sequence": 2**70}):
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert canonical_json(value) == expected


def test_an_entry_has_no_float_field() -> None:
    # orjson and json.dumps write some floats differently (1e+16 / 1e16): the canonical form relies on this.
    assert not [name for name, field in LogEntry.model_fields.items() if "float" in str(field.annotation)]


MOMENTS = [
    datetime(2026, 12, 6, 10, 0, 0, 123456, UTC),
    datetime(2026, 12, 6, 17, 0, 0, 7, timezone(timedelta(hours=7))),
    datetime(2026, 12, 6, 10, 0),  # naive
    datetime(2026, 12, 6, 10, 0, 0, 0, UTC),  # no fraction of a second
    datetime(2026, 12, 6, 17, 0, 0, 500000, ZoneInfo("Asia/Ho_Chi_Minh")),
    datetime(2026, 12, 6, 10, 0, 0, 1, timezone(timedelta(0))),  # UTC by offset, not by name
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_an_entry_is_what_its_stored_form_reads_back_as(moment: datetime) -> None:
    # Built from the record's typed values, hashed over its JSON view: the two must say the same.
    entry = build_entry(make_record(1, at=moment), 3, "c" * 64, TransactionBodies(b"{}", b"\xff"))
    again = LogEntry.from_json(entry.to_json())
    assert again == entry and again.model_dump() == entry.model_dump()
    assert again.computed_hash() == entry.entry_hash == entry.computed_hash()


def test_an_integer_past_64_bits_is_hashed_over_the_json_view_too() -> None:
    record = make_record(1).model_copy(update={"request_size": 2**70})
    entry = build_entry(record, 1, GENESIS_HASH)
    assert entry.request_size == 2**70
    assert entry.computed_hash() == entry.entry_hash


def test_entry_hash_covers_the_link_to_the_previous_entry() -> None:
    record = make_record(1)
    first = build_entry(record, 2, "a" * 64)
    second = build_entry(record, 2, "b" * 64)
    assert first.entry_hash != second.entry_hash


def test_stored_body_keeps_text_readable_and_binary_lossless() -> None:
    text, binary = "Nguyễn Văn A".encode(), b"\xff\xfe\x00"
    assert StoredBody.of(text).encoding == "utf-8" and StoredBody.of(text).raw() == text
    assert StoredBody.of(binary).encoding == "base64" and StoredBody.of(binary).raw() == binary


def test_settings_come_from_lgsp_txlog_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LGSP_TXLOG_STREAM_KEY", "hpg:txlog")
    monkeypatch.setenv("LGSP_TXLOG_MAX_ENTRIES", "1000")
    monkeypatch.setenv("LGSP_TXLOG_BODY_SERVICES", '["VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1"]')
    monkeypatch.setenv("LGSP_REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = TxLogSettings()
    assert (settings.stream_key, settings.max_entries, settings.redis_url) == (
        "hpg:txlog",
        1000,
        "redis://127.0.0.1:6379/3",
    )
    assert settings.logs_bodies_of("VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1")
    assert not settings.logs_bodies_of("VN/GOV/BTP/HOTICH/KhaiSinh/v1")


def test_an_unprefixed_redis_url_variable_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LGSP_REDIS_URL", raising=False)
    monkeypatch.delenv("LGSP_TXLOG_REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://someone-else:6379/0")
    assert TxLogSettings(_env_file=None).redis_url is None


def test_bodies_are_off_by_default() -> None:
    assert not TxLogSettings(redis_url=None).logs_bodies_of("VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1")


@pytest.mark.parametrize(
    "bad",
    [
        {"redis_url": "http://127.0.0.1:6379"},
        {"max_entries": 0},
        {"stream_key": "has space"},
        {"trim_batch": 0},
    ],
)
def test_bad_settings_are_refused_naming_the_field(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        TxLogSettings(**bad)  # type: ignore[arg-type]
    assert next(iter(bad)) in str(caught.value)
