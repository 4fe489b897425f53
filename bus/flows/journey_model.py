"""A journey declared as data: steps that call bus services, poll them or wait for a bus event.

Steps form a graph by `after` (the step's predecessors; by default the step listed before it): several
steps after one step run in parallel (fan-out), a step after several waits for all of them (fan-in).
Each step may carry `when` conditions (skipped unless they hold), a deadline in working days counted
from its start, and (a call) the compensation that undoes it, run in reverse order when the journey is
refused (only if its own `when` conditions hold then). Pointers name the journey's context (see
journey_paths); a step may only read the results of steps that surely finished before it starts (its
ancestors). Errors in a definition are `JourneyDefinitionError`s, raised when it is built (pydantic wraps
them in its ValidationError).

    JourneyDefinitionError (ValueError)
    ├── DuplicateStep         two steps with one id
    ├── UnknownStepReference  `after` or a pointer names a step that does not exist
    ├── StepCycle             steps that wait for one another
    └── UnreachableResult     a pointer reads a step that is not sure to have run before
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)

from bus.events import EventType
from bus.flows.journey_paths import Condition, check_pointer, pointer_parts, pointers_in
from bus.identifiers import ClientId, ServiceId

StepId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="a step's name in its journey")]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
# What a journey does when a step is refused, fails for good, or misses its time.
Outcome = Literal["refuse", "park", "continue"]


class JourneyDefinitionError(ValueError):
    """A journey definition that cannot run."""


class DuplicateStep(JourneyDefinitionError):
    """Two steps share an id."""


class UnknownStepReference(JourneyDefinitionError):
    """A step names another that does not exist."""


class StepCycle(JourneyDefinitionError):
    """Steps wait for one another."""


class UnreachableResult(JourneyDefinitionError):
    """A step reads the result of a step that is not among those finished before it starts."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceCallSpec(_Strict):
    """A bus service call: the service, method, sub-path, query and payload (templates)."""

    service: ServiceId
    method: HttpMethod = "POST"
    path: str = Field("", description="template of the REST sub-path")
    query: dict[str, str] = Field(default_factory=dict, description="templates of query values")
    payload: JsonValue = Field(None, description="template of the JSON body")

    def pointers(self) -> list[str]:
        """Every pointer the call reads."""
        return [*pointers_in(self.path), *pointers_in(dict(self.query)), *pointers_in(self.payload)]


class Compensation(ServiceCallSpec):
    """The call that undoes a step, made only if its `when` conditions hold on the context as its turn
    comes (they may read any step: one that did not answer has nothing there, so `exists: false` tells
    it did not run); e.g. the portal told a dossier is stopped unless a later step already told it."""

    when: tuple[Condition, ...] = Field((), description="undo only if all hold (pointers into the context)")


class StepRetry(_Strict):
    """How often a failed call is tried again by the journey, after the bus's own retries gave up."""

    attempts: int = Field(3, ge=1, le=50, description="calls in all, the first included")
    delay_seconds: float = Field(1.0, gt=0, le=3600, description="wall seconds before the 2nd, doubled after")


class EventMatch(_Strict):
    """Which event ends a wait: the value at `at` in the event's data equals the rendered `equals`."""

    at: str = Field(description="JSON pointer into the event's data")
    equals: str = Field(description="template of the expected value, e.g. ${/steps/pay/result/reference}")

    @field_validator("at")
    @classmethod
    def _pointer(cls, value: str) -> str:
        return check_pointer(value)


class _Step(_Strict):
    id: StepId
    after: tuple[StepId, ...] | None = Field(None, description="predecessors; default: the step before")
    when: tuple[Condition, ...] = Field((), description="run only if all hold (pointers into the context)")
    system: str = Field("", max_length=200, description="the system reached, as people call it")
    deadline_days: int | None = Field(None, ge=0, le=365, description="working days from the step's start")
    on_deadline: Outcome = Field("continue", description="when the deadline passes first: counted late only")

    def pointers(self) -> list[str]:
        """Context pointers the step reads before it runs."""
        return [condition.at for condition in self.when]


class CallStep(_Step):
    """Call a service once; the journey goes on with its answer."""

    kind: Literal["call"] = "call"
    call: ServiceCallSpec
    refuse_if: Condition | None = Field(None, description="on the answer: the journey is refused")
    park_if: Condition | None = Field(None, description="on the answer: the journey is parked")
    on_rejected: Outcome = Field("refuse", description="when the provider rejects the request (422)")
    retry: StepRetry = StepRetry()
    compensation: Compensation | None = Field(None, description="undoes this step when refused later")

    def pointers(self) -> list[str]:
        """Context pointers the step reads before it runs (its compensation's are checked apart)."""
        return [*super().pointers(), *self.call.pointers()]


