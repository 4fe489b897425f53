"""The echo adapter: answers with what it was sent. For smoke tests and for measuring the bus alone."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue

from bus.envelope import Envelope


class EchoAdapter:
    """Returns the request's payload, path and query; `delay` (seconds) simulates provider work."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.delay = float(config.get("delay", 0.0))

    async def handle(self, request: Envelope) -> JsonValue:
        """Echo the request back."""
        if self.delay:
            await asyncio.sleep(self.delay)
        return {
            "echo": request.payload,
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "attempt": request.attempt,
        }
