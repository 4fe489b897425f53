"""The VNPost mock: OAuth2 client credentials, postOrder, cancelOrder, getOrderTracking, simulated clock."""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.faults import Latency
from services.vnpost import SimulatedClock, TrackingStatus, VnpostSettings, create_app, plan_journey

CLIENT = "HPG_LGSP"
SECRET = "test-vnpost-secret"
CUSTOMER = "HPG_STP"

# Every transition the state machine allows (7 = cancelled, from 1 or 2 only).
ALLOWED = {(1, 2), (2, 3), (3, 4), (3, 5), (5, 3), (5, 6), (1, 7), (2, 7)}


def settings(**changes: Any) -> VnpostSettings:
    values: dict[str, Any] = {"clients": {CLIENT: SECRET}, "latency": Latency(), "seed": 31}
    return VnpostSettings(**(values | changes))


def order(number: str = "DH-0001", customer: str = CUSTOMER, **changes: Any) -> dict[str, Any]:
    return {
        "CustomerCode": customer,
        "OrderNumber": number,
        "CODAmount": 0,
        "SenderProvince": "31",
        "SenderDistrict": "303",
        "SenderAddress": "Số 1 Lê Đại Hành, Hồng Bàng",
        "SenderName": "Sở Tư pháp Hải Phòng",
        "SenderTel": "02253842515",
        "ReceiverName": "Phạm Thị Lan",
        "ReceiverAddress": "Số 12 Lạch Tray, Ngô Quyền",
        "ReceiverTel": "0912345678",
        "ReceiverProvince": "31",
        "ReceiverDistrict": "304",
        "Description": "Trả kết quả hồ sơ khai sinh",
    } | changes


def s10_check_digit(serial: str) -> int:
    remainder = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11
    check = 11 - remainder
    return {10: 0, 11: 5}.get(check, check)


async def serve(vnpost_settings: VnpostSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(vnpost_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://vnpost", timeout=5) as client:
            yield client


@pytest.fixture
async def vnpost() -> AsyncIterator[httpx.AsyncClient]:
    async for client in serve(settings()):
        yield client


async def bearer(client: httpx.AsyncClient) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}
    response = await client.post("/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['access_token']}"}


async def tracking(client: httpx.AsyncClient, auth: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await client.get(
        "/api/v1/getOrderTracking", params={"CustomerCode": CUSTOMER} | params, headers=auth
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def effects(client: httpx.AsyncClient) -> dict[str, int]:
    result: dict[str, int] = (await client.get("/_control/effects")).json()
    return result


async def test_client_credentials_in_the_form_get_a_bearer_token_that_opens_the_api(
    vnpost: httpx.AsyncClient,
) -> None:
    form = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET}
    response = await vnpost.post("/oauth/token", data=form)

    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert response.headers["cache-control"] == "no-store"
    auth = {"authorization": f"Bearer {body['access_token']}"}
    assert (await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)).status_code == 200


async def test_client_credentials_by_basic_auth_get_a_token(vnpost: httpx.AsyncClient) -> None:
    basic = base64.b64encode(f"{CLIENT}:{SECRET}".encode()).decode()

    response = await vnpost.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"authorization": f"Basic {basic}"}
    )

    assert response.status_code == 200
    assert response.json()["access_token"]


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": "wrong"},
        {"grant_type": "client_credentials", "client_id": "SOMEONE", "client_secret": SECRET},
        {"grant_type": "client_credentials", "client_id": CLIENT},
    ],
)
async def test_bad_client_credentials_are_refused_401_invalid_client(
    vnpost: httpx.AsyncClient, form: dict[str, str]
) -> None:
    response = await vnpost.post("/oauth/token", data=form)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert (await effects(vnpost))["tokens_issued"] == 0


async def test_grant_other_than_client_credentials_is_refused_400(vnpost: httpx.AsyncClient) -> None:
    form = {"grant_type": "password", "client_id": CLIENT, "client_secret": SECRET}

    response = await vnpost.post("/oauth/token", data=form)

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_api_without_a_token_answers_401_with_a_bearer_challenge_and_creates_nothing(
    vnpost: httpx.AsyncClient,
) -> None:
    response = await vnpost.post("/api/v1/postOrder", json=order())

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="vnpost"')
    assert (await effects(vnpost))["orders_posted"] == 0


