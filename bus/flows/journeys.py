"""Start journeys and look them up: the Python API under the HTTP and CLI interfaces.

`start` is idempotent by dossier code (maHoSo): the code is claimed first, the state written next,
the first tick published last, and a repeated start (same kind, client and inputs) answers the same
journey, finishing whatever a crashed start left undone. A journey is advanced by the `JourneyEngine`s
consuming the journey queue, so start them first (the queue is declared by its first consumer).

Inputs are checked before anything is stored: the required inputs, then the composition root's
`InputCheck` (formats, eligibility rules of the procedures the bus itself knows nothing of).

    JourneyError (ValueError)
    ├── UnknownJourney      no journey with that id
    ├── UnknownKind         no definition of that kind
    ├── InvalidStart        inputs or dossier code refused (a required input missing, …)
    │   └── IneligibleStart well-formed, but the procedure does not allow it (a child's card past 6)
    ├── DossierCodeInUse    the code belongs to another journey: another kind, client or inputs
    ├── InvalidAction       an operator's action without a reason (or who took it)
    ├── JourneyNotParked    only a parked journey is resumed
    └── JourneyBusy         a run (or another operator's resume) holds the journey just now

An operator's `resume` takes the journey's lease by compare-and-set first (of two operators resuming at
once, one wins: the other finds it held or no longer parked), then publishes the tick that carries it
on (held, the tick waits for the resume), then writes it resumed and free: a resume lost half-way
leaves it parked, the lease expiring.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date, datetime

from pydantic import JsonValue, TypeAdapter, ValidationError

from bus.envelope import new_id
from bus.flows.clock import Clock
from bus.flows.journey_book import JourneyBook, Stored
from bus.flows.journey_engine import definitions_by_kind
from bus.flows.journey_model import CallStep, JourneyDefinition, PollStep
from bus.flows.journey_paths import found, lookup
from bus.flows.journey_records import JourneyRecord, describe
from bus.flows.journey_resume import resumed
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import JourneyState, JourneyStatus, StepState
from bus.flows.journey_ticks import JourneyTick, TickPublisher
from bus.identifiers import ClientId, IdentifierError
from bus.store.base import Store
from bus.transport.base import Transport
from vn_calendar import WorkingCalendar, require_aware

MAX_DOSSIER_CODE = 100
_INPUTS: TypeAdapter[dict[str, JsonValue]] = TypeAdapter(dict[str, JsonValue])


class JourneyError(ValueError):
    """A journey request that cannot be served; nothing was changed."""


class UnknownJourney(JourneyError, LookupError):
    """No journey has that id."""


class UnknownKind(JourneyError, LookupError):
    """No journey of that kind is defined."""


class InvalidStart(JourneyError):
    """The inputs or the dossier code were refused."""


class IneligibleStart(InvalidStart):
    """Well-formed inputs that the procedure does not allow."""


class DossierCodeInUse(JourneyError):
    """The dossier code already belongs to another journey (another kind, client or inputs)."""


class InvalidAction(JourneyError):
    """An operator's action without a reason, or without who took it."""


class JourneyNotParked(JourneyError):
    """The journey is not parked: there is nothing to resume."""


class JourneyBusy(JourneyError):
    """A run, or another operator's resume, holds the journey just now."""


MAX_REASON = 1000

# Checks a journey's inputs before it starts: (kind, inputs, received at) → None, or raises
# InvalidStart / IneligibleStart. The province's rules live in the composition root (lgsp).
InputCheck = Callable[[str, dict[str, JsonValue], datetime], None]


