"""Keyed permutations of [0, n): the seeded bijections that let a record be derived instead of stored.

A balanced Feistel network over [0, m*m) with addition modulo m, narrowed to [0, n) by cycle walking
(apply again until the value lands inside). Not cryptographic: it only has to look random and be exact.
"""

from __future__ import annotations

import hashlib
from math import isqrt

_MASK64 = (1 << 64) - 1
_ROUNDS = 4


def derive_key(seed: int, *labels: object) -> int:
    """A 64-bit key from a seed and labels, stable across processes (unlike hash())."""
    text = "|".join([str(seed), *map(str, labels)]).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def mix64(value: int) -> int:
    """SplitMix64's finaliser: a cheap 64-bit avalanche."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


class FeistelPermutation:
    """A bijection of [0, size) onto itself, fixed by a 64-bit key; `forward` and `inverse` are O(1)."""

    def __init__(self, size: int, key: int) -> None:
        if size < 1:
            raise ValueError(f"a permutation needs a domain of at least 1 element, got {size}")
        self.size = size
        self._half = max(2, isqrt(size - 1) + 1)
        self._round_keys = [mix64(key ^ (r * 0x9E3779B97F4A7C15 & _MASK64)) for r in range(_ROUNDS)]

    def _round(self, value: int, round_key: int) -> int:
        return mix64(round_key ^ value) % self._half

    def _encrypt(self, value: int) -> int:
        left, right = divmod(value, self._half)
        for round_key in self._round_keys:
            left, right = right, (left + self._round(right, round_key)) % self._half
        return left * self._half + right

    def _decrypt(self, value: int) -> int:
        left, right = divmod(value, self._half)
        for round_key in reversed(self._round_keys):
            left, right = (right - self._round(left, round_key)) % self._half, left
        return left * self._half + right

    def forward(self, value: int) -> int:
        """The image of `value` in [0, size)."""
        self._check(value)
        value = self._encrypt(value)
        while value >= self.size:
            value = self._encrypt(value)
        return value

    def inverse(self, value: int) -> int:
        """The element whose image is `value`."""
        self._check(value)
        value = self._decrypt(value)
        while value >= self.size:
            value = self._decrypt(value)
        return value

    def _check(self, value: int) -> None:
        if not 0 <= value < self.size:
            raise ValueError(f"{value} is outside the permutation's domain [0, {self.size})")
