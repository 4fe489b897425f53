"""Where a journey's data comes from: JSON pointers (RFC 6901), payload templates and conditions.

A journey's context is one JSON document:
    {"journey": {"id", "kind", "dossier_code", "received_at", "due_at", "now"}, "inputs": {...},
     "steps": {"<step>": {"result": ...}}}
A template is any JSON value. A string that is exactly `${/pointer}` becomes the value found there (of
any JSON type); a string with `${/pointer}` inside it gets that value's text; anything else is copied.
There is no expression language and nothing is evaluated: pointers only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Final, Self

from jsonpointer import JsonPointer, JsonPointerException
from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_ABSENT: Final = object()
TESTS: Final = ("equals", "not_equals", "one_of", "contains", "exists")


class MissingValue(LookupError):
    """A pointer found nothing when a step ran (an input not given, a result without that field)."""


def check_pointer(pointer: str) -> str:
    """`pointer` unchanged if it is a valid RFC 6901 pointer, else ValueError."""
    try:
        JsonPointer(pointer)
    except JsonPointerException as error:
        raise ValueError(f"{pointer!r} is not a JSON pointer: {error}") from None
    return pointer


def pointer_parts(pointer: str) -> list[str]:
    """The unescaped reference tokens of `pointer`."""
    return list(JsonPointer(pointer).parts)


def lookup(pointer: str, document: JsonValue) -> object:
    """The value at `pointer` in `document`, or the module's absent marker (see `found`)."""
    try:
        value: object = JsonPointer(pointer).resolve(document)
    except JsonPointerException:
        return _ABSENT
    return value


def found(value: object) -> bool:
    """Whether `lookup` found something."""
    return value is not _ABSENT


def resolve(pointer: str, document: JsonValue) -> JsonValue:
    """The value at `pointer`; MissingValue when there is none."""
    value = lookup(pointer, document)
    if not found(value):
        raise MissingValue(f"nothing at {pointer}")
    return value  # type: ignore[return-value]


def pointers_in(template: JsonValue) -> Iterator[str]:
    """Every pointer a template refers to."""
    if isinstance(template, str):
        yield from PLACEHOLDER.findall(template)
    elif isinstance(template, list):
        for item in template:
            yield from pointers_in(item)
    elif isinstance(template, dict):
        for value in template.values():
            yield from pointers_in(value)


def render(template: JsonValue, context: JsonValue) -> JsonValue:
    """The template with its placeholders filled from `context`; MissingValue when one finds nothing."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole is not None:
            return resolve(whole.group(1), context)
        return PLACEHOLDER.sub(lambda match: _text(resolve(match.group(1), context)), template)
    if isinstance(template, list):
        return [render(item, context) for item in template]
    if isinstance(template, dict):
        return {key: render(value, context) for key, value in template.items()}
    return template


def render_text(template: str, context: JsonValue) -> str:
    """A template that must give text (a path, a query value, an event key)."""
    return _text(render(template, context))


def _text(value: JsonValue) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class Condition(BaseModel):
    """A test on the value at pointer `at`: exactly one of `equals`, `not_equals`, `one_of`, `contains`,
    `exists`. A missing value passes only `exists: false` and `not_equals` (nothing differs from any
    value: "anything but a confirmation" holds when no confirmation came)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    at: str = Field(description="JSON pointer to the value tested")
    equals: JsonValue = None
    not_equals: JsonValue = None
    one_of: list[JsonValue] | None = None
    contains: JsonValue = None
    exists: bool | None = None

    @field_validator("at")
    @classmethod
    def _pointer(cls, value: str) -> str:
        return check_pointer(value)

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        tests = self.model_fields_set & set(TESTS)
        if len(tests) != 1:
            raise ValueError(f"a condition has exactly one of {', '.join(TESTS)}; got {sorted(tests)}")
        return self

    def holds(self, document: JsonValue) -> bool:
        """Whether the test passes on `document` (a missing value passes only `exists: false` and
        `not_equals`)."""
        value = lookup(self.at, document)
        if "exists" in self.model_fields_set:
            return found(value) is self.exists
        if "not_equals" in self.model_fields_set:
            return not found(value) or bool(value != self.not_equals)
        if not found(value):
            return False
        if "equals" in self.model_fields_set:
            return bool(value == self.equals)
        if "one_of" in self.model_fields_set:
            return value in (self.one_of or [])
        if isinstance(value, str):
            return isinstance(self.contains, str) and self.contains in value
        return isinstance(value, list) and self.contains in value
