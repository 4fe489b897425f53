"""The chaos test's adapter: registers a dossier at the effects mock, failures mapped to the taxonomy."""

from __future__ import annotations

import httpx
from pydantic import JsonValue

from bus.envelope import Envelope
from bus.errors import BadRequest, ProviderError, ProviderRejected, ProviderTimeout, ProviderUnavailable


class RegisterAdapter:
    """POSTs the envelope's dossier to `{base_url}/register`."""

    def __init__(self, base_url: str, timeout: float) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def start(self) -> None:
        """Nothing to open: the client connects lazily."""

    async def close(self) -> None:
        """Release the connection pool."""
        await self.client.aclose()

    async def handle(self, request: Envelope) -> JsonValue:
        """Register the dossier named in the payload."""
        if not isinstance(request.payload, dict) or not isinstance(request.payload.get("dossier"), str):
            raise BadRequest("payload needs a dossier")
        try:
            response = await self.client.post("/register", json={"dossier": request.payload["dossier"]})
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"registry timed out: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailable(f"registry unreachable: {type(exc).__name__}") from exc
        if response.status_code in (429, 503):
            raise ProviderUnavailable(f"registry said {response.status_code}")
        if response.status_code >= 500:
            raise ProviderError(f"registry said {response.status_code}")
        if response.status_code >= 400:
            raise ProviderRejected(f"registry refused: {response.status_code}")
        answer: JsonValue = response.json()
        return answer