async def test_unknown_token_answers_401_invalid_token(vnpost: httpx.AsyncClient) -> None:
    response = await vnpost.get(
        "/api/v1/getOrderTracking",
        params={"CustomerCode": CUSTOMER},
        headers={"authorization": "Bearer forged"},
    )

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_expired_token_answers_401_invalid_token() -> None:
    async for client in serve(settings(token_ttl_s=0.2)):
        auth = await bearer(client)
        assert (await client.post("/api/v1/postOrder", json=order(), headers=auth)).status_code == 200
        await asyncio.sleep(0.3)

        response = await client.post("/api/v1/postOrder", json=order("DH-0002"), headers=auth)

        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert (await effects(client))["orders_posted"] == 1


async def test_post_order_answers_status_00_and_a_valid_s10_item_code(vnpost: httpx.AsyncClient) -> None:
    response = await vnpost.post("/api/v1/postOrder", json=order(), headers=await bearer(vnpost))

    body = response.json()
    assert body["Status"] == "00"
    match = re.fullmatch(r"EB(\d{8})(\d)VN", body["ItemCode"])
    assert match is not None
    assert int(match.group(2)) == s10_check_digit(match.group(1))


async def test_post_order_is_idempotent_on_the_order_number(vnpost: httpx.AsyncClient) -> None:
    auth = await bearer(vnpost)
    first = await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)
    second = await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)

    assert second.json() == first.json()
    assert (await effects(vnpost))["orders_posted"] == 1
    assert (await tracking(vnpost, auth))["_returned"] == 1


async def test_order_number_reused_with_other_content_is_refused_02_and_keeps_the_first(
    vnpost: httpx.AsyncClient,
) -> None:
    auth = await bearer(vnpost)
    await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)

    response = await vnpost.post("/api/v1/postOrder", json=order(CODAmount=50_000), headers=auth)

    assert response.status_code == 409
    assert response.json()["Status"] == "02"
    assert (await effects(vnpost))["orders_posted"] == 1


@pytest.mark.parametrize(
    ("field", "value"), [("ReceiverTel", "abc"), ("CODAmount", -1), ("CODAmount", "0"), ("ReceiverName", "")]
)
async def test_malformed_order_is_refused_01_naming_the_field_and_creates_nothing(
    vnpost: httpx.AsyncClient, field: str, value: object
) -> None:
    auth = await bearer(vnpost)

    response = await vnpost.post("/api/v1/postOrder", json=order() | {field: value}, headers=auth)

    assert response.status_code == 400
    assert response.json()["Status"] == "01" and field in response.json()["Message"]
    assert (await tracking(vnpost, auth))["_returned"] == 0


async def test_tracking_pages_through_the_customers_orders_with_last_id(vnpost: httpx.AsyncClient) -> None:
    auth = await bearer(vnpost)
    for n in range(5):
        await vnpost.post("/api/v1/postOrder", json=order(f"DH-{n}"), headers=auth)
    await vnpost.post("/api/v1/postOrder", json=order("DH-X", customer="HPG_OTHER"), headers=auth)

    seen: list[str] = []
    last_id = 0
    for expected in (2, 2, 1, 0):
        page = await tracking(vnpost, auth, pagesize=2, lastId=last_id)
        assert (page["_returned"], page["_total_pages"]) == (expected, 3)
        seen += [item["OrderNumber"] for item in page["_embedded"]]
        last_id = page["_embedded"][-1]["Id"] if page["_embedded"] else last_id

    assert seen == [f"DH-{n}" for n in range(5)]


@pytest.mark.parametrize("params", [{"pagesize": 0}, {"pagesize": 101}, {"lastId": -1}, {"pagesize": "ten"}])
async def test_tracking_with_bad_paging_is_refused_01(
    vnpost: httpx.AsyncClient, params: dict[str, Any]
) -> None:
    response = await vnpost.get(
        "/api/v1/getOrderTracking", params={"CustomerCode": CUSTOMER} | params, headers=await bearer(vnpost)
    )

    assert response.status_code == 400
    assert response.json()["Status"] == "01"


