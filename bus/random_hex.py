"""Random hex digits for ids, read from the OS's CSPRNG a page at a time.

`secrets.token_hex` costs one getrandom system call per id, and a call to the gateway draws five or
six (transaction, message and reply ids, trace and span ids). The same CSPRNG bytes, read 4 KiB at a
time, cost one call per ≈ 250 ids. A forked child drops the parent's unused bytes, so no two
processes hand out the same digits.
"""

from __future__ import annotations

import os
import threading

_PAGE_BYTES = 4096


class RandomHex:
    """Hands out fresh hex digits, each digit once, from pages of `os.urandom`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._digits = ""
        self._at = 0
        os.register_at_fork(after_in_child=self._forget)

    def take(self, count: int) -> str:
        """`count` hex digits (4 random bits each) never handed out before in this process."""
        if not 0 < count <= 2 * _PAGE_BYTES:
            raise ValueError(f"between 1 and {2 * _PAGE_BYTES} digits at a time, not {count}")
        with self._lock:
            start = self._at
            if start + count > len(self._digits):
                self._digits = os.urandom(_PAGE_BYTES).hex()
                start = 0
            self._at = start + count
            return self._digits[start : start + count]

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._digits = ""
        self._at = 0


random_hex = RandomHex().take
