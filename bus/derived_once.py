"""Frozen models whose derived values are worked out once per instance (`functools.cached_property`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, cached_property
from typing import Any, Self

from pydantic import BaseModel


class DerivedOnce(BaseModel):
    """A model whose `cached_property` values are worked out once per instance, and again for a copy:
    pydantic's `model_copy` copies the instance's `__dict__`, where those values live, so a copy with
    other field values would keep the original's."""

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """pydantic's copy, without the values derived from the original's fields."""
        copied = super().model_copy(update=update, deep=deep)
        for name in _cached_properties(type(self)):
            copied.__dict__.pop(name, None)
        return copied


@cache
def _cached_properties(model: type) -> tuple[str, ...]:
    """The names of `model`'s cached properties, its bases' included."""
    return tuple(
        name
        for klass in model.__mro__
        for name, value in vars(klass).items()
        if isinstance(value, cached_property)
    )
