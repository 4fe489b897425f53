"""A cheap closed-loop HTTP/1.1 load generator, run as its own process so its CPU is not the bus's.

Plain asyncio streams and one pre-built request (no client library), `concurrency` keep-alive
connections each sending the next request when the last answer is read. Prints a GeneratorResult as JSON.

    python -m loadtests.bench.generator SPEC_JSON
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import urlparse

from pydantic import BaseModel, Field


class GeneratorSpec(BaseModel):
    """What to send, how hard, and for how long (after a warm-up that is not counted)."""

    url: str
    body: str = ""
    content_type: str = "application/json"
    headers: dict[str, str] = Field(default_factory=dict)
    concurrency: int = Field(16, ge=1, le=1024)
    seconds: float = Field(5.0, gt=0, le=600)
    warmup: float = Field(1.0, ge=0, le=60)
    timeout: float = Field(10.0, gt=0)


class GeneratorResult(BaseModel):
    """Counted requests, failures (non-2xx or broken), the window, and latency percentiles (ms)."""

    requests: int
    failures: int
    seconds: float
    tx_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    first_failure: str | None = None


def _request_bytes(spec: GeneratorSpec) -> tuple[str, int, bytes]:
    parts = urlparse(spec.url)
    body = spec.body.encode()
    head = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.hostname}:{parts.port}",
        f"Content-Type: {spec.content_type}",
        f"Content-Length: {len(body)}",
        *(f"{k}: {v}" for k, v in spec.headers.items()),
    ]
    return parts.hostname or "127.0.0.1", parts.port or 80, ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def run(spec: GeneratorSpec) -> GeneratorResult:
    """Drive the URL for warm-up + seconds; count only answers that complete inside the window."""
    host, port, request = _request_bytes(spec)
    start = time.monotonic() + spec.warmup
    stop = start + spec.seconds
    latencies: list[float] = []
    failures = 0
    first_failure: list[str] = []

    async def connection() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (now := time.monotonic()) < stop:
                writer.write(request)
                try:
                    status, body = await asyncio.wait_for(_read_response(reader), spec.timeout)
                except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
                    failures += 1
                    first_failure.append(repr(exc))
                    return
                done = time.monotonic()
                if start <= now and done <= stop:
                    latencies.append(done - now)
                    if not 200 <= status < 300:
                        failures += 1
                        if not first_failure:
                            first_failure.append(f"HTTP {status}: {body[:200]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(spec.concurrency)))
    latencies.sort()

    def pct(q: float) -> float:
        return (
            round(1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3) if latencies else 0.0
        )

    return GeneratorResult(
        requests=len(latencies),
        failures=failures,
        seconds=spec.seconds,
        tx_s=round(len(latencies) / spec.seconds, 1),
        p50_ms=pct(0.50),
        p90_ms=pct(0.90),
        p99_ms=pct(0.99),
        first_failure=first_failure[0] if first_failure else None,
    )


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # the generator works without it, a little dearer
        pass
    result = asyncio.run(run(GeneratorSpec.model_validate_json(sys.argv[1])))
    sys.stdout.write(result.model_dump_json() + "\n")
