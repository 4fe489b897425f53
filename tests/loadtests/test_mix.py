"""The traffic mix: payloads the adapters accept, drawn from the mocks' population; skipping by catalog."""

from __future__ import annotations

import random

import pytest
from pydantic import BaseModel

from adapters.civil import models as civil
from adapters.payment import models as payment
from adapters.population import models as population
from adapters.vnpost import models as vnpost
from loadtests.mix import WEIGHTS, available, service_code
from loadtests.scenarios import civil as civil_scenarios
from loadtests.scenarios import payment as payment_scenarios
from loadtests.scenarios import population as population_scenarios
from loadtests.scenarios import portal as portal_scenarios
from loadtests.scenarios import vnpost as vnpost_scenarios
from loadtests.scenarios.base import Draw, Scenario
from services.citizens import Population

PEOPLE = Population()


@pytest.mark.parametrize(
    ("scenario", "model"),
    [
        (population_scenarios.VERIFY_CITIZEN, population.VerifyCitizenRequest),
        (population_scenarios.LOOKUP_CITIZEN, population.CitizenLookupRequest),
        (civil_scenarios.REGISTER_BIRTH, civil.BirthRegistrationRequest),
        (civil_scenarios.REGISTER_MARRIAGE, civil.MarriageRegistrationRequest),
        (civil_scenarios.CERTIFY_MARITAL_STATUS, civil.MaritalStatusCertificateRequest),
        (civil_scenarios.LOOKUP_CIVIL_STATUS, civil.RecordLookupRequest),
        (payment_scenarios.PAY_FEES, payment.InitiatePaymentRequest),
        (vnpost_scenarios.SEND_BY_POST, vnpost.PostOrderRequest),
    ],
    ids=lambda x: getattr(x, "name", getattr(x, "__name__", "")),
)
def test_first_step_is_a_valid_canonical_request(scenario: Scenario, model: type[BaseModel]) -> None:
    for seed in range(5):
        body = next(scenario.run(Draw(random.Random(seed), PEOPLE, "t"))).body
        model.model_validate(body)


def test_population_scenarios_draw_citizens_the_mocks_know() -> None:
    draw = Draw(random.Random(7), PEOPLE, "t")
    for _ in range(20):
        body = next(population_scenarios.VERIFY_CITIZEN.run(draw)).body
        assert body is not None
        citizen = PEOPLE.citizen(body["id_number"])
        assert citizen is not None and citizen.full_name == body["full_name"]


def test_look_up_check_rejects_another_citizens_record() -> None:
    step = next(population_scenarios.LOOKUP_CITIZEN.run(Draw(random.Random(1), PEOPLE, "t")))
    wrong = {"found": True, "citizen": {"id_number": "000000000000", "name": {"full_name": "X"}}}
    assert step.check(wrong) is not None
    assert step.check({"no": "found key"}) is not None


def test_scenarios_of_services_missing_from_the_catalog_are_skipped_with_a_reason() -> None:
    ids = ["VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1", "VN/GOV/BCA/CSDLDC/XacMinhThongTinNhanThan/v1"]
    kept, by_code, skipped = available(ids)
    assert set(kept) == {population_scenarios.VERIFY_CITIZEN, population_scenarios.LOOKUP_CITIZEN}
    assert by_code["XacThucThongTinCongDan"] == ids[0]
    assert len(skipped) == len(WEIGHTS) - 2
    assert any("fee payment: skipped" in reason and "KhoiTaoThanhToan" in reason for reason in skipped)


def test_service_code_is_the_second_last_part() -> None:
    assert service_code("VN/GOV/BTP/HOTICH/DangKyKhaiSinh/v1") == "DangKyKhaiSinh"


def test_dossier_sync_files_the_dossier_on_the_portal_before_sending_it() -> None:
    steps = portal_scenarios.SYNC_DOSSIER.run(Draw(random.Random(3), PEOPLE, "t"))
    filing = next(steps)
    assert filing.portal_path == portal_scenarios.PORTAL_DOSSIERS and filing.body is not None
    number = filing.body["MaHoSo"]
    assert filing.check({"error_code": "0", "MaHoSo": number}) is None
    assert filing.check({"error_code": "0", "MaHoSo": "H31-other"}) is not None
    sync = steps.send({"error_code": "0", "MaHoSo": number})
    assert (sync.service_code, sync.portal_path, sync.body) == ("DongBoHoSoMC", None, filing.body)
    assert portal_scenarios.SYNC_DOSSIER.needs_portal


def test_dossier_sync_check_wants_the_receipt_of_this_dossier() -> None:
    steps = portal_scenarios.SYNC_DOSSIER.run(Draw(random.Random(3), PEOPLE, "t"))
    filing = next(steps)
    assert filing.body is not None
    step = steps.send({"MaHoSo": filing.body["MaHoSo"]})
    assert step.body is not None
    receipt = {"dossier_number": step.body["MaHoSo"], "system_id": "MC.031.1", "received_at": "2026-12-04"}
    assert step.check(receipt) is None
    assert step.check(receipt | {"dossier_number": "H31-other"}) is not None
    assert step.check(receipt | {"system_id": ""}) is not None
    assert step.check({}) is not None and step.check("ok") is not None


def test_payment_page_check_wants_this_payment_succeeded() -> None:
    steps = payment_scenarios.PAY_FEES.run(Draw(random.Random(4), PEOPLE, "t"))
    first = next(steps)
    assert first.body is not None
    reference = first.body["reference"]
    page = steps.send({"reference": reference, "payment_url": "http://127.0.0.1:1/pay/x"})
    assert page.direct_url == "http://127.0.0.1:1/pay/x"
    assert page.check(f"<h1>Kết quả giao dịch</h1><p>{reference}: succeeded</p>") is None
    assert page.check(f"<p>{reference}: failed</p>") is not None
    assert page.check("<p>PAY-someone-else: succeeded</p>") is not None
    assert page.check("<h1>Không thể thực hiện giao dịch</h1>") is not None
