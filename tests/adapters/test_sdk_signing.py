"""Signing helpers against digests computed independently with coreutils and OpenSSL.

The expected values come from shell commands (shown next to each), not from this code:
    printf '%s' 'INIT|…|topsecret' | sha256sum
    printf '%s' 'vnp_Amount=…' | openssl dgst -sha512 -hmac 'VNPAYSECRET'
"""

from __future__ import annotations

import pytest

from adapters.sdk import (
    canonical_query,
    hmac_signature,
    paygov_checksum,
    verify_hmac_signature,
    verify_paygov_checksum,
)

PAYGOV_FIELDS = ["INIT", "PARTNER01", "REF-0001", 150000, "VND", "Lệ phí khai sinh", "20260101120000"]
# printf '%s' 'INIT|PARTNER01|REF-0001|150000|VND|Lệ phí khai sinh|20260101120000|topsecret' | sha256sum
PAYGOV_DIGEST = "a4d9579d24dcb5aba62372e8944e4336b74d2f67cd0cef9e9499ce098c3ef971"

VNPAY_PARAMS = {
    "vnp_TxnRef": "ABC123",
    "vnp_Amount": 1000000,
    "vnp_Command": "pay",
    "vnp_TmnCode": "HPG01",
    "vnp_OrderInfo": "Thanh toan le phi ho tich",
    "vnp_SecureHashType": "HmacSHA512",
    "vnp_BankCode": "",
}
VNPAY_QUERY = (
    "vnp_Amount=1000000&vnp_Command=pay&vnp_OrderInfo=Thanh+toan+le+phi+ho+tich"
    "&vnp_TmnCode=HPG01&vnp_TxnRef=ABC123"
)
# printf '%s' "$VNPAY_QUERY" | openssl dgst -sha512 -hmac 'VNPAYSECRET'
VNPAY_SHA512 = (
    "a725d88804a8845bde96f5cd18c1acd604455f64f9f60fcfd138411cadec0319"
    "95a965312a98e2d75e851f83b95b4eb54b43e579bd89160894bc7b54aaeed6b0"
)
# printf '%s' "$VNPAY_QUERY" | openssl dgst -sha256 -hmac 'VNPAYSECRET'
VNPAY_SHA256 = "4f326e0b24e41b0da80c4b5dd432e61c8058779bc0115e0f78dfde0d5a7e774b"
# printf '%s' 'vnp_Amount=1000000&vnp_OrderInfo=L%E1%BB%87+ph%C3%AD+%26+ph%C3%AD&vnp_ReturnUrl=https%3A%2F%2F
#   dvc.haiphong.gov.vn%2Fpay%3Fa%3D1' | openssl dgst -sha512 -hmac 'VNPAYSECRET'
VNPAY_ENCODED_SHA512 = (
    "3879e7ec7be41082dab16e42373041c8030d0886cc8bd3a9b73f2be9a6cb76c0"
    "bad4306a02f823b6064c8dcb351f7a06c9d9e49347f175cf62888137ab9a4797"
)


def test_paygov_checksum_is_sha256_of_pipe_joined_fields_with_secret_last() -> None:
    assert paygov_checksum(PAYGOV_FIELDS, "topsecret") == PAYGOV_DIGEST


def test_paygov_checksum_verifies_in_any_case_and_rejects_tampering() -> None:
    assert verify_paygov_checksum(PAYGOV_FIELDS, "topsecret", PAYGOV_DIGEST.upper())
    tampered = [*PAYGOV_FIELDS[:3], 1500000, *PAYGOV_FIELDS[4:]]
    assert not verify_paygov_checksum(tampered, "topsecret", PAYGOV_DIGEST)
    assert not verify_paygov_checksum(PAYGOV_FIELDS, "othersecret", PAYGOV_DIGEST)


def test_canonical_query_sorts_encodes_and_leaves_out_signature_and_empty_fields() -> None:
    assert canonical_query(VNPAY_PARAMS) == VNPAY_QUERY


def test_hmac_sha512_signature_matches_openssl() -> None:
    assert hmac_signature(VNPAY_PARAMS, "VNPAYSECRET") == VNPAY_SHA512


def test_hmac_sha256_signature_matches_openssl() -> None:
    assert hmac_signature(VNPAY_PARAMS, "VNPAYSECRET", "sha256") == VNPAY_SHA256


def test_hmac_signature_url_encodes_vietnamese_text_and_reserved_characters() -> None:
    params = {
        "vnp_ReturnUrl": "https://dvc.haiphong.gov.vn/pay?a=1",
        "vnp_OrderInfo": "Lệ phí & phí",
        "vnp_Amount": "1000000",
    }
    assert hmac_signature(params, "VNPAYSECRET") == VNPAY_ENCODED_SHA512


def test_hmac_verification_accepts_the_right_signature_only() -> None:
    signed = {**VNPAY_PARAMS, "vnp_SecureHash": VNPAY_SHA512}
    assert verify_hmac_signature(signed, "VNPAYSECRET", VNPAY_SHA512)
    assert not verify_hmac_signature({**signed, "vnp_Amount": 1}, "VNPAYSECRET", VNPAY_SHA512)
    assert not verify_hmac_signature(signed, "VNPAYSECRET", VNPAY_SHA512[:-1] + "1")  # last digit changed


@pytest.mark.parametrize("forged", ["", "zz", "ệ" * 64, VNPAY_SHA512 + "00"])
def test_malformed_or_non_ascii_signature_is_rejected_without_error(forged: str) -> None:
    assert not verify_hmac_signature(VNPAY_PARAMS, "VNPAYSECRET", forged)
    assert not verify_paygov_checksum(PAYGOV_FIELDS, "topsecret", forged)
