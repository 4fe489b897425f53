"""One link of the hash chain: a transaction record plus its place in the log and its hashes.

entry_hash = SHA-256 over the canonical JSON of the entry without `entry_hash` (keys sorted, no
whitespace, UTF-8). `prev_hash` is part of that JSON, so each hash covers the whole chain before it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

from bus.transaction import TransactionRecord
from bus.trusted_models import builder

# The prev_hash of the very first entry of a log.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class TransactionBodies:
    """The raw request and response bodies of one transaction, for services with body logging on."""

    request: bytes
    response: bytes


class StoredBody(BaseModel):
    """A body kept in the log: UTF-8 text when it is text (JSON bodies are), base64 otherwise."""

    model_config = ConfigDict(frozen=True)

    encoding: Literal["utf-8", "base64"]
    text: str

    @classmethod
    def of(cls, raw: bytes) -> StoredBody:
        """Keep `raw` readably when it decodes as UTF-8, losslessly either way."""
        try:
            return cls(encoding="utf-8", text=raw.decode("utf-8"))
        except UnicodeDecodeError:
            return cls(encoding="base64", text=base64.b64encode(raw).decode("ascii"))

    def raw(self) -> bytes:
        """The original bytes."""
        if self.encoding == "utf-8":
            return self.text.encode("utf-8")
        return base64.b64decode(self.text, validate=True)


class LogEntry(TransactionRecord):
    """A transaction record as kept in the tamper-evident log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sequence: int
    request_body: StoredBody | None = None
    response_body: StoredBody | None = None
    prev_hash: str
    entry_hash: str

    def computed_hash(self) -> str:
        """The hash this entry's content and prev_hash give; differs from entry_hash if altered."""
        return hash_content(self.model_dump(mode="json", exclude={"entry_hash"}))

    def to_json(self) -> str:
        """The stored form: compact JSON."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> LogEntry:
        """Parse the stored form; raises pydantic.ValidationError when it is not an entry."""
        return cls.model_validate_json(text)


RECORD_FIELDS = frozenset(LogEntry.model_fields) - {
    "sequence",
    "prev_hash",
    "entry_hash",
    "request_body",
    "response_body",
}
_RECORD_FIELD_SET = set(RECORD_FIELDS)
# Sorted keys, and "Z" for UTC as pydantic writes it in an entry's JSON view.
_TYPED_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z
_ENTRY_READER = LogEntry.__pydantic_validator__
_build_entry = builder(LogEntry)


def canonical_json(content: dict[str, Any]) -> bytes:
    """The one serialisation the hash is taken over: sorted keys, no whitespace, UTF-8.

    Written by orjson, whose output for an entry's values (text, integers, booleans, null, lists and
    objects with ASCII keys; an entry has no float field) is byte for byte `json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` in UTF-8, what entries were always hashed over, at a
    tenth of its cost. An integer past 64 bits, which orjson refuses, takes json.dumps itself."""
    try:
        return orjson.dumps(content, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hash_content(content: dict[str, Any]) -> str:
    """SHA-256 hex of `content`'s canonical JSON."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def build_entry(
    record: TransactionRecord, sequence: int, prev_hash: str, bodies: TransactionBodies | None = None
) -> LogEntry:
    """The entry for `record` at `sequence`, chained on `prev_hash`, with its entry_hash computed."""
    # Only the fields the entry knows; a test keeps LogEntry in step with TransactionRecord.
    typed = (
        record.__dict__
        if type(record) is TransactionRecord
        else {k: getattr(record, k) for k in RECORD_FIELDS}
    )
    extras = {
        "sequence": sequence,
        "request_body": StoredBody.of(bodies.request).model_dump() if bodies else None,
        "response_body": StoredBody.of(bodies.response).model_dump() if bodies else None,
        "prev_hash": prev_hash,
    }
    content = {**typed, **extras}
    try:
        # The typed values written as they stand: orjson writes a datetime as the entry's JSON view
        # does (tests hold the two hashes equal), so no JSON view is built (≈ 40 % of an append).
        canonical = orjson.dumps(content, option=_TYPED_CANONICAL)
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits: from the JSON view, as it always was
        canonical = canonical_json({**record.model_dump(mode="json", include=_RECORD_FIELD_SET), **extras})
    content["entry_hash"] = hashlib.sha256(canonical).hexdigest()
    if type(record) is TransactionRecord and bodies is None:
        # A gateway's record (validated when it was made) and the log's own place, previous hash and hash:
        # taken as they are, not validated again (≈ 38k instructions; tests hold the two equal).
        return _build_entry(content, None)
    # Validated from the record's own (already typed) values, half the cost of parsing their JSON view,
    # by the model's validator without model_validate's Python layer (LogEntry 43k → 38k instructions).
    entry: LogEntry = _ENTRY_READER.validate_python(content)
    return entry
