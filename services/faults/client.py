"""An async client for a mock's fault control API, for tests, demos and load-test scripts."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx

from services.faults.profile import FaultProfile, FaultState


class FaultControlError(RuntimeError):
    """The control API refused a change (422) or answered something unexpected."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"fault control answered {status}: {detail}")
        self.status = status
        self.detail = detail


class FaultControlClient:
    """Reads and changes the fault profile of the mock at `base_url` (e.g. http://127.0.0.1:8101)."""

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def get(self) -> FaultState:
        """The profile in force and the injection counters."""
        return parse_state(await self._http.get("/_control/faults"))

    async def set(self, profile: FaultProfile) -> FaultState:
        """Replace the whole profile."""
        return parse_state(await self._http.put("/_control/faults", content=profile.model_dump_json()))

    async def patch(self, changes: dict[str, Any]) -> FaultState:
        """Change only the given fields, e.g. `{"error_rate": 0.1}`."""
        return parse_state(await self._http.patch("/_control/faults", json=changes))

    async def reset(self) -> FaultState:
        """Back to the mock's defaults, re-seeded, counters at zero."""
        return parse_state(await self._http.post("/_control/faults/reset"))

    async def aclose(self) -> None:
        """Close the underlying HTTP connections."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def parse_state(response: httpx.Response) -> FaultState:
    """The FaultState in a control API answer, or FaultControlError with the server's reason."""
    if response.status_code != 200:
        try:
            detail: Any = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise FaultControlError(response.status_code, detail)
    return FaultState.model_validate_json(response.content)
