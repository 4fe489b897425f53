"""An adapter's answer as the bus carries it: through the worker's own `Reply.success` and
`reply_message` (the very calls `bus.worker` makes), then decoded from its bytes alone, as the gateway
decodes what arrives over a broker (in process it takes the reply itself, and writes its payload to the
caller as JSON: the caller receives the same).

An answer that cannot make that trip is a 500 on every real call, whatever the adapter meant; one that
arrives changed (NaN and infinities become null) is a silent data change. Either fails the kit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, cast

from pydantic import JsonValue, ValidationError
from pydantic_core import ErrorDetails, PydanticSerializationError

from bus.codec import decode_reply, reply_message
from bus.envelope import Envelope, Reply
from bus.transport.base import Message

_CONVERT = (
    "answers must be JSON values (dict with str keys, list, str, int, float, bool, None): convert it "
    "(a date or datetime → .isoformat(), bytes → base64 text, a set or tuple → a list, Decimal → str)"
)
_ERRORS_NAMED = 3


class AnswerNotJson(ValueError):
    """The adapter's answer cannot travel as the worker sends it, or arrives changed."""


def answer_on_the_wire(request: Envelope, answer: object) -> JsonValue:
    """The payload the caller receives when the worker replies `answer` to `request`.

    Raises AnswerNotJson naming the offending value (where it is and what it is) and the fix."""
    try:
        # The worker's own two steps: Reply.success(...) then reply_message(reply).
        sent = reply_message(Reply.success(request, cast(JsonValue, answer)))
    except ValidationError as exc:
        raise AnswerNotJson(_describe(exc.errors())) from exc
    except PydanticSerializationError as exc:
        raise AnswerNotJson(f"the answer cannot be encoded as JSON ({exc}); {_CONVERT}") from exc
    received = decode_reply(Message(sent.body)).payload
    if received != answer:
        change = _first_change(answer, received, "answer")
        if change is not None:
            raise AnswerNotJson(change)
    return received


def _path(loc: Sequence[int | str]) -> tuple[str, bool]:
    """'answer['a'][1]' from a JsonValue error location (after 'payload': tag, key, tag, key, ...),
    and whether the error is about a key rather than a value."""
    text, about_key = "answer", False
    steps = list(loc[1:])
    while steps:
        tag = steps.pop(0)
        if tag == "[key]":
            about_key = True
        elif steps:
            key = steps.pop(0)
            text += f"[{key!r}]" if tag == "dict" else f"[{key}]"
    return text, about_key


def _describe(errors: list[ErrorDetails]) -> str:
    named = []
    for error in errors[:_ERRORS_NAMED]:
        where, about_key = _path(error["loc"])
        kind = type(error["input"]).__name__
        if about_key:
            named.append(f"{where} has a {kind} key {error['input']!r} (JSON object keys are strings)")
        else:
            named.append(f"{where} is {kind}, not a JSON value")
    more = f" (and {len(errors) - _ERRORS_NAMED} more)" if len(errors) > _ERRORS_NAMED else ""
    return f"{'; '.join(named)}{more}: the worker cannot send it, every real call is a 500; {_CONVERT}"


def _first_change(sent: Any, received: Any, where: str) -> str | None:
    """Where `sent` and what arrived differ first, said plainly; None when they are the same."""
    if isinstance(sent, float) and not math.isfinite(sent):
        arrived = json.dumps(received)
        return f"{where} is {sent!r}, which JSON cannot carry: the caller receives {arrived} instead"
    if isinstance(sent, dict) and isinstance(received, dict) and sent.keys() == received.keys():
        for key, value in sent.items():
            found = _first_change(value, received[key], f"{where}[{key!r}]")
            if found is not None:
                return found
        return None
    if isinstance(sent, list) and isinstance(received, list) and len(sent) == len(received):
        for index, (value, arrived) in enumerate(zip(sent, received, strict=True)):
            found = _first_change(value, arrived, f"{where}[{index}]")
            if found is not None:
                return found
        return None
    if sent == received:
        return None
    return f"{where} changes on the wire: {sent!r:.60} arrives as {json.dumps(received):.60}"
