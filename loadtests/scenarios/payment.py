"""Paying a dossier's fees: initiate through the bus, the payer pays on PayGov's page, status through the bus.

The platform then sends its signed confirmation (IPN) to the LGSP by itself; the status query is the
polling path a reconciliation job uses when a confirmation never arrives.
"""

from __future__ import annotations

from typing import Any

from loadtests.scenarios.base import Check, Draw, Scenario, Step, Steps, expect_keys

INITIATE = "KhoiTaoThanhToan"
STATUS = "TraCuuGiaoDich"
FEES = (("fee", "PHI-KS", "Phí cấp bản sao trích lục", 8_000), ("charge", "LP-HT", "Lệ phí hộ tịch", 5_000))


def _pay(draw: Draw) -> Steps:
    payer_id, payer = draw.identity(lambda c: c.birth_date.year <= 2005)
    reference = draw.unique("PAY")
    fees = [{"kind": k, "code": c, "name": n, "amount_vnd": a} for k, c, n, a in FEES]
    body = {
        "reference": reference,
        "amount_vnd": sum(f[3] for f in FEES),
        "description": f"Nộp phí hồ sơ {reference}",
        "dossier": {
            "procedure_code": "1.001193",
            "service_code": "DVC-KS",
            "agency_code": "H31",
            "dossier_number": reference,
            "payer_name": payer.full_name,
            "payer_id_number": payer_id,
            "fees": fees,
        },
    }

    def initiated(answer: Any) -> str | None:
        problem = expect_keys(answer, "payment_url", "reference")
        if problem:
            return problem
        if answer["reference"] != reference or not str(answer["payment_url"]).startswith("http"):
            return f"initiation of {reference} answered {str(answer)[:120]}"
        return None

    started = yield Step(INITIATE, body, initiated)  # a refusal ends the scenario (`play`)
    page_check = _page_says_paid(reference)
    yield Step("", None, page_check, direct_url=started["payment_url"], form={"outcome": "success"})

    def paid(answer: Any) -> str | None:
        problem = expect_keys(answer, "reference", "status")
        if problem:
            return problem
        if answer["reference"] != reference or answer["status"] not in ("success", "pending"):
            return f"payment {reference} paid but its status is {str(answer)[:120]}"
        return None

    yield Step(STATUS, {"reference": reference}, paid)


def _page_says_paid(reference: str) -> Check:
    """The payer's result page must name this payment as succeeded (`PAY-…: succeeded`), or pending when
    the intermediary timed out (the status step accepts that too)."""

    def check(page: Any) -> str | None:
        if isinstance(page, str) and any(
            f"{reference}: {state}" in page for state in ("succeeded", "pending")
        ):
            return None
        return f"the payment page for {reference} answered {str(page)[:120]!r}"

    return check


PAY_FEES = Scenario("fee payment", (INITIATE, STATUS), _pay)
