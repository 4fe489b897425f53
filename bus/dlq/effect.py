"""Whether a dead letter's work had its effect at the provider, as far as the bus can know.

    happened   the provider answered the work successfully (the worker's completed-work record says so),
               and only the delivery of the answer failed: do not replay it blindly
    none       no attempt can have reached the provider: every failure was one the bus knows happened
               before any call (breaker open, bus or store unavailable, no route, unparseable, refused)
    unknown    some attempt may have acted (a time-out, a provider error, a connection dropped after
               sending): check with the provider before replaying

The worker marks a retried message once an attempt failed in a way that may have had an effect, so the
verdict covers every attempt, not only the last; letters the broker dead-lettered itself (delivery limit)
carry no verdict and are judged from the completed-work record when inspected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from bus.errors import (
    AccessDenied,
    BadRequest,
    BusUnavailable,
    CircuitOpen,
    NoRoute,
    Overloaded,
    PayloadTooLarge,
    RateLimited,
    Unauthenticated,
    UnknownService,
)
from bus.transport.base import HeaderValue

Effect = Literal["happened", "none", "unknown"]
EFFECTS: tuple[Effect, ...] = ("happened", "none", "unknown")

EFFECT_HEADER = "x-lgsp-effect"
# On a retried message: an earlier attempt may have had an effect.
MAYBE_EFFECTED_HEADER = "x-lgsp-maybe-effected"

# Failures that happen before the provider is called, so that attempt certainly had no effect.
BEFORE_ANY_CALL = frozenset(
    error.type
    for error in (
        CircuitOpen,
        BusUnavailable,
        Overloaded,
        NoRoute,
        BadRequest,
        Unauthenticated,
        AccessDenied,
        UnknownService,
        PayloadTooLarge,
        RateLimited,
    )
)


def attempt_may_have_acted(error_type: str) -> bool:
    """Whether an attempt that failed with `error_type` may still have had its effect."""
    return error_type not in BEFORE_ANY_CALL


def mark_attempt(headers: dict[str, HeaderValue], error_type: str) -> None:
    """Note on a message being retried that this attempt may have had an effect (kept on later ones)."""
    if attempt_may_have_acted(error_type):
        headers[MAYBE_EFFECTED_HEADER] = True


def effect_of_failure(headers: Mapping[str, HeaderValue], error_type: str) -> Effect:
    """The verdict for work dead-lettered after failing with `error_type`, its earlier attempts marked
    in `headers`: none only when no attempt can have acted."""
    earlier = headers.get(MAYBE_EFFECTED_HEADER) is True
    return "unknown" if earlier or attempt_may_have_acted(error_type) else "none"


def effect_from_header(value: HeaderValue | None) -> Effect | None:
    """The verdict a letter carries, None when it carries none (dead-lettered by the broker)."""
    for verdict in EFFECTS:
        if value == verdict:
            return verdict
    return None
