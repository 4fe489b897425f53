"""Reading a mock's JSON request body into its model: bounded in size, bad fields named for the caller.

Each mock answers a bad body in its own dialect, so the caller passes how to build that refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

Message = TypeVar("Message", bound=BaseModel)

_PROBLEMS_SHOWN = 5


def describe_problems(exc: ValidationError) -> str:
    """The first few bad fields, by name, for the caller."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:_PROBLEMS_SHOWN]
    )


async def read_body(
    request: Request, model: type[Message], *, max_bytes: int, refuse: Callable[[str], Exception]
) -> Message:
    """The body as `model`; `refuse(reason)` is raised when it is too large or does not fit."""
    body = await request.body()
    if len(body) > max_bytes:
        raise refuse(f"body larger than {max_bytes} bytes")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise refuse(describe_problems(exc)) from None
