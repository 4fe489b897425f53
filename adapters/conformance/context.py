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
from adapters.sdk import ServiceSpec, ServiceTable
from bus.adapter import Adapter
from bus.envelope import Envelope, new_id
from bus.identifiers import ServiceId

CLIENT = "VN/GOV/HPG/LGSP-CONFORMANCE"
# A call that outlives its deadline by this much is abandoned: the adapter ignores deadlines.
ABANDON_AFTER_SECONDS = 5.0


@dataclass
class Outcome:
    """What one call to the adapter gave: an answer, or what it raised, and how long it took."""

    answer: JsonValue = None
    error: BaseException | None = None
    seconds: float = 0.0
    abandoned: bool = False

    def describe(self) -> str:
        """Short text for a report line."""
        if self.abandoned:
            return f"no answer after {self.seconds:.2f}s (abandoned)"
        if self.error is not None:
            return f"{type(self.error).__name__}: {self.error}"[:300]
        return "answered"


@dataclass
class CheckContext:
    """Shared by the checks of one run."""

    adapter: Adapter
    profile: ConformanceProfile
    provider: RunningProvider | None
    faults: bool = False
    error_messages: list[str] = field(default_factory=list)

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

    def envelope(self, sample: Sample, *, deadline: float = 10.0, payload: JsonValue = None) -> Envelope:
        """A fresh envelope for `sample` (own transaction id, own dossier number)."""
        envelope = Envelope(
            client=CLIENT,
            service=sample.service,
            method=sample.method,
            path=sample.path,
            user_id=sample.user_id,
            issue=f"HS-{new_id()[:20]}",
            payload=sample.payload if payload is None else payload,
        )
        return envelope.with_deadline(deadline)

    async def call(self, envelope: Envelope) -> Outcome:
        """Run `adapter.handle`, abandoning it well after its deadline; exceptions become the outcome."""
        if self.provider is not None:
            self.provider.forget_calls()
        bound = envelope.seconds_left() + ABANDON_AFTER_SECONDS
        started = time.monotonic()
        try:
            async with asyncio.timeout(bound):
                answer = await self.adapter.handle(envelope)
        except TimeoutError:
            return Outcome(seconds=time.monotonic() - started, abandoned=True)
        except Exception as exc:  # the kit reports whatever an adapter raises
            self.error_messages.append(str(exc))
            return Outcome(error=exc, seconds=time.monotonic() - started)
        return Outcome(answer=answer, seconds=time.monotonic() - started)


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
