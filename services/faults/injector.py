"""The fault injector: decides, per request, which faults of the current profile hit it, and applies them."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.faults.profile import FaultProfile
from services.faults.rate_limit import TokenBucket
from services.faults.responses import Headers, garble, json_error, replace_content_length, soap_fault

STAT_KINDS = (
    "requests",
    "outage",
    "rate_limited",
    "hang",
    "hang_abandoned",
    "error",
    "delayed",
    "malformed",
    "passed",
    "lost_callback",
)


@dataclass(frozen=True)
class FaultPlan:
    """The faults chosen for one request, in the order they are applied."""

    profile: FaultProfile
    outage: bool
    retry_after: float  # 0.0 when the rate limit lets the request through
    hang: bool
    error: bool
    delay_ms: float
    malformed_u: float | None  # where to cut the body when it is to be garbled, else None


class FaultInjector:
    """Holds a mock's current fault profile, a seeded random source and counters of what it injected."""

    def __init__(
        self,
        name: str = "mock",
        defaults: FaultProfile | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.defaults = defaults or FaultProfile()
        self._clock = clock
        self._stats = dict.fromkeys(STAT_KINDS, 0)
        self.set_profile(self.defaults)

    @property
    def profile(self) -> FaultProfile:
        """The profile in force."""
        return self._profile

    def set_profile(self, profile: FaultProfile) -> None:
        """Replace the profile and re-seed, so the same requests meet the same faults again."""
        self._profile = profile
        self._random = random.Random(profile.seed)
        self._callback_random = random.Random(f"callbacks:{profile.seed}")
        rate = profile.rate_limit_per_second
        self._bucket = TokenBucket(rate, self._clock) if rate is not None else None

    def patch(self, changes: dict[str, Any]) -> FaultProfile:
        """Merge `changes` into the profile and return it; invalid changes raise and change nothing.

        A `latency` dict naming a `kind` replaces the latency; one without merges into it (e.g. max_ms only).
        """
        merged: dict[str, Any] = {**self._profile.model_dump(), **changes}
        latency = changes.get("latency")
        if isinstance(latency, dict) and "kind" not in latency:
            merged["latency"] = {**self._profile.latency.model_dump(), **latency}
        profile = FaultProfile.model_validate(merged)
        self.set_profile(profile)
        return profile

    def reset(self) -> None:
        """Back to the defaults, re-seeded, with the counters at zero."""
        self._stats = dict.fromkeys(STAT_KINDS, 0)
        self.set_profile(self.defaults)

    def stats(self) -> dict[str, int]:
        """How many requests met each kind of fault since the last reset."""
        return dict(self._stats)

    def should_lose_callback(self) -> bool:
        """Whether the callback about to be sent should silently never arrive (its own seeded stream)."""
        lost = self._callback_random.random() < self._profile.lost_callback_rate
        if lost:
            self._stats["lost_callback"] += 1
        return lost

    def plan(self) -> FaultPlan:
        """Choose the faults for the next request; exactly four draws each, so the sequence is repeatable."""
        profile = self._profile
        u_hang, u_error, u_latency, u_malformed = (self._random.random() for _ in range(4))
        retry_after = 0.0
        if not profile.outage and self._bucket is not None:
            retry_after = self._bucket.take()
        malformed = u_malformed < profile.malformed_rate
        return FaultPlan(
            profile=profile,
            outage=profile.outage,
            retry_after=retry_after,
            hang=u_hang < profile.timeout_rate,
            error=u_error < profile.error_rate,
            delay_ms=profile.latency.delay_ms(u_latency),
            malformed_u=u_malformed / profile.malformed_rate if malformed else None,
        )

    async def apply(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request through `app` with the faults of a fresh plan."""
        plan = self.plan()
        self._stats["requests"] += 1
        if plan.outage:
            self._stats["outage"] += 1
            message = f"{self.name} is unavailable: simulated outage (fault injection)"
            return await _respond(send, json_error(503, "outage", message))
        if plan.retry_after > 0:
            self._stats["rate_limited"] += 1
            limit = plan.profile.rate_limit_per_second
            retry = str(max(1, math.ceil(plan.retry_after))).encode()
            message = f"{self.name}: more than {limit} requests/s"
            return await _respond(send, json_error(429, "rate_limited", message, [(b"retry-after", retry)]))
        if plan.hang:
            return await self._hang(plan.profile.hang_seconds, receive, send)
        if plan.error:
            self._stats["error"] += 1
            message = f"{self.name}: simulated failure (fault injection)"
            if plan.profile.soap_fault:
                return await _respond(send, soap_fault("error", message))
            return await _respond(send, json_error(plan.profile.error_status, "error", message))
        if plan.delay_ms > 0:
            self._stats["delayed"] += 1
            await asyncio.sleep(plan.delay_ms / 1000)
        self._stats["passed"] += 1
        if plan.malformed_u is None:
            return await app(scope, receive, send)
        await app(scope, receive, _GarblingSend(send, plan.malformed_u, self._count_malformed))

    def _count_malformed(self) -> None:
        self._stats["malformed"] += 1

    async def _hang(self, seconds: float, receive: Receive, send: Send) -> None:
        """Answer nothing for `seconds` (then 504), or stop as soon as the client goes away."""
        self._stats["hang"] += 1
        waiter = asyncio.ensure_future(_client_gone(receive))
        try:
            done, _ = await asyncio.wait({waiter}, timeout=seconds)
        finally:
            waiter.cancel()
        if done:
            self._stats["hang_abandoned"] += 1
            return
        message = f"{self.name}: no answer within {seconds} s (simulated hang)"
        await _respond(send, json_error(504, "hang", message))


class _GarblingSend:
    """Wraps `send`: buffers a 2xx response and sends it garbled, keeping status and content-type."""

    def __init__(self, send: Send, u: float, on_garbled: Callable[[], None]) -> None:
        self._send = send
        self._u = u
        self._on_garbled = on_garbled
        self._start: Message | None = None
        self._body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            return await self._send(message)
        self._body += message.get("body", b"")
        if message.get("more_body", False):
            return
        body = garble(bytes(self._body), self._u)
        headers: Headers = replace_content_length(list(self._start.get("headers", [])), len(body))
        headers.append((b"x-fault-injected", b"malformed"))
        self._on_garbled()
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


async def _client_gone(receive: Receive) -> None:
    """Return when the client disconnects (the request body, if any, is read and dropped)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _respond(send: Send, answer: tuple[int, Headers, bytes]) -> None:
    status, headers, body = answer
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