async def test_a_new_order_is_tracked_as_accepted_1(vnpost: httpx.AsyncClient) -> None:
    auth = await bearer(vnpost)
    await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)

    item = (await tracking(vnpost, auth))["_embedded"][0]

    assert (item["StatusCode"], item["StatusMessage"]) == (1, "Bưu cục đã nhận bưu gửi")
    assert re.fullmatch(r"\d{6}", item["POSID"])
    assert item["EventTime"].endswith("+07:00")


async def test_orders_move_only_along_the_state_machine_as_the_clock_advances(
    vnpost: httpx.AsyncClient,
) -> None:
    auth = await bearer(vnpost)
    for n in range(40):
        await vnpost.post("/api/v1/postOrder", json=order(f"DH-{n}"), headers=auth)
    paths: dict[str, list[int]] = {f"DH-{n}": [1] for n in range(40)}

    for _ in range(8 * 24 * 2):  # eight simulated days in half-hour steps
        assert (await vnpost.post("/_control/clock/advance", json={"hours": 0.5})).status_code == 200
        for item in (await tracking(vnpost, auth, pagesize=100))["_embedded"]:
            path = paths[item["OrderNumber"]]
            if item["StatusCode"] != path[-1]:
                path.append(item["StatusCode"])

    for path in paths.values():
        assert all(step in ALLOWED for step in itertools.pairwise(path)), path
        assert path[-1] in (TrackingStatus.DELIVERED, TrackingStatus.RETURNED), path
    assert sum(path[-1] == TrackingStatus.DELIVERED for path in paths.values()) >= 30


def test_failed_attempts_and_returns_happen_at_about_the_configured_rates() -> None:
    journeys = [plan_journey(31, f"C/{n}", 0.0, 0.06, 0.02) for n in range(5000)]

    failed = sum(any(e.status is TrackingStatus.FAILED_ATTEMPT for e in j) for j in journeys) / 5000
    returned = sum(j[-1].status is TrackingStatus.RETURNED for j in journeys) / 5000

    assert 0.065 < failed < 0.095  # 6 % fail once then delivered + 2 % fail twice then returned
    assert 0.012 < returned < 0.028


def test_a_journey_depends_only_on_seed_order_and_acceptance_time() -> None:
    assert plan_journey(31, "C/1", 1000.0, 0.06, 0.02) == plan_journey(31, "C/1", 1000.0, 0.06, 0.02)
    assert plan_journey(31, "C/1", 1000.0, 0.06, 0.02) != plan_journey(32, "C/1", 1000.0, 0.06, 0.02)
    times = [e.at for e in plan_journey(31, "C/1", 1000.0, 0.06, 0.02)]
    assert times == sorted(times) and times[0] == 1000.0


async def test_cancel_is_allowed_before_delivery_starts_and_freezes_the_order(
    vnpost: httpx.AsyncClient,
) -> None:
    auth = await bearer(vnpost)
    await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)
    command = {"CustomerCode": CUSTOMER, "OrderNumber": "DH-0001"}

    first = await vnpost.post("/api/v1/cancelOrder", json=command, headers=auth)
    again = await vnpost.post("/api/v1/cancelOrder", json=command, headers=auth)
    await vnpost.post("/_control/clock/advance", json={"hours": 24 * 10})

    assert first.json()["Status"] == again.json()["Status"] == "00"
    assert (await tracking(vnpost, auth))["_embedded"][0]["StatusCode"] == TrackingStatus.CANCELLED
    assert (await effects(vnpost))["orders_cancelled"] == 1


async def test_cancel_after_the_parcel_went_out_for_delivery_is_refused_04(vnpost: httpx.AsyncClient) -> None:
    auth = await bearer(vnpost)
    await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)
    await vnpost.post("/_control/clock/advance", json={"hours": 24 * 10})
    before = (await tracking(vnpost, auth))["_embedded"][0]

    response = await vnpost.post(
        "/api/v1/cancelOrder", json={"CustomerCode": CUSTOMER, "OrderNumber": "DH-0001"}, headers=auth
    )

    assert response.status_code == 409
    assert response.json()["Status"] == "04"
    assert (await tracking(vnpost, auth))["_embedded"][0] == before


