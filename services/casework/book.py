"""Cases by the caller's dossier code: the same request again is a replay answered with the first case,
the same code with different content a conflict; bounded (the oldest are forgotten first)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from services.casework.timeline import Step

W = TypeVar("W")


class CaseConflict(Exception):
    """A dossier code already used for a request with different content."""


class CaseUnknown(LookupError):
    """No case with this dossier code (never received, or forgotten)."""


@dataclass
class Case(Generic[W]):
    """One request an agency works on: what was asked, its own id, its steps and its appointment."""

    code: str
    system_id: str
    wire: W
    received_at: float
    due: datetime
    steps: tuple[Step, ...]
    result: dict[str, Any] = field(default_factory=dict)

    def reached(self, now: float) -> list[Step]:
        """The steps passed by simulated time `now` (reception at least)."""
        return [step for step in self.steps if step.at <= now] or [self.steps[0]]

    def status_at(self, now: float) -> Step:
        """The latest step passed by `now`."""
        return self.reached(now)[-1]

    def finished(self, now: float) -> bool:
        """Whether the final step has been reached by `now`."""
        return self.steps[-1].at <= now


class CaseBook(Generic[W]):
    """Cases by dossier code, with the fingerprint of the request that opened each."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._cases: OrderedDict[str, tuple[str, Case[W]]] = OrderedDict()
        self._opened = 0

    def __len__(self) -> int:
        return len(self._cases)

    def __iter__(self) -> Iterator[Case[W]]:
        return (case for _, case in list(self._cases.values()))

    def next_serial(self) -> int:
        """The serial the next opened case gets (1, 2, …)."""
        return self._opened + 1

    def receive(self, code: str, fingerprint: str, open_case: Callable[[], Case[W]]) -> tuple[Case[W], bool]:
        """The case for `code`: the existing one (replayed=True) or a new one from `open_case`.

        CaseConflict when the code was used with another fingerprint; `open_case` may raise to refuse,
        which changes nothing.
        """
        known = self._cases.get(code)
        if known is not None:
            if known[0] != fingerprint:
                raise CaseConflict(
                    f"dossier code {code!r} was already used ({known[1].system_id}) for a different request"
                )
            return known[1], True
        case = open_case()
        self._opened += 1
        self._cases[code] = (fingerprint, case)
        while len(self._cases) > self.capacity:
            self._cases.popitem(last=False)
        return case, False

    def get(self, code: str) -> Case[W]:
        """The case for `code`; CaseUnknown otherwise."""
        known = self._cases.get(code)
        if known is None:
            raise CaseUnknown(f"no dossier with code {code!r}")
        return known[1]