class Journeys:
    """Start, get and list journeys kept in a Store."""

    def __init__(
        self,
        definitions: Iterable[JourneyDefinition],
        *,
        store: Store,
        transport: Transport,
        clock: Clock,
        calendar: WorkingCalendar,
        settings: JourneySettings | None = None,
        check: InputCheck | None = None,
    ) -> None:
        self.definitions = definitions_by_kind(definitions)
        self.check = check
        self.settings = JourneySettings() if settings is None else settings
        self.clock = clock
        self.calendar = calendar
        self.book = JourneyBook(
            store, prefix=self.settings.store_prefix, event_ttl=self.settings.event_retention_seconds
        )
        self.ticks = TickPublisher(
            transport, self.settings.queue, clock, recheck_seconds=self.settings.timer_recheck_seconds
        )

    async def start(
        self,
        kind: str,
        inputs: dict[str, JsonValue],
        dossier_code: str,
        *,
        client: str | None = None,
        received_at: datetime | None = None,
    ) -> JourneyRecord:
        """Start a journey of `kind` for dossier `dossier_code`, or return the one that code started. It
        acts as `client` (default: the definition's), unless `client` is one of the definition's
        submitters: then it acts as the definition's client and `client` is recorded as its submitter."""
        definition = self.definitions.get(kind)
        if definition is None:
            raise UnknownKind(f"no journey of kind {kind!r}; known: {sorted(self.definitions)}")
        self._check(definition, inputs, dossier_code, client, received_at)
        if self.check is not None:
            self.check(kind, inputs, received_at or self.clock.now())
        journey_id = await self.book.claim_dossier(dossier_code, new_id())
        stored = await self.book.load(journey_id)
        if stored is not None:
            _same_request(stored.state, kind, inputs, client, received_at)
        else:
            state = self._new_state(definition, journey_id, inputs, dossier_code, client, received_at)
            await self.book.add_to_index(journey_id)
            stored = await self.book.create(state) or await self.book.load(journey_id)
            assert stored is not None
        if stored.state.transitions == 0:  # never advanced: its first tick may have been lost with a crash
            await self.ticks.now(JourneyTick(journey_id=journey_id))
        return describe(stored.state, self.clock.now())

    def _check(
        self,
        definition: JourneyDefinition,
        inputs: dict[str, JsonValue],
        dossier_code: str,
        client: str | None,
        received_at: datetime | None,
    ) -> None:
        try:
            _INPUTS.validate_python(inputs, strict=True)
        except ValidationError as invalid:
            raise InvalidStart(f"inputs are a JSON object: {invalid.errors(include_url=False)}") from None
        if not dossier_code.strip() or len(dossier_code) > MAX_DOSSIER_CODE or not dossier_code.isprintable():
            raise InvalidStart(f"a dossier code is 1 to {MAX_DOSSIER_CODE} printable characters")
        missing = [p for p in definition.required_inputs if not found(lookup(p, {"inputs": inputs}))]
        if missing:
            raise InvalidStart(f"journey {definition.kind!r} needs inputs {missing}")
        if client is not None:
            try:
                ClientId.parse(client)
            except IdentifierError as exc:
                raise InvalidStart(str(exc)) from None
        if received_at is not None:
            try:
                require_aware(received_at, "received_at")
            except ValueError as exc:
                raise InvalidStart(str(exc)) from None
        appointment(definition, inputs)

    def _new_state(
        self,
        definition: JourneyDefinition,
        journey_id: str,
        inputs: dict[str, JsonValue],
        dossier_code: str,
        client: str | None,
        received_at: datetime | None,
    ) -> JourneyState:
        received = received_at or self.clock.now()
        submitter = (
            client if client is not None and client in {str(c) for c in definition.submitters} else None
        )
        due = None
        if definition.deadline_days is not None:
            due = self.calendar.add_working_days(received, definition.deadline_days)
        appointed = appointment(definition, inputs)
        if appointed is not None:  # that day, when results are due (as add_working_days counts)
            due = datetime.combine(appointed, self.calendar.results_due_at, tzinfo=self.calendar.tz)
        steps = {
            spec.id: StepState(
                step=spec.id,
                kind=spec.kind,
                service=str(spec.call.service) if isinstance(spec, CallStep | PollStep) else None,
                system=spec.system,
            )
            for spec in definition.steps
        }
        return JourneyState(
            journey_id=journey_id,
            kind=definition.kind,
            dossier_code=dossier_code,
            client=str(definition.client) if submitter is not None or client is None else client,
            submitter=submitter,
            inputs=inputs,
            received_at=received,
            due_at=due,
            steps=steps,
        )

    async def get(self, journey_id: str) -> JourneyRecord:
        """The journey as it stands now; UnknownJourney when there is none."""
        stored = await self._load(journey_id)
        return describe(stored.state, self.clock.now())

    async def find_for(self, journey_id: str, client: str) -> JourneyRecord | None:
        """The journey `journey_id` if it acts as `client` or `client` submitted it (None otherwise:
        another's is not shown)."""
        stored = await self.book.load(journey_id)
        if stored is None or not stored.state.concerns(client):
            return None
        return describe(stored.state, self.clock.now())

    async def find(self, dossier_code: str) -> JourneyRecord | None:
        """The journey started for `dossier_code`, if any."""
        state = await self.book.journey_of(dossier_code)
        return None if state is None else describe(state, self.clock.now())

    async def list(
        self,
        *,
        kind: str | None = None,
        status: JourneyStatus | None = None,
        late: bool | None = None,
        client: str | None = None,
        limit: int = 100,
    ) -> list[JourneyRecord]:
        """Journeys, newest first, filtered by kind, status, lateness (journey or any step) and the
        client they act as or were submitted by."""
        if limit < 1:
            raise JourneyError(f"limit must be at least 1, got {limit}")
        now = self.clock.now()
        records: list[JourneyRecord] = []
        async for journey_id in self.book.newest_ids():
            stored = await self.book.load(journey_id)
            if stored is None:
                continue
            state = stored.state
            if (
                (kind is not None and state.kind != kind)
                or (status is not None and state.status != status)
                or (client is not None and not state.concerns(client))
            ):
                continue
            record = describe(state, now)
            if late is not None and record.late != late:
                continue
            records.append(record)
            if len(records) >= limit:
                break
        return records

    async def resume(self, journey_id: str, *, by: str, reason: str) -> JourneyRecord:
        """Resume the parked journey `journey_id`: the step that parked it is tried again and the journey
        carries on; the action is kept in its interventions with `by` and `reason`. UnknownJourney,
        InvalidAction, JourneyNotParked, JourneyBusy or NotResumable change nothing."""
        if not reason.strip() or len(reason) > MAX_REASON or not by.strip():
            raise InvalidAction(f"a resume needs who and why (a reason of 1 to {MAX_REASON} characters)")
        stored = await self._load(journey_id)
        _resumable(stored.state)
        state = stored.state
        # Checked before the lease is taken: a step that cannot be retried leaves the journey as it is.
        after = resumed(state, by=by, reason=reason.strip(), now=self.clock.now())
        held = state.model_copy(deep=True)
        held.lease_holder = f"resume/{new_id()}"
        held.lease_until = time.time() + self.settings.lease_seconds
        claimed = await self.book.replace(stored, held)
        if claimed is None:  # another request got there first
            current = await self._load(journey_id)
            _resumable(current.state)
            raise JourneyBusy(f"journey {journey_id} changed meanwhile; look again")
        await self.ticks.now(JourneyTick(journey_id=journey_id))
        written = await self.book.replace(claimed, after)
        if written is None:  # the lease ran out before the write: whoever wrote has the journey
            raise JourneyBusy(f"journey {journey_id} was taken over during the resume; look again")
        return describe(written.state, self.clock.now())

    async def _load(self, journey_id: str) -> Stored:
        stored = await self.book.load(journey_id)
        if stored is None:
            raise UnknownJourney(f"no journey {journey_id!r}")
        return stored


