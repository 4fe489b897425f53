"""Models made from values the bus itself produced, already of each field's type, without validating them.

Validation checks every field again (a log entry of a validated record: ≈ 25k of its 93k instructions
under callgrind); `model_construct` skips the checks but walks the fields in Python, which costs more.
`builder(Model)` makes instances as pydantic's validator would leave them (the same field values, the
fields given counted as set, no extras, no private attributes), for values that are already right: tests
hold each model built this way equal to the validated one. It pays only where validation does much per
field (nested models, many fields): a small model's validation in pydantic-core costs about what these
few Python steps do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_set = object.__setattr__


def builder(model: type[M]) -> Callable[[dict[str, Any], Collection[str] | None], M]:
    """What makes a `model` from every field's value (`fields_set`: the fields counted as given, default
    all); refused for a model whose validation does more than check types (post-init, private attributes,
    extras kept, a root model)."""
    if (
        model.__pydantic_post_init__
        or model.__private_attributes__
        or model.__pydantic_root_model__
        or model.model_config.get("extra") == "allow"
    ):
        raise TypeError(f"{model.__name__} is not built from its field values alone")
    new = model.__new__

    def build(values: dict[str, Any], fields_set: Collection[str] | None = None) -> M:
        instance = new(model)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", set(values if fields_set is None else fields_set))
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    return build
