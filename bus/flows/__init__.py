"""Multi-system flows (journeys): working-day time, simulated clocks, on-time verdicts, and the journey
engine (definitions as data, durable execution from the Store, the Journeys API)."""

from bus.flows.clock import Clock, RealClock, ScheduledCall
from bus.flows.compressed_clock import CompressedClock, Pace, UniformPace, WorkingDayPace
from bus.flows.feed_refusals import FeedRefusals, RefusedFeedEntry
from bus.flows.journey_engine import JourneyEngine
from bus.flows.journey_feeds import FeedFollower, feed_refusals
from bus.flows.journey_model import (
    CallStep,
    DuplicateStep,
    EventMatch,
    FeedTrigger,
    JourneyDefinition,
    JourneyDefinitionError,
    PollStep,
    ServiceCallSpec,
    StepCycle,
    StepRetry,
    UnknownStepReference,
    UnreachableResult,
    WaitStep,
    load_journey,
)
from bus.flows.journey_paths import Condition, MissingValue
from bus.flows.journey_records import JourneyRecord, StepRecord
from bus.flows.journey_resume import NotResumable
from bus.flows.journey_settings import JourneySettings
from bus.flows.journey_state import CallRecord, Intervention, JourneyStatus, StepStatus
from bus.flows.journeys import (
    DossierCodeInUse,
    IneligibleStart,
    InputCheck,
    InvalidAction,
    InvalidStart,
    JourneyBusy,
    JourneyError,
    JourneyNotParked,
    Journeys,
    UnknownJourney,
    UnknownKind,
)
from bus.flows.manual_clock import ManualClock
from bus.flows.service_calls import CallResult, ServiceCall, ServiceCaller, derived_ids
from bus.flows.settings import CalendarSettings, ClockSettings, build_calendar, build_clock
from bus.flows.timeliness import ProcedureTally, Verdict, VerdictRecord, judge, tally_by_procedure
from vn_calendar import (
    DEFAULT_OFFICE_HOURS,
    VIETNAM_TZ,
    CalendarError,
    NaiveDatetimeError,
    OfficeWindow,
    WorkingCalendar,
    require_aware,
)

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "VIETNAM_TZ",
    "CalendarError",
    "CalendarSettings",
    "CallRecord",
    "CallResult",
    "CallStep",
    "Clock",
    "ClockSettings",
    "CompressedClock",
    "Condition",
    "DossierCodeInUse",
    "DuplicateStep",
    "EventMatch",
    "FeedFollower",
    "FeedRefusals",
    "FeedTrigger",
    "IneligibleStart",
    "InputCheck",
    "Intervention",
    "InvalidAction",
    "InvalidStart",
    "JourneyBusy",
    "JourneyDefinition",
    "JourneyDefinitionError",
    "JourneyEngine",
    "JourneyError",
    "JourneyNotParked",
    "JourneyRecord",
    "JourneySettings",
    "JourneyStatus",
    "Journeys",
    "ManualClock",
    "MissingValue",
    "NaiveDatetimeError",
    "NotResumable",
    "OfficeWindow",
    "Pace",
    "PollStep",
    "ProcedureTally",
    "RealClock",
    "RefusedFeedEntry",
    "ScheduledCall",
    "ServiceCall",
    "ServiceCallSpec",
    "ServiceCaller",
    "StepCycle",
    "StepRecord",
    "StepRetry",
    "StepStatus",
    "UniformPace",
    "UnknownJourney",
    "UnknownKind",
    "UnknownStepReference",
    "UnreachableResult",
    "Verdict",
    "VerdictRecord",
    "WaitStep",
    "WorkingCalendar",
    "WorkingDayPace",
    "build_calendar",
    "build_clock",
    "derived_ids",
    "feed_refusals",
    "judge",
    "load_journey",
    "require_aware",
    "tally_by_procedure",
]
