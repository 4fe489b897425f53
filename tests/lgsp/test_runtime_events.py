"""A process whose EventRecorder consumes the event queues (lgsp run, lgsp worker) hands each event to its
journeys: with both consuming, a queue would give each event to one of them and half the waits would
miss their payment confirmation."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from bus.auth.settings import AuthSettings
from bus.catalog import Catalog
from bus.event_recorder import EventRecorder
from bus.events import BusEvent, TransportEventPublisher, event_queue
from bus.flows import VIETNAM_TZ, ManualClock, WorkingCalendar, load_journey
from bus.flows.journey_state import StepStatus
from bus.gateway.access import AccessControl
from lgsp.journey_runtime import JourneyRuntime
from tests.backends import Backend, quick_journey_settings


async def test_events_the_recorder_consumes_end_the_runtimes_waits_every_one(backend: Backend) -> None:
    paid = f"jt{backend.token}.paid"
    definition = load_journey(
        {
            "kind": "recorded",
            "client": "VN/GOV/HPG/MOTCUA",
            "steps": [
                {
                    "kind": "wait",
                    "id": "paid",
                    "event": paid,
                    "match": {"at": "/reference", "equals": "${/inputs/ref}"},
                },
            ],
        }
    )
    catalog = Catalog.model_validate({"clients": [{"id": "VN/GOV/HPG/MOTCUA", "api_key_sha256": ["0" * 64]}]})
    transport = await backend.transport()
    settings = quick_journey_settings(f"lgsp-test.journeys.{backend.token}")
    backend.queues.extend([settings.queue, event_queue(paid)])  # removed with the backend
    runtime = JourneyRuntime(
        catalog, transport, backend.store, AccessControl.build(catalog, backend.store, AuthSettings()),
        ManualClock(datetime(2026, 12, 7, 9, tzinfo=VIETNAM_TZ)), WorkingCalendar(), definitions=[definition],
        settings=settings, consume_events=False,
    )  # fmt: skip
    await runtime.start()
    recorder = EventRecorder(transport, [paid], listeners=[runtime.deliver_event])
    await recorder.start()
    publisher = TransportEventPublisher(transport)
    try:
        started = [await runtime.journeys.start("recorded", {"ref": f"P-{n}"}, f"HS-{n}") for n in range(6)]
        for n in range(6):
            await publisher.publish(BusEvent(type=paid, source="test", data={"reference": f"P-{n}"}))
        deadline = time.monotonic() + 10
        while True:
            records = [await runtime.journeys.get(s.journey_id) for s in started]
            if all(r.status == "completed" for r in records) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    finally:
        await recorder.stop()
        await runtime.stop()
    assert [r.steps[0].status for r in records] == [StepStatus.DONE] * 6, [r.status for r in records]
    assert len(recorder.recent) == 6