def _resumable(state: JourneyState) -> None:
    """Nothing, when `state` is parked and free; JourneyNotParked or JourneyBusy otherwise."""
    if state.status != JourneyStatus.PARKED:
        raise JourneyNotParked(f"journey {state.journey_id} is {state.status.value}, not parked")
    if state.leased(time.time()):
        raise JourneyBusy(
            f"journey {state.journey_id} is held by {state.lease_holder} (its last calls settling, or "
            "another resume): try again in a moment"
        )


def appointment(definition: JourneyDefinition, inputs: dict[str, JsonValue]) -> date | None:
    """The appointment date the inputs set at the definition's `due_from` (None without `due_from`);
    InvalidStart naming the journey when the input is missing or not an ISO date."""
    if definition.due_from is None:
        return None
    where = f"journey {definition.kind!r} takes its due date from {definition.due_from}"
    value = lookup(definition.due_from, {"inputs": inputs})
    if not found(value):
        raise InvalidStart(f"{where}: it is missing")
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidStart(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    return day


def _same_request(
    state: JourneyState,
    kind: str,
    inputs: dict[str, JsonValue],
    client: str | None,
    received_at: datetime | None,
) -> None:
    """Nothing, when a start repeats the one that made `state`; DossierCodeInUse when it differs."""
    code, journey = state.dossier_code, state.journey_id
    if client is not None and not state.concerns(client):
        raise DossierCodeInUse(f"dossier {code!r} belongs to another client's journey")
    if state.kind != kind:
        raise DossierCodeInUse(f"dossier {code!r} is journey {journey} of kind {state.kind!r}, not {kind!r}")
    if state.inputs != inputs or (received_at is not None and state.received_at != received_at):
        raise DossierCodeInUse(
            f"dossier {code!r} is journey {journey}, started with other inputs (a new dossier, a new code)"
        )
