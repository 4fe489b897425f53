"""The portal's citizens paying the fee on the payment link the province sends with status 6: drawn from
the seed, paid on the platform's page in simulated working time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx

from services.clock import SimulatedClock
from services.portal.citizen_payments import CitizenPayments, PayerRates, draw_payer
from vn_calendar import WorkingCalendar

VIETNAM = timezone(timedelta(hours=7))
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=VIETNAM).timestamp()
RATES = PayerRates(late=0.08, failed=0.05, abandoned=0.02)
CALENDAR = WorkingCalendar()


def test_payers_are_drawn_from_the_seed_with_the_rates_and_a_second_link_is_drawn_afresh() -> None:
    payers = [draw_payer(1, f"H31.LT-{n:05d}", "http://p/pay/x", 1, RATES, MONDAY) for n in range(3000)]
    assert payers == [
        draw_payer(1, f"H31.LT-{n:05d}", "http://p/pay/x", 1, RATES, MONDAY) for n in range(3000)
    ]
    share = {b: sum(p.behaviour == b for p in payers) / 3000 for b in ("late", "failed", "abandoned")}
    assert (
        0.06 < share["late"] < 0.10 and 0.035 < share["failed"] < 0.065 and 0.01 < share["abandoned"] < 0.03
    )
    second = [draw_payer(1, f"H31.LT-{n:05d}", "http://p/pay/y", 2, RATES, MONDAY) for n in range(3000)]
    assert [p.behaviour for p in second] != [p.behaviour for p in payers]
    start = datetime.fromtimestamp(MONDAY, VIETNAM)
    for payer in payers:
        worked = CALENDAR.working_time_between(start, datetime.fromtimestamp(payer.at, VIETNAM))
        if payer.behaviour == "late":
            assert timedelta(hours=8) <= worked <= timedelta(hours=16)
        else:
            assert timedelta(minutes=5) <= worked <= timedelta(hours=3)


async def test_citizens_submit_the_payment_page_when_the_simulated_clock_reaches_their_time() -> None:
    submitted: list[tuple[str, bytes]] = []

    def page(request: httpx.Request) -> httpx.Response:
        submitted.append((str(request.url), request.content))
        return httpx.Response(200, text="<html>ok</html>")

    clock = SimulatedClock(start=MONDAY, real=lambda: 0.0)
    payments = CitizenPayments(clock, seed=1, rates=PayerRates(0, 1.0, 0), capacity=10,
                               transport=httpx.MockTransport(page))  # fmt: skip
    payer = payments.owe("H31.LT-00001", "http://paygov/pay/abc")
    assert payer is not None and payer.behaviour == "failed"
    assert await payments.pay_due() == 0 and submitted == []
    clock.jump_to(payer.at)
    assert await payments.pay_due() == 1
    assert submitted == [("http://paygov/pay/abc", b"outcome=fail")]
    assert payments.status().paid == {"failed": 1} and payments.status().waiting == 0
    await payments.close()


def test_a_full_book_of_waiting_citizens_drops_a_link_and_says_so() -> None:
    payments = CitizenPayments(
        SimulatedClock(start=MONDAY, real=lambda: 0.0), seed=1, rates=RATES, capacity=1
    )
    assert payments.owe("A-0001", "http://paygov/pay/a") is not None
    assert payments.owe("A-0002", "http://paygov/pay/b") is None
    assert payments.status().answers == {"error:TooManyWaiting": 1} and payments.status().owed == 1
