"""`/journeys`: start a journey and follow it over HTTP, with the same credentials as `/r1`.

A journey started here acts as the calling client, so each of its steps needs that client's rights,
exactly as if it made the calls itself; a client the definition names among its `submitters` (the
National Public Service Portal handing a citizen's dossier to the province) starts one that acts as the
definition's client instead. A client sees only the journeys it acts in or submitted (another's
answers 404).

    POST /journeys/{kind}   {"dossier_code": "...", "inputs": {...}}  → 202, Location: /journeys/{id}
                            (the same request again: the same journey, 202 and the same Location)
Bad starts change nothing and are answered with the taxonomy's {type, message, detail}:
    404 Client.UnknownJourneyKind   no such kind
    400 Client.BadRequest           malformed body or inputs (a required input missing, an ID number
                                    that is not 12 digits, …)
    422 Client.IneligibleRequest    well-formed, but the procedure does not allow it
    409 Client.DossierConflict      the dossier code belongs to another journey (kind, client or inputs)
    GET  /journeys/{id}     the journey: state, each step with system, status, transactions, deadline, verdict
    GET  /journeys          ?kind=&state=&late=&limit=  the caller's journeys, newest first
    GET  /journeys/feeds/{kind}/refused   ?limit=  the entries of the feed that starts `kind` no journey
                            was started for, each with its reason and feed position, newest first (the
                            definition's client only; another answers 404 as for an unknown kind)
    POST /journeys/{id}/resume   {"reason": "..."}, the admin credential (X-Admin-Key) → 200 the journey,
                            running again: the step that parked it is tried afresh; the action is kept
                            in the journey's interventions under the admin key's identity, with the reason
                            401/403 no or a wrong admin key (none configured: 403); 400 no reason;
                            404 no such journey; 409 Client.JourneyNotParked (not parked),
                            Client.JourneyBusy (held: its last calls settling, or another resume),
                            Client.JourneyNotResumable (a step that cannot be tried again)
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, ValidationError

from bus.admin.credential import AdminCredential
from bus.errors import BadRequest, ClientError
from bus.flows.feed_refusals import FeedRefusals
from bus.flows.journey_resume import NotResumable
from bus.flows.journey_state import JourneyStatus
from bus.flows.journeys import (
    MAX_REASON,
    DossierCodeInUse,
    IneligibleStart,
    InvalidAction,
    InvalidStart,
    JourneyBusy,
    JourneyNotParked,
    Journeys,
    UnknownJourney,
    UnknownKind,
)
from bus.gateway.access import AccessControl
from bus.gateway.limits import InputLimits, check_json_depth
from bus.gateway.requests import read_body

log = logging.getLogger(__name__)


class UnknownJourneyKind(ClientError):
    """No journey of that kind is defined."""

    type = "Client.UnknownJourneyKind"
    status = 404


class UnknownJourneyId(ClientError):
    """No such journey for this client (never started, or another client's)."""

    type = "Client.UnknownJourney"
    status = 404


class DossierConflict(ClientError):
    """The dossier code already belongs to another journey (of another kind, client or inputs)."""

    type = "Client.DossierConflict"
    status = 409


class IneligibleRequest(ClientError):
    """A well-formed request the procedure does not allow (e.g. a child's health-insurance card past 6)."""

    type = "Client.IneligibleRequest"
    status = 422


class NotParked(ClientError):
    """Only a parked journey is resumed."""

    type = "Client.JourneyNotParked"
    status = 409


class Busy(ClientError):
    """The journey is held just now (a run settling its calls, or another operator's resume)."""

    type = "Client.JourneyBusy"
    status = 409


class CannotResume(ClientError):
    """A step of the parked journey cannot be tried again."""

    type = "Client.JourneyNotResumable"
    status = 409


class ResumeRequest(BaseModel):
    """The body of `POST /journeys/{id}/resume`: why the operator resumes it."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON, pattern=r"\S", description="what was fixed")


class JourneyStart(BaseModel):
    """The body of `POST /journeys/{kind}`."""

    model_config = ConfigDict(extra="forbid")

    dossier_code: str = Field(min_length=1, max_length=100, description="maHoSo: one journey per code")
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    received_at: AwareDatetime | None = Field(
        None, description="when the dossier was received (default: now)"
    )


def journeys_router(
    journeys: Journeys,
    access: AccessControl,
    refusals: FeedRefusals,
    *,
    admin: AdminCredential | None = None,
    max_body_bytes: int = 1_048_576,
) -> APIRouter:
    """The `/journeys` routes over `journeys` and the feed entries `refusals` keeps, authenticating
    callers with `access`, operators with `admin` (None: no operator action is allowed, 403)."""
    router = APIRouter(tags=["journeys"])
    limits = InputLimits()
    operator = AdminCredential(()) if admin is None else admin

    @router.post("/journeys/{journey_id}/resume")
    async def resume_journey(journey_id: str, request: Request) -> JSONResponse:
        """Resume a parked journey (admin): its failed step is tried again, the reason recorded."""
        by = await operator(request)
        body = await read_body(request, request.headers, max_body_bytes)
        try:
            wanted = ResumeRequest.model_validate_json(body or b"{}")
        except ValidationError as invalid:
            raise BadRequest(f"resume: {invalid.errors(include_url=False)}") from None
        try:
            record = await journeys.resume(journey_id, by=by, reason=wanted.reason)
        except UnknownJourney as error:
            raise UnknownJourneyId(str(error)) from None
        except JourneyNotParked as error:
            raise NotParked(str(error)) from None
        except JourneyBusy as error:
            raise Busy(str(error)) from None
        except NotResumable as error:
            raise CannotResume(str(error)) from None
        except InvalidAction as error:
            raise BadRequest(str(error)) from None
        log.info(
            "journey %s resumed by %s: %s", journey_id, by, wanted.reason[:200],
            extra={"event": "journey_resumed"},
        )  # fmt: skip
        return JSONResponse(record.model_dump(mode="json"))

    @router.post("/journeys/{kind}", status_code=202)
    async def start_journey(kind: str, request: Request) -> JSONResponse:
        """Start a journey of `kind` for a dossier (a repeated dossier code answers the same journey)."""
        client = await access.authenticate(request.headers)
        body = await read_body(request, request.headers, max_body_bytes)
        check_json_depth(body, limits.max_json_depth)
        try:
            start = JourneyStart.model_validate_json(body or b"{}")
        except ValidationError as invalid:
            raise BadRequest(f"journey start: {invalid.errors(include_url=False)}") from None
        try:
            record = await journeys.start(
                kind, start.inputs, start.dossier_code, client=str(client.id), received_at=start.received_at
            )
        except UnknownKind as error:
            raise UnknownJourneyKind(str(error)) from None
        except DossierCodeInUse as error:
            raise DossierConflict(str(error)) from None
        except IneligibleStart as error:
            raise IneligibleRequest(str(error)) from None
        except InvalidStart as error:
            raise BadRequest(str(error)) from None
        return JSONResponse(
            record.model_dump(mode="json"),
            status_code=202,
            headers={"location": f"/journeys/{record.journey_id}"},
        )

    @router.get("/journeys/feeds/{kind}/refused")
    async def refused_feed_entries(
        kind: str, request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> JSONResponse:
        """Entries of `kind`'s feed no journey was started for, with their reasons, newest first."""
        client = await access.authenticate(request.headers)
        definition = journeys.definitions.get(kind)
        if definition is None or definition.feed is None or str(definition.client) != str(client.id):
            raise UnknownJourneyKind(f"no journey kind {kind!r} started by a feed for client {client.id}")
        found = await refusals.newest(kind, limit)
        return JSONResponse({"refused": [refusal.model_dump(mode="json") for refusal in found]})

    @router.get("/journeys/{journey_id}")
    async def journey(journey_id: str, request: Request) -> JSONResponse:
        """The journey as it stands, with every step's transactions and verdict."""
        client = await access.authenticate(request.headers)
        found = await journeys.find_for(journey_id, str(client.id))
        if found is None:
            raise UnknownJourneyId(f"no journey {journey_id!r} for client {client.id}")
        return JSONResponse(found.model_dump(mode="json"))

    @router.get("/journeys")
    async def list_journeys(
        request: Request,
        kind: str | None = None,
        state: JourneyStatus | None = None,
        late: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> JSONResponse:
        """The caller's journeys, newest first, filtered by kind, state and lateness."""
        client = await access.authenticate(request.headers)
        found = await journeys.list(kind=kind, status=state, late=late, client=str(client.id), limit=limit)
        return JSONResponse({"journeys": [record.model_dump(mode="json") for record in found]})

    return router
