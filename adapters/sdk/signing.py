"""Message signatures used by Vietnamese payment platforms, with constant-time verification.

PayGov (NAPAS)  MaXacThuc      = SHA-256 hex of the fields joined with '|', shared secret last
VNPay           vnp_SecureHash = HMAC-SHA512 (or 256) hex of the sorted, URL-encoded parameters
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping, Sequence
from typing import Literal
from urllib.parse import quote_plus

HmacAlgorithm = Literal["sha256", "sha512"]
VNPAY_SIGNATURE_FIELDS = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _same_hex(expected: str, given: str) -> bool:
    # Bytes, not str: compare_digest refuses non-ASCII text, and a forged signature may contain some.
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))


def paygov_checksum(fields: Sequence[object], secret: str) -> str:
    """SHA-256 hex over `f1|f2|…|secret` (None counts as an empty field)."""
    joined = "|".join([*(_text(field) for field in fields), secret])
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def verify_paygov_checksum(fields: Sequence[object], secret: str, checksum: str) -> bool:
    """True when `checksum` (hex, any case) matches; compared in constant time."""
    return _same_hex(paygov_checksum(fields, secret), checksum)


def canonical_query(params: Mapping[str, object], exclude: Collection[str] = VNPAY_SIGNATURE_FIELDS) -> str:
    """`k1=v1&k2=v2` sorted by key, values URL-encoded (quote_plus); excluded and empty values left out."""
    pairs = [
        f"{key}={quote_plus(_text(value))}"
        for key, value in sorted(params.items())
        if key not in exclude and _text(value) != ""
    ]
    return "&".join(pairs)


def hmac_signature(
    params: Mapping[str, object],
    secret: str,
    algorithm: HmacAlgorithm = "sha512",
    exclude: Collection[str] = VNPAY_SIGNATURE_FIELDS,
) -> str:
    """HMAC hex over `canonical_query(params)` (VNPay's vnp_SecureHash with the defaults)."""
    message = canonical_query(params, exclude).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, algorithm).hexdigest()


def verify_hmac_signature(
    params: Mapping[str, object],
    secret: str,
    signature: str,
    algorithm: HmacAlgorithm = "sha512",
    exclude: Collection[str] = VNPAY_SIGNATURE_FIELDS,
) -> bool:
    """True when `signature` (hex, any case) matches; compared in constant time."""
    return _same_hex(hmac_signature(params, secret, algorithm, exclude), signature)