async def test_cancel_of_an_unknown_order_is_refused_03(vnpost: httpx.AsyncClient) -> None:
    response = await vnpost.post(
        "/api/v1/cancelOrder",
        json={"CustomerCode": CUSTOMER, "OrderNumber": "NOPE"},
        headers=await bearer(vnpost),
    )

    assert response.status_code == 404
    assert response.json()["Status"] == "03"


async def test_clock_speed_is_set_at_runtime_and_bad_values_change_nothing(vnpost: httpx.AsyncClient) -> None:
    assert (await vnpost.post("/_control/clock", json={"speed": 3600})).json()["speed"] == 3600

    for bad in ({"speed": 0}, {"speed": "fast"}, {}):
        response = await vnpost.post("/_control/clock", json=bad)
        assert response.status_code == 400 and response.json()["Status"] == "01"
    for bad in ({"hours": -1}, {"hours": 0}, {"hours": 24 * 400}):
        assert (await vnpost.post("/_control/clock/advance", json=bad)).status_code == 400

    assert (await vnpost.get("/_control/clock")).json()["speed"] == 3600


def test_simulated_clock_runs_at_its_speed_and_keeps_time_continuous_across_changes() -> None:
    real = [1000.0]
    clock = SimulatedClock(speed=60, start=0.0, real=lambda: real[0])

    real[0] += 10
    assert clock.now() == 600
    clock.set_speed(1)
    real[0] += 10
    assert clock.now() == 610
    clock.advance(2)
    assert clock.now() == 610 + 7200
    with pytest.raises(ValueError, match="hours"):
        clock.advance(-1)
    assert clock.now() == 610 + 7200


def test_settings_read_clients_and_speed_from_lgsp_vnpost_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LGSP_VNPOST_CLIENTS", '{"QNH_LGSP": "quang-ninh"}')
    monkeypatch.setenv("LGSP_VNPOST_CLOCK_SPEED", "3600")

    loaded = VnpostSettings()

    assert {c: s.get_secret_value() for c, s in loaded.clients.items()} == {"QNH_LGSP": "quang-ninh"}
    assert loaded.clock_speed == 3600


async def test_fault_controls_change_what_a_caller_sees_and_reset_restores_it(
    vnpost: httpx.AsyncClient,
) -> None:
    auth = await bearer(vnpost)
    assert (await vnpost.patch("/_control/faults", json={"outage": True})).status_code == 200

    during = await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)
    await vnpost.post("/_control/faults/reset")
    after = await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)

    assert during.status_code == 503
    assert after.status_code == 200
    assert (await effects(vnpost))["orders_posted"] == 1


async def test_the_clock_jumps_forward_to_follow_another_and_never_back(vnpost: httpx.AsyncClient) -> None:
    auth = await bearer(vnpost)
    await vnpost.post("/api/v1/postOrder", json=order(), headers=auth)
    now = datetime.fromisoformat((await vnpost.get("/_control/clock")).json()["now"])

    ahead = (now + timedelta(days=10)).isoformat()
    jumped = await vnpost.post("/_control/clock/jump", json={"now": ahead})
    assert jumped.status_code == 200 and datetime.fromisoformat(jumped.json()["now"]) >= now + timedelta(
        days=10
    )
    item = (await tracking(vnpost, auth))["_embedded"][0]
    assert item["StatusCode"] == TrackingStatus.DELIVERED

    back = await vnpost.post("/_control/clock/jump", json={"now": now.isoformat()})
    assert back.status_code == 409 and "never runs backwards" in back.json()["detail"]
    assert datetime.fromisoformat((await vnpost.get("/_control/clock")).json()["now"]) >= now + timedelta(
        days=10
    )
    naive = await vnpost.post("/_control/clock/jump", json={"now": "2026-12-07T09:00:00"})
    assert naive.status_code == 400