class PollStep(_Step):
    """Call a service every `interval_minutes` of simulated time until its answer satisfies `until`."""

    kind: Literal["poll"] = "poll"
    call: ServiceCallSpec
    until: Condition = Field(description="on the answer: done")
    refuse_if: Condition | None = None
    park_if: Condition | None = None
    on_rejected: Outcome = "refuse"
    interval_minutes: float = Field(60.0, gt=0, le=60 * 24 * 30)
    max_polls: int | None = Field(None, ge=1, description="then the journey is parked")
    retry: StepRetry = StepRetry()

    def pointers(self) -> list[str]:
        """Context pointers the step reads before it runs."""
        return [*super().pointers(), *self.call.pointers()]


class WaitStep(_Step):
    """Wait for a bus event (e.g. `payment.confirmed` with this journey's reference), or for the first of
    several (`[payment.confirmed, payment.failed]`): the type that came is `/steps/<id>/event`, and a
    type listed in `refuse_on` refuses the journey."""

    kind: Literal["wait"] = "wait"
    event: tuple[EventType, ...] = Field(
        min_length=1, description="the event type awaited, or a list of them: the first to come ends the wait"
    )
    match: EventMatch
    refuse_on: tuple[EventType, ...] = Field((), description="awaited types that refuse the journey")
    refuse_if: Condition | None = Field(None, description="on the event's data: the journey is refused")
    timeout_days: int | None = Field(None, ge=0, le=365, description="working days to wait, from the start")
    on_timeout: Outcome = "park"

    @field_validator("event", mode="before")
    @classmethod
    def _one_or_several(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refused_types_are_awaited(self) -> Self:
        if len(set(self.event)) != len(self.event):
            raise JourneyDefinitionError(f"step {self.id!r} awaits an event type twice: {list(self.event)}")
        strangers = sorted(set(self.refuse_on) - set(self.event))
        if strangers:
            raise JourneyDefinitionError(f"step {self.id!r} refuses on {strangers}, which it does not await")
        return self

    def pointers(self) -> list[str]:
        """Context pointers the step reads before it runs."""
        return [*super().pointers(), *pointers_in(self.match.equals)]


Step = Annotated[CallStep | PollStep | WaitStep, Field(discriminator="kind")]


class FeedTrigger(_Strict):
    """Journeys started by the bus itself, one per entry of a feed it polls (an event source such as the
    population database's recorded deaths). The call reads `/feed/after` (the last position handled);
    `dossier_code` and `inputs` read `/item` (one entry), so one entry always names one journey."""

    call: ServiceCallSpec
    items_at: str = Field(description="pointer to the list of entries in the answer")
    position_at: str = Field(description="pointer to an entry's position (an integer, increasing)")
    dossier_code: str = Field(description="template of the journey's dossier code, e.g. XT.${/item/id}")
    inputs: JsonValue = Field("${/item}", description="template of the journey's inputs")
    received_at: str | None = Field(
        None,
        description="template of when the entry's event happened (ISO 8601 with offset), e.g. "
        "${/item/recorded_at}: the journey counts its deadline from it, not from the read (default: now)",
    )
    every_seconds: float = Field(1.0, gt=0, le=3600, description="wall seconds between polls")

    @model_validator(mode="after")
    def _reads_what_it_has(self) -> Self:
        check_pointer(self.items_at)
        check_pointer(self.position_at)
        item_pointers = [*pointers_in(self.dossier_code), *pointers_in(self.inputs)]
        item_pointers += [*pointers_in(self.received_at)] if self.received_at is not None else []
        for root, pointers in (("feed", self.call.pointers()), ("item", item_pointers)):
            for pointer in pointers:
                check_pointer(pointer)
                if pointer_parts(pointer)[:1] != [root]:
                    raise JourneyDefinitionError(f"feed: {pointer!r} must start with /{root}")
        return self


class JourneyDefinition(_Strict):
    """One kind of journey: who it acts as, its inputs, its steps and its overall deadline."""

    kind: str = Field(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")
    title: str = ""
    client: ClientId = Field(description="the bus client the journey's calls are made as")
    submitters: tuple[ClientId, ...] = Field(
        (), description="other clients that may hand a dossier of this kind in: it still acts as `client`"
    )
    deadline_days: int | None = Field(None, ge=0, le=365, description="working days: the appointment date")
    due_from: str | None = Field(
        None,
        description="pointer to an input holding the appointment date (ISO date, e.g. "
        "/inputs/appointment_date) when the inputs set it; instead of deadline_days",
    )
    required_inputs: tuple[str, ...] = Field((), description="pointers into the inputs that must be given")
    steps: tuple[Step, ...] = Field(min_length=1)
    feed: FeedTrigger | None = Field(None, description="started by the bus, one journey per feed entry")

    @field_validator("required_inputs")
    @classmethod
    def _input_pointers(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_pointer(value) for value in values)

    @model_validator(mode="after")
    def _one_due_date(self) -> Self:
        if self.due_from is None:
            return self
        try:
            parts = pointer_parts(check_pointer(self.due_from))
        except ValueError:
            parts = []
        if parts[:1] != ["inputs"] or len(parts) < 2:
            raise JourneyDefinitionError(
                f"journey {self.kind!r}: due_from {self.due_from!r} must name an input (/inputs/...)"
            )
        if self.deadline_days is not None:
            raise JourneyDefinitionError(
                f"journey {self.kind!r}: due_from and deadline_days both set its due date; keep one"
            )
        return self

    @model_validator(mode="after")
    def _a_graph_that_runs(self) -> Self:
        ids = [step.id for step in self.steps]
        seen: set[str] = set()
        for step_id in ids:
            if step_id in seen:
                raise DuplicateStep(f"journey {self.kind!r}: step {step_id!r} is declared twice")
            seen.add(step_id)
        graph = {step.id: self.predecessors(step.id) for step in self.steps}
        for step_id, before in graph.items():
            for name in before:
                if name not in seen:
                    raise UnknownStepReference(f"step {step_id!r} comes after unknown step {name!r}")
        try:
            tuple(TopologicalSorter(graph).static_order())
        except CycleError as error:
            raise StepCycle(f"journey {self.kind!r}: steps wait for one another: {error.args[1]}") from None
        for step in self.steps:
            self._check_reads(step.id, step.pointers(), self.ancestors(step.id))
            if isinstance(step, CallStep) and step.compensation is not None:
                self._check_reads(step.id, step.compensation.pointers(), self.ancestors(step.id) | {step.id})
                self._check_reads(step.id, [c.at for c in step.compensation.when], seen)
        return self

    def _check_reads(self, step_id: str, pointers: list[str], readable: set[str]) -> None:
        known = {step.id for step in self.steps}
        for pointer in pointers:
            check_pointer(pointer)
            parts = pointer_parts(pointer)
            if not parts or parts[0] not in ("inputs", "journey", "steps"):
                raise JourneyDefinitionError(
                    f"step {step_id!r} reads {pointer!r}: pointers start with /inputs, /journey or /steps"
                )
            if parts[0] != "steps":
                continue
            if len(parts) < 2 or parts[1] not in known:
                raise UnknownStepReference(f"step {step_id!r} reads {pointer!r}: no such step")
            if parts[1] not in readable:
                raise UnreachableResult(
                    f"step {step_id!r} reads {pointer!r}, but {parts[1]!r} does not always finish before it"
                )

    def step(self, step_id: str) -> CallStep | PollStep | WaitStep:
        """The step named `step_id` (KeyError when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def predecessors(self, step_id: str) -> tuple[str, ...]:
        """The steps that must be finished (done or skipped) before `step_id` starts."""
        index = next(i for i, step in enumerate(self.steps) if step.id == step_id)
        declared = self.steps[index].after
        if declared is not None:
            return declared
        return (self.steps[index - 1].id,) if index > 0 else ()

    def ancestors(self, step_id: str) -> set[str]:
        """Every step finished before `step_id` starts (predecessors, theirs, and so on)."""
        found: set[str] = set()
        todo = list(self.predecessors(step_id))
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                todo.extend(self.predecessors(name))
        return found


def load_journey(data: object) -> JourneyDefinition:
    """A definition from plain data (YAML, JSON); the typed JourneyDefinitionError when it cannot run,
    a JourneyDefinitionError with pydantic's explanation when it is malformed."""
    try:
        return JourneyDefinition.model_validate(data)
    except ValidationError as invalid:
        for error in invalid.errors():
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, JourneyDefinitionError):
                raise cause from None
        raise JourneyDefinitionError(str(invalid)) from None
