"""The portal's citizens paying the fee on the payment link the province sends with status 6: drawn from
the seed, paid on the platform's page in simulated working time."""

from __future__ import annotations

import itertools
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


async def pay_next(payments: CitizenPayments, clock: SimulatedClock) -> float:
    """Run the simulated clock on, 5 minutes at a time (a day at most), until a page is submitted; when."""
    for _ in range(24 * 12):
        if await payments.pay_due():
            return clock.now()
        clock.jump_to(clock.now() + 300)
    raise AssertionError("nothing came due within a day")


async def test_a_citizen_whose_page_fails_submits_it_again_later_three_times_in_all() -> None:
    answers = iter([httpx.Response(503), httpx.ConnectError("down"), httpx.Response(200, text="ok")])
    clock = SimulatedClock(start=MONDAY, real=lambda: 0.0)

    def page(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    payments = CitizenPayments(clock, seed=1, rates=PayerRates(0, 0, 0), capacity=10,
                               transport=httpx.MockTransport(page))  # fmt: skip
    assert payments.owe("H31.LT-00001", "http://paygov/pay/abc") is not None
    submitted = [await pay_next(payments, clock) for _ in range(3)]
    assert payments.status().paid == {"on_time": 1} and payments.status().waiting == 0
    assert payments.status().answers == {"503": 1, "error:ConnectError": 1, "200": 1}
    at = [datetime.fromtimestamp(t, VIETNAM) for t in submitted]
    assert [CALENDAR.working_time_between(a, b) for a, b in itertools.pairwise(at)] == [
        timedelta(minutes=15), timedelta(minutes=15)
    ]  # fmt: skip
    await payments.close()


async def test_a_citizen_gives_up_after_three_failed_pages_and_a_refusal_is_not_retried() -> None:
    clock = SimulatedClock(start=MONDAY, real=lambda: 0.0)
    status = iter([503, 502, 500, 409])
    payments = CitizenPayments(
        clock, seed=1, rates=PayerRates(0, 0, 0), capacity=10,
        transport=httpx.MockTransport(lambda request: httpx.Response(next(status))),
    )  # fmt: skip
    assert payments.owe("H31.LT-00001", "http://paygov/pay/a") is not None
    for _ in range(3):
        await pay_next(payments, clock)
    assert payments.status().waiting == 0  # given up
    assert payments.owe("H31.LT-00002", "http://paygov/pay/b") is not None
    await pay_next(payments, clock)
    assert payments.status().waiting == 0  # a 4xx is the platform's answer: not tried again
    assert payments.status().answers == {"503": 1, "502": 1, "500": 1, "409": 1}
    assert payments.status().paid == {}
    await payments.close()
