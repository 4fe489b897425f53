"""Which citizens a request is about: the data subjects a transaction log must be searchable by."""

from __future__ import annotations

import re

from pydantic import JsonValue

# Field names that carry a personal ID number, canonical and Vietnamese wire names alike.
SUBJECT_KEYS = frozenset(
    {"id_number", "citizen_id", "subject_id", "SoDinhDanh", "soDinhDanh", "so_dinh_danh"}
)
_ID_NUMBER = re.compile(r"^[0-9]{12}$")
_MAX_DEPTH = 4
_MAX_SUBJECTS = 16
_CONTAINERS = (dict, list)


def find_subjects(payload: JsonValue) -> tuple[str, ...]:
    """The 12-digit ID numbers found under subject keys, up to a few levels deep, in order, unique."""
    found: list[str] = []
    _walk(payload, 0, found)
    return tuple(dict.fromkeys(found))[:_MAX_SUBJECTS]


def _walk(value: JsonValue, depth: int, found: list[str]) -> None:
    # Only containers are walked into: a scalar holds no subject, and a call for each was most of the cost.
    if depth > _MAX_DEPTH or len(found) >= _MAX_SUBJECTS:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SUBJECT_KEYS and isinstance(item, str) and _ID_NUMBER.match(item):
                found.append(item)
            elif isinstance(item, _CONTAINERS):
                _walk(item, depth + 1, found)
    elif isinstance(value, list):
        for item in value[:64]:
            if isinstance(item, _CONTAINERS):
                _walk(item, depth + 1, found)
