"""Each attack on the security surface (issues 7 and 14) is refused, or survived, with its answer,
changing nothing; table in reports/."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bus.events import BusEvent
from bus.store import MemoryStore, Store
from services.citizens import Population
from services.population import create_app
from tests.in_process_stack import SecuredStack, secured_stack
from tests.security.attacks import ATTACKS, ECHO_URL, STP_AUTH, Attack, Row, write_table
from tests.security.callback_attacks import (
    CALLBACK_ATTACKS,
    ITEM_CODE,
    REPLAYED,
    book_callback_subjects,
)
from tests.security.conftest import (
    ADMIN_KEY,
    MONITORING_TOKEN,
    OTHER_KEY,
    READER_KEY,
    STP_EXPIRED_KEY,
    STP_KEY,
    STP_OLD_KEY,
    TOKEN_SECRET,
    auth_settings,
    security_catalog,
)
from tests.security.input_attacks import INPUT_ATTACKS, REUSED_ID_ATTACK, held_calls
from tests.security.intake_attacks import INTAKE_ATTACKS

REPORT = Path(__file__).resolve().parents[2] / "reports" / "security" / "attack_table.json"
SECRETS = (STP_KEY, STP_OLD_KEY, STP_EXPIRED_KEY, OTHER_KEY, READER_KEY, ADMIN_KEY, TOKEN_SECRET)
WATCHED_KEYS = ("auth:rights", "auth:keys:VN/GOV/HPG/STP", "auth:keys:VN/GOV/HPG/OTHER")


@pytest.fixture
async def mock() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Population(size=1_000), latency=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bca", timeout=10
    ) as http:
        yield http


async def snapshot(store: Store) -> tuple[int | None, list[bytes | None]]:
    """How many keys the store holds (a new replay claim, a new entry) and the watched keys' values."""
    size = len(store) if isinstance(store, MemoryStore) else None
    return size, [await store.get(key) for key in WATCHED_KEYS]


def event_subject(event: BusEvent) -> object:
    """The payment reference, or the parcel's item code and status, an event is about."""
    data = event.data if isinstance(event.data, dict) else {}
    return data.get("reference") or f"{data.get('item_code')}/{data.get('status_code')}"


async def attempt(attack: Attack, stack: SecuredStack, mock: httpx.AsyncClient) -> Row:
    if attack.prepare is not None:
        await attack.prepare(stack)
    before_sent, before_state = len(stack.transport.sent), await snapshot(stack.store)
    try:
        observed = await attack.run(stack, mock)
    except Exception as exc:
        observed = f"unhandled {type(exc).__name__} (HTTP 500)"
    unchanged = len(stack.transport.sent) == before_sent and await snapshot(stack.store) == before_state
    # The control: a genuine client's call right after the attack is still served.
    control = await stack.http.post(ECHO_URL, json={}, headers=STP_AUTH)
    outcome = "survived" if attack.survives else "rejected"
    return Row(
        attack.case,
        attack.target,
        attack.expected,
        observed,
        unchanged,
        attack.open_gap,
        outcome,
        control.status_code,
    )


async def test_every_attack_is_rejected_with_its_error_and_no_side_effect(
    mock: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    store = MemoryStore()
    with caplog.at_level(logging.DEBUG):
        async with secured_stack(security_catalog(), store, auth_settings()) as stack:
            token = stack.access.tokens.issue(stack.catalog.clients[0].id).access_token
            await book_callback_subjects(stack)
            every = (*ATTACKS, *INPUT_ATTACKS, *INTAKE_ATTACKS, *CALLBACK_ATTACKS, REUSED_ID_ATTACK)
            rows = [await attempt(attack, stack, mock) for attack in every]
            held = await held_calls()
            # Legitimate calls still work after the attacks: the defences refuse, they do not break.
            good = await stack.http.post(
                "/r1/VN/GOV/HPG/SEC/Echo/v1",
                json={},
                headers={"x-road-client": "VN/GOV/HPG/STP", "x-api-key": STP_KEY},
            )
            good_bearer = await stack.http.post(
                "/r1/VN/GOV/HPG/SEC/Echo/v1", json={}, headers={"authorization": f"Bearer {token}"}
            )
            monitored = await stack.http.get(
                "/metrics", headers={"authorization": f"Bearer {MONITORING_TOKEN}"}
            )
            events = [(event.type, event_subject(event)) for event in stack.events]
    table = write_table(rows, REPORT)
    with capsys.disabled():
        print("\n" + table)
    assert good.status_code == 200
    assert good_bearer.status_code == 200, good_bearer.text
    # The genuine call whose X-Road-Id the duplicates reused got its own answer.
    assert [r.status_code for r in held] == [200]
    # Monitoring still answers its own credential.
    assert monitored.status_code == 200 and "lgsp_requests_total" in monitored.text
    # The two genuine callbacks the replays repeat became one event each; no refused one did.
    assert events.count(("payment.confirmed", REPLAYED)) == 1
    assert events.count(("parcel.status_changed", f"{ITEM_CODE}/2")) == 1
    # An open gap that let a callback through published its one event; nothing else did.
    assert len(events) == 2 + sum(1 for r in rows if r.open_gap and not r.side_effect_free), events
    failed = [r for r in rows if not r.ok and not r.open_gap]
    assert not failed, "\n" + table
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert "access denied" in logged and "authentication refused" in logged
    for secret in (*SECRETS, token):
        assert secret not in logged, "a secret reached the logs"
