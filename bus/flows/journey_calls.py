"""A step's bus call built from its spec and the journey's context, and its record kept on the step.

The idempotency key names the journey, the step and what the call is for (`J.step`, `J.step.poll3`,
`J.step.undo`); the message and transaction ids add the attempt (see service_calls.derived_ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bus.flows.journey_model import ServiceCallSpec
from bus.flows.journey_paths import render, render_text
from bus.flows.journey_state import CallPurpose, CallRecord, JourneyState, StepState
from bus.flows.service_calls import CallResult, ServiceCall, derived_ids


@dataclass(frozen=True)
class Outgoing:
    """A call to make once the state recording it is written."""

    step: str
    purpose: CallPurpose
    call: ServiceCall


def build_call(state: JourneyState, spec: ServiceCallSpec, key: str, attempt: int) -> ServiceCall:
    """The call `spec` describes, filled from the journey's context; MissingValue when it cannot be."""
    context = state.context()
    message_id, transaction_id = derived_ids(key, attempt)
    return ServiceCall(
        client=state.client,
        service=str(spec.service),
        method=spec.method,
        path=render_text(spec.path, context),
        query={name: render_text(value, context) for name, value in spec.query.items()},
        payload=render(spec.payload, context),
        issue=state.dossier_code,
        idempotency_key=key,
        message_id=message_id,
        transaction_id=transaction_id,
    )


def note_sent(step: StepState, call: ServiceCall, purpose: CallPurpose, attempt: int, now: datetime) -> None:
    """Record the call on its step (once: sending it again after a crash reuses the record)."""
    if any(record.message_id == call.message_id for record in step.calls):
        return
    step.calls.append(
        CallRecord(
            purpose=purpose,
            transaction_id=call.transaction_id,
            message_id=call.message_id,
            idempotency_key=call.idempotency_key,
            attempt=attempt,
            sent_at=now,
        )
    )


def note_answer(step: StepState, message_id: str, result: CallResult, now: datetime) -> None:
    """Record what became of the call `message_id` on its step."""
    for record in step.calls:
        if record.message_id == message_id:
            record.answered_at = now
            record.status = result.status
            record.outcome = result.outcome
            record.error_type = result.error.type if result.error is not None else None
