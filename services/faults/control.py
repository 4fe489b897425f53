"""The runtime control API of a mock (`/_control/faults`, `/_control/health`) and `install_faults`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.faults.injector import FaultInjector
from services.faults.middleware import FaultMiddleware
from services.faults.profile import FaultProfile, FaultState


def install_faults(app: FastAPI, name: str, defaults: FaultProfile | None = None) -> FaultInjector:
    """Add fault injection and its control routes to `app`; the injector is also kept on app.state.faults.

    Call it while building the app, before it serves its first request (Starlette freezes middleware then).
    """
    injector = FaultInjector(name, defaults)
    app.add_middleware(FaultMiddleware, injector=injector)
    app.include_router(control_router(injector))
    app.state.faults = injector
    return injector


def control_router(injector: FaultInjector) -> APIRouter:
    """The `/_control` routes that read and change `injector`."""
    router = APIRouter(prefix="/_control", tags=["fault injection"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        """Liveness of the mock, answered even during a simulated outage."""
        return {"status": "ok", "name": injector.name}

    @router.get("/faults", response_model=FaultState)
    async def show_faults() -> FaultState:
        """The profile in force and what was injected since the last reset."""
        return state_of(injector)

    @router.put("/faults", response_model=FaultState)
    async def replace_faults(request: Request) -> FaultState | JSONResponse:
        """Replace the whole profile (fields left out take their defaults, not the current values)."""
        try:
            profile = FaultProfile.model_validate_json(await request.body())
        except ValidationError as exc:
            return invalid(exc)
        injector.set_profile(profile)
        return state_of(injector)

    @router.patch("/faults", response_model=FaultState)
    async def patch_faults(request: Request) -> FaultState | JSONResponse:
        """Change only the given fields of the profile."""
        try:
            changes: Any = json.loads(await request.body())
        except ValueError as exc:
            return JSONResponse({"detail": f"body is not JSON: {exc}"}, status_code=422)
        if not isinstance(changes, dict):
            return JSONResponse({"detail": "body must be a JSON object of profile fields"}, status_code=422)
        try:
            injector.patch(changes)
        except ValidationError as exc:
            return invalid(exc)
        return state_of(injector)

    @router.post("/faults/reset", response_model=FaultState)
    async def reset_faults() -> FaultState:
        """Back to the mock's default profile, re-seeded, counters at zero."""
        injector.reset()
        return state_of(injector)

    return router


def state_of(injector: FaultInjector) -> FaultState:
    """The control API's view of `injector`."""
    return FaultState(name=injector.name, profile=injector.profile, stats=injector.stats())


def invalid(exc: ValidationError) -> JSONResponse:
    """A 422 naming each bad field, in FastAPI's own error shape."""
    return JSONResponse({"detail": json.loads(exc.json(include_url=False))}, status_code=422)
