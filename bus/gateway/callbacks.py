"""`/callbacks`: the inbound routes adapters contribute for their providers' callbacks, mounted together.

Each adapter that `ReceivesCallbacks` (bus.adapter) gives a router built against its own
`InboundContext` (bus.inbound: body limit, once-only publication, trace context); this module only
mounts them under `/callbacks` and refuses two adapters claiming the same method and path, since the
second would silently never be reached. Routes are compared as their OpenAPI document lists them, so a
route hidden from it (`include_in_schema=False`) escapes the check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import APIRouter
from fastapi.openapi.utils import get_openapi

from bus.adapter import Adapter, ReceivesCallbacks
from bus.inbound import InboundContext

CALLBACKS_PREFIX = "/callbacks"
_PATH_PARAMETER = re.compile(r"\{[^}]*\}")


class CallbackRouteConflict(ValueError):
    """Two adapters declare the same callback method and path."""


def _claims(router: APIRouter) -> list[tuple[str, str]]:
    """(method, path template) pairs the router answers; parameters' names do not make paths differ."""
    schema = get_openapi(title="callbacks", version="1", routes=router.routes)
    paths: dict[str, dict[str, object]] = schema.get("paths", {})
    return [
        (method.upper(), _PATH_PARAMETER.sub("{}", path))
        for path, methods in paths.items()
        for method in methods
    ]


def callbacks_router(adapters: Mapping[str, Adapter], inbound: InboundContext) -> APIRouter:
    """Every callback route the `adapters` (by catalog name) contribute, under `/callbacks`;
    CallbackRouteConflict when two of them claim the same method and path."""
    router = APIRouter(prefix=CALLBACKS_PREFIX, tags=["callbacks"])
    owners: dict[tuple[str, str], str] = {}
    for name, adapter in sorted(adapters.items()):
        if not isinstance(adapter, ReceivesCallbacks):
            continue
        contributed = adapter.callback_router(inbound.for_adapter(name))
        for claim in _claims(contributed):
            owner = owners.setdefault(claim, name)
            if owner != name:
                method, path = claim
                raise CallbackRouteConflict(
                    f"adapters {owner!r} and {name!r} both declare {method} {CALLBACKS_PREFIX}{path}"
                )
        router.include_router(contributed)
    return router
