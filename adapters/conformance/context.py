"""What every check works with: the adapter, its profile, the running provider, and bounded calls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from adapters.conformance.profile import ConformanceProfile, Sample
from adapters.conformance.provider import RunningProvider
from adapters.conformance.wire import AnswerNotJson, answer_on_the_wire
from adapters.sdk import ServiceSpec, ServiceTable
from bus.adapter import Adapter
from bus.envelope import Envelope, new_id
from bus.identifiers import ServiceId

CLIENT = "VN/GOV/HPG/LGSP-CONFORMANCE"
# The frame every adapter call runs under: a loop stall with it on the stack is the adapter's doing.
ADAPTER_CALL_FRAME = "_run_adapter"
# How long an abandoned call is given to finish cancelling before the kit walks away from it.
_CANCEL_GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class CallLimits:
    """How long the kit waits: each envelope's deadline, and the grace after it before a call is
    abandoned as hung (an adapter that ignores deadlines, or never answers)."""

    deadline_seconds: float = 10.0
    grace_seconds: float = 5.0


@dataclass
class Outcome:
    """What one call to the adapter gave: an answer (as the caller receives it), or what it raised,
    or nothing within `bound` seconds (abandoned), and how long it took."""

    answer: JsonValue = None
    error: BaseException | None = None
    seconds: float = 0.0
    abandoned: bool = False
    deadline: float = 0.0  # the envelope's seconds left when the call began
    bound: float = 0.0  # the deadline plus the kit's grace: when the call is abandoned

    def describe(self) -> str:
        """Short text for a report line."""
        if self.abandoned:
            grace = self.bound - self.deadline
            return (
                f"hung: no answer within {self.bound:.1f} s (its {self.deadline:.1f} s deadline"
                f" + the kit's {grace:.1f} s grace), abandoned"
            )
        if isinstance(self.error, asyncio.CancelledError):
            return "the adapter cancelled its own call (CancelledError), so it never answered"
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"[:600]
        return "answered"


@dataclass
class CheckContext:
    """Shared by the checks of one run."""

    adapter: Adapter
    profile: ConformanceProfile
    provider: RunningProvider | None
    faults: bool = False
    limits: CallLimits = field(default_factory=CallLimits)
    error_messages: list[str] = field(default_factory=list)
    answers: int = 0  # answers that made the trip through the worker's serialisation
    not_json: list[str] = field(default_factory=list)  # why the others did not, one line each

    @property
    def first_sample(self) -> Sample | None:
        """The sample reused by checks that need just one request."""
        return self.profile.samples[0] if self.profile.samples else None

    def declared_specs(self) -> list[ServiceSpec[Any, Any]]:
        """The services the adapter declares in an SDK `ServiceTable` (empty when it declares none)."""
        services = getattr(self.adapter, "services", None)
        return list(services) if isinstance(services, ServiceTable) else []

    def spec_for(self, sample: Sample) -> ServiceSpec[Any, Any] | None:
        """The declared spec serving `sample`'s service, if the adapter declares services."""
        service = ServiceId.parse(sample.service)
        for spec in self.declared_specs():
            if (spec.service_code, spec.version) == (service.service_code, service.version):
                return spec
        return None

    def envelope(
        self, sample: Sample, *, deadline: float | None = None, payload: JsonValue = None
    ) -> Envelope:
        """A fresh envelope for `sample` (own transaction id, own dossier number); the deadline
        defaults to the run's `limits.deadline_seconds`."""
        envelope = Envelope(
            client=CLIENT,
            service=sample.service,
            method=sample.method,
            path=sample.path,
            user_id=sample.user_id,
            issue=f"HS-{new_id()[:20]}",
            payload=sample.payload if payload is None else payload,
        )
        return envelope.with_deadline(self.limits.deadline_seconds if deadline is None else deadline)

    async def call(self, envelope: Envelope) -> Outcome:
        """Run `adapter.handle` in its own task, abandoned `grace_seconds` after its deadline; what it
        raises becomes the outcome, and its answer goes through the worker's serialisation."""
        if self.provider is not None:
            self.provider.forget_calls()
        deadline = envelope.seconds_left()
        bound = deadline + self.limits.grace_seconds
        started = time.monotonic()
        # Its own task, so a call that swallows its cancellation is still walked away from.
        task = asyncio.ensure_future(self._run_adapter(envelope))
        try:
            done, _ = await asyncio.wait({task}, timeout=bound)
        except asyncio.CancelledError:
            task.cancel()
            raise
        seconds = time.monotonic() - started
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=_CANCEL_GRACE_SECONDS)
            task.add_done_callback(_retrieve)
            return Outcome(seconds=seconds, abandoned=True, deadline=deadline, bound=bound)
        if task.cancelled():
            return Outcome(error=asyncio.CancelledError(), seconds=seconds, deadline=deadline, bound=bound)
        error = task.exception()
        if error is not None:  # the kit reports whatever an adapter raises
            self.error_messages.append(str(error))
            return Outcome(error=error, seconds=seconds, deadline=deadline, bound=bound)
        try:
            answer = answer_on_the_wire(envelope, task.result())
        except AnswerNotJson as flaw:
            self.not_json.append(f"{envelope.service}: {flaw}")
            return Outcome(error=flaw, seconds=seconds, deadline=deadline, bound=bound)
        self.answers += 1
        return Outcome(answer=answer, seconds=seconds, deadline=deadline, bound=bound)

    async def _run_adapter(self, envelope: Envelope) -> object:
        return await self.adapter.handle(envelope)


def _retrieve(task: asyncio.Future[object]) -> None:
    # An abandoned call's late failure is of no interest; retrieving it keeps asyncio from logging it.
    if not task.cancelled():
        task.exception()


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
