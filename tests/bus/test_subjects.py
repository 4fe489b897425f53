"""The data subjects of a request: ID numbers under subject keys, a few levels deep, in order, unique."""

from __future__ import annotations

import random
from typing import Any

from pydantic import JsonValue

from bus.subjects import SUBJECT_KEYS, find_subjects

A, B, C = "031190000001", "031190000002", "031190000003"


def test_subjects_in_order_unique_under_any_subject_key() -> None:
    payload: JsonValue = {
        "id_number": A,
        "ChuHoSo": {"SoDinhDanh": B},
        "people": [{"citizen_id": A}, {"so_dinh_danh": C}],
    }

    assert find_subjects(payload) == (A, B, C)


def test_values_that_are_not_id_numbers_are_not_subjects() -> None:
    payload: JsonValue = {"id_number": "12345", "subject_id": 31190000001, "payer_id_number": A, "note": A}

    assert find_subjects(payload) == ()


def test_a_subject_key_holding_a_container_is_walked_into() -> None:
    assert find_subjects({"id_number": {"citizen_id": A}, "subject_id": [{"SoDinhDanh": B}]}) == (A, B)


def test_depth_and_list_bounds() -> None:
    deep: Any = {"id_number": A}
    for _ in range(4):
        deep = {"x": deep}
    deeper = {"x": deep}

    assert find_subjects(deep) == (A,)  # four levels down
    assert find_subjects(deeper) == ()  # five
    listed: JsonValue = [{"id_number": f"0311900{i:05d}"} for i in range(70)]
    assert len(find_subjects(listed)) == 16
    assert find_subjects([{}] * 64 + [{"id_number": A}]) == ()  # past the first 64 items


def _reference(payload: Any) -> tuple[str, ...]:
    """The walk as it was first written: every value visited, scalars included."""
    found: list[str] = []

    def walk(value: Any, depth: int) -> None:
        if depth > 4 or len(found) >= 16:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SUBJECT_KEYS and isinstance(item, str) and len(item) == 12 and item.isdigit():
                    found.append(item)
                else:
                    walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value[:64]:
                walk(item, depth + 1)

    walk(payload, 0)
    return tuple(dict.fromkeys(found))[:16]


def _random_value(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth < 7 and roll < 0.25:
        keys = [*SUBJECT_KEYS, "a", "b", "payer_id_number"]
        return {
            rng.choice(keys) + str(i % 2 or ""): _random_value(rng, depth + 1)
            for i in range(rng.randint(0, 4))
        }
    if depth < 7 and roll < 0.4:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.42:  # a long list of ID-bearing items: past the 64 walked
        return [{"id_number": f"0311{rng.randint(0, 99_999_999):08d}"} for _ in range(rng.randint(60, 70))]
    return rng.choice([f"0311{rng.randint(0, 99_999_999):08d}", "x", 12, 1.5, None, True, "0311900"])


def test_the_same_subjects_as_the_first_walk_on_random_payloads() -> None:
    rng = random.Random(16)
    for _ in range(500):
        payload = _random_value(rng, 0)
        assert find_subjects(payload) == _reference(payload)
