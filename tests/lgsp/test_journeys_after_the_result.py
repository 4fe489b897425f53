"""Once a journey's result is out, nothing refuses it: a refusal would refund a fee earned, cancel the
parcel carrying the result and tell the portal a stop it takes no more after a result. A rejection (422)
parks the journey for an operator instead. The behaviour is tested on the running journeys
(tests/flows/test_citizen_journeys.py); this checks every step of the province's definitions that runs
after a result, the ones no scripted run reaches too."""

from __future__ import annotations

from bus.flows.journey_model import CallStep, JourneyDefinition, PollStep, WaitStep
from lgsp.journeys import load_definitions

DEFINITIONS = {definition.kind: definition for definition in load_definitions()}
# The step that tells the portal the result is issued (9), in the journeys with a fee and a parcel.
ISSUED = {"dossier": "issued", "lltp": "issued"}
INTERCONNECTED_PUSH = "VN/GOV/DVCQG/PORTAL/DongBoTrangThaiLienThong/v1"


def descendants(definition: JourneyDefinition, step_id: str) -> set[str]:
    """The steps that run after `step_id` (its successors, theirs, and so on)."""
    return {step.id for step in definition.steps if step_id in definition.ancestors(step.id)}


def refusing(step: CallStep | PollStep | WaitStep) -> list[str]:
    """How the step could refuse its journey."""
    ways = ["refuse_if"] if step.refuse_if is not None else []
    ways += ["on_rejected"] if isinstance(step, CallStep | PollStep) and step.on_rejected == "refuse" else []
    ways += ["on_deadline"] if step.on_deadline == "refuse" else []
    ways += ["on_timeout", "refuse_on"] if isinstance(step, WaitStep) else []
    return ways


def test_nothing_refuses_a_dossier_or_a_certificate_once_its_result_is_issued() -> None:
    for kind, issued in ISSUED.items():
        definition = DEFINITIONS[kind]
        after = descendants(definition, issued) | {issued}
        assert after >= {"parcel", "delivered", "returned"}, kind
        for step in (definition.step(name) for name in after):
            assert refusing(step) == [], (kind, step.id)
            assert not (isinstance(step, CallStep) and step.compensation), (kind, step.id)  # nothing undone


def test_a_birth_or_death_parks_a_rejection_while_the_portal_holds_a_result() -> None:
    """The interconnected portal takes no refusal (6) after a result (4): the status pushed right after
    one (the legs sent on, the result returned) parks on a rejection."""
    for kind in ("birth", "death"):
        definition = DEFINITIONS[kind]
        results = [
            step.id
            for step in definition.steps
            if isinstance(step, CallStep)
            and str(step.call.service) == INTERCONNECTED_PUSH
            and isinstance(step.call.payload, dict)
            and step.call.payload.get("status") == "registry_result"
        ]
        following = [s for s in definition.steps if set(definition.predecessors(s.id)) & set(results)]
        assert {s.id for s in following} == {"legs_sent", "result_returned"}, kind
        for step in following:
            assert refusing(step) == [], (kind, step.id)
