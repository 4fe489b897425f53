"""ID numbers (Circular 07/2016 layout) and the keyed permutations behind the population."""

from __future__ import annotations

import pytest

from services.citizens import IdParts, make_id_number, parse_id_number
from services.citizens.permutation import FeistelPermutation, derive_key


def test_made_id_number_has_province_century_sex_year_and_serial_in_place() -> None:
    assert make_id_number("031", "M", 1994, 411047) == "031094411047"
    assert make_id_number("001", "F", 1987, 5) == "001187000005"
    assert make_id_number("079", "M", 2003, 999999) == "079203999999"
    assert make_id_number("031", "F", 2023, 123456) == "031323123456"


@pytest.mark.parametrize(
    ("province", "sex", "year", "serial"),
    [("031", "M", 1900, 0), ("096", "F", 1999, 999999), ("001", "M", 2000, 42), ("048", "F", 2099, 7)],
)
def test_parse_inverts_make(province: str, sex: str, year: int, serial: int) -> None:
    text = make_id_number(province, sex, year, serial)  # type: ignore[arg-type]
    assert parse_id_number(text) == IdParts(province, sex, year, serial)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("03109441104", "12 digits, got 11"),
        ("0310944110477", "12 digits, got 13"),
        ("03109441104A", "only the digits"),
        ("０３１０９４４１１０４７", "only the digits"),  # full-width digits are not ASCII digits
        ("003094411047", "unknown province code '003'"),
        ("031494411047", "century digit 4 means a birth in 2100-2199"),
        ("031994411047", "century digit 9 means a birth in 2300-2399"),
    ],
)
def test_parse_rejects_bad_id_numbers_with_a_precise_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_id_number(text)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("032", "M", 1990, 1), "unknown province code"),
        (("031", "X", 1990, 1), "sex must be"),
        (("031", "M", 1899, 1), "outside 1900-2099"),
        (("031", "M", 2100, 1), "outside 1900-2099"),
        (("031", "M", 1990, 1_000_000), "serial 1000000"),
        (("031", "M", 1990, -1), "serial -1"),
    ],
)
def test_make_rejects_parts_out_of_range(args: tuple[str, str, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_id_number(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [1, 2, 999, 1000, 1001, 4096])
def test_feistel_permutation_is_a_bijection_and_inverse_undoes_it(size: int) -> None:
    permutation = FeistelPermutation(size, derive_key(7, "test", size))
    images = [permutation.forward(value) for value in range(size)]
    assert sorted(images) == list(range(size))
    assert [permutation.inverse(image) for image in images] == list(range(size))


def test_feistel_permutation_depends_on_its_key_and_scrambles_order() -> None:
    first = FeistelPermutation(1_000_000, derive_key(1, "a"))
    second = FeistelPermutation(1_000_000, derive_key(2, "a"))
    values = range(1000)
    assert [first.forward(v) for v in values] != [second.forward(v) for v in values]
    consecutive = sum(first.forward(v + 1) == first.forward(v) + 1 for v in values)
    assert consecutive < 10


def test_feistel_permutation_rejects_values_outside_its_domain() -> None:
    permutation = FeistelPermutation(10, 1)
    with pytest.raises(ValueError, match=r"outside the permutation's domain \[0, 10\)"):
        permutation.forward(10)
    with pytest.raises(ValueError, match="outside"):
        permutation.inverse(-1)
