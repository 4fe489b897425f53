"""Walks a stored chain once, in stored order, and names every place where it was tampered with.

Memory stays bounded on a long log: a sliding window of recent hashes for link checks and the list
of still-open sequence gaps (a deleted entry opens one; a reordered entry arriving late closes it).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from bus.txlog.base import Finding, FindingKind, VerifyReport
from bus.txlog.entry import LogEntry

# How far back a reordered entry may be found and still have its link checked.
LINK_WINDOW = 4096


@dataclass(frozen=True)
class ChainMark:
    """A (sequence, hash) pair kept beside the stream: the head (last appended) or the start anchor."""

    sequence: int
    hash: str


@dataclass
class _Gap:
    first: int
    last: int
    after: str | None  # location of the entry stored just before the gap opened


class ChainVerifier:
    """Feed every stored entry in order with `add`, then call `report` with the head."""

    def __init__(self, anchor: ChainMark | None) -> None:
        self._anchor = anchor
        self._findings: list[Finding] = []
        self._hashes: OrderedDict[int, str] = OrderedDict()
        self._gaps: list[_Gap] = []
        self._max_seen: int | None = None
        self._first: int | None = None
        self._checked = 0
        self._last_location: str | None = None

    def add_unreadable(self, location: str, problem: str) -> None:
        """A stored item that does not parse as an entry."""
        self._checked += 1
        self._find("unreadable", None, location, f"not a log entry: {problem}")
        self._last_location = location

    def add_finding(self, kind: FindingKind, sequence: int | None, location: str, message: str) -> None:
        """Record a problem the caller found in how the entry is stored."""
        self._find(kind, sequence, location, message)

    def add(self, location: str, entry: LogEntry) -> None:
        """Check one entry, stored at `location`, against its content and the entries before it."""
        self._checked += 1
        seq = entry.sequence
        if entry.computed_hash() != entry.entry_hash:
            self._find("hash_mismatch", seq, location, "content does not match its entry_hash (altered)")
        self._check_bodies(location, entry)
        duplicate = seq in self._hashes
        if self._max_seen is None:
            self._start(location, entry)
        elif duplicate:
            self._find("duplicate", seq, location, f"sequence {seq} stored twice (inserted entry)")
        elif seq <= self._max_seen:
            if self._close_gap(seq):
                self._find("reordered", seq, location, f"stored after sequence {self._max_seen}")
            else:
                self._find("reordered", seq, location, f"sequence {seq} out of place")
        elif seq > self._max_seen + 1:
            self._gaps.append(_Gap(self._max_seen + 1, seq - 1, self._last_location))
        if not duplicate:
            self._check_link(location, entry)
            self._remember(seq, entry.entry_hash)
        self._max_seen = seq if self._max_seen is None else max(self._max_seen, seq)
        self._last_location = location

    def report(self, head: ChainMark | None) -> VerifyReport:
        """Everything found, in the order found, then open gaps and the checks against `head`."""
        for gap in self._gaps:
            span = f"{gap.first}" if gap.first == gap.last else f"{gap.first}..{gap.last}"
            where = f" after {gap.after}" if gap.after else ""
            self._find("gap", gap.first, gap.after, f"sequence {span} missing{where} (deleted)")
        self._check_head(head)
        return VerifyReport(
            checked=self._checked,
            first_sequence=self._first,
            last_sequence=self._max_seen,
            findings=self._findings,
        )

    def _start(self, location: str, entry: LogEntry) -> None:
        self._first = entry.sequence
        anchor = self._anchor
        if anchor is None:
            self._find("missing_anchor", entry.sequence, location, "the start anchor is missing")
        elif entry.sequence > anchor.sequence:
            span = f"{anchor.sequence}..{entry.sequence - 1}"
            self._find("start_truncated", entry.sequence, location, f"sequence {span} missing at the start")
        elif entry.sequence < anchor.sequence:
            self._find("before_anchor", entry.sequence, location, f"anchor is at {anchor.sequence}")
        elif entry.prev_hash != anchor.hash:
            self._find("broken_link", entry.sequence, location, "prev_hash differs from the start anchor")

    def _check_link(self, location: str, entry: LogEntry) -> None:
        before = self._hashes.get(entry.sequence - 1)
        if before is not None and entry.prev_hash != before:
            self._find(
                "broken_link",
                entry.sequence,
                location,
                f"prev_hash is not the entry_hash of sequence {entry.sequence - 1}",
            )

    def _check_bodies(self, location: str, entry: LogEntry) -> None:
        for name, body, digest in (
            ("request", entry.request_body, entry.request_sha256),
            ("response", entry.response_body, entry.response_sha256),
        ):
            if body is None:
                continue
            try:
                matches = hashlib.sha256(body.raw()).hexdigest() == digest
            except ValueError:
                matches = False
            if not matches:
                self._find("body_mismatch", entry.sequence, location, f"{name} body does not match its hash")

    def _close_gap(self, seq: int) -> bool:
        for index, gap in enumerate(self._gaps):
            if gap.first <= seq <= gap.last:
                pieces = [_Gap(gap.first, seq - 1, gap.after), _Gap(seq + 1, gap.last, gap.after)]
                self._gaps[index : index + 1] = [p for p in pieces if p.first <= p.last]
                return True
        return False

    def _remember(self, seq: int, entry_hash: str) -> None:
        self._hashes[seq] = entry_hash
        if len(self._hashes) > LINK_WINDOW:
            self._hashes.popitem(last=False)

    def _check_head(self, head: ChainMark | None) -> None:
        if head is None:
            if self._checked:
                self._find("missing_anchor", None, None, "the head record is missing")
            return
        if self._max_seen is None:
            if head.sequence > 0:
                self._find(
                    "tail_truncated", head.sequence, None, f"log empty but the head is {head.sequence}"
                )
            return
        if self._max_seen < head.sequence:
            span = f"{self._max_seen + 1}..{head.sequence}"
            self._find("tail_truncated", self._max_seen + 1, None, f"sequence {span} missing at the end")
        elif self._max_seen > head.sequence:
            self._find(
                "beyond_head", head.sequence + 1, None, f"entries after the head (sequence {head.sequence})"
            )
        stored = self._hashes.get(head.sequence)
        if stored is not None and stored != head.hash:
            self._find("head_mismatch", head.sequence, None, "the head's hash differs from the stored entry")

    def _find(self, kind: FindingKind, sequence: int | None, location: str | None, message: str) -> None:
        self._findings.append(Finding(kind=kind, sequence=sequence, location=location, message=message))
