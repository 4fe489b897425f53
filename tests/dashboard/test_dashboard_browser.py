"""/ui in a real Chromium against a running embedded stack: offline, complete, live, and driving faults.

Screenshots of each view are written to docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from lgsp.default_catalog import DEFAULT_CATALOG
from tests.dashboard.conftest import ADMIN_KEY, LiveStack, PageWatch, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MOTCUA = {"X-Road-Client": "VN/GOV/HPG/MOTCUA", "X-Api-Key": "motcua-demo-key"}
STP = {"X-Road-Client": "VN/GOV/HPG/STP", "X-Api-Key": "stp-demo-key", "X-Road-UserId": "CB031001"}
ECHO = "VN/GOV/HPG/LGSP/Echo/v1"
VERIFY_CITIZEN = "VN/GOV/BCA/CSDLDC/XacThucThongTinCongDan/v1"


@pytest.fixture(scope="module")
def session(browser: Any, live_stack: LiveStack) -> Iterator[tuple[Any, PageWatch]]:
    """One page, signed in through the launch link `lgsp run` prints, watched for errors and escapes."""
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()
    seen = watch(page)
    page.goto(live_stack.link)
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    yield page, seen
    context.close()


def show(page: Any, view: str) -> None:
    page.click(f"#tabs button[data-view={view}]")
    page.wait_for_selector(f"#view-{view}:not([hidden])")


def row(page: Any, node: str) -> Any:
    return page.locator(f"#systems tr[data-node='{node}']")


def expected_nodes() -> set[str]:
    """Every system the packaged catalog declares, read independently of the dashboard's code."""
    import yaml

    catalog = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    callers = {f"caller:{client['id']}" for client in catalog["clients"]}
    providers = {f"provider:{service['adapter']}" for service in catalog["services"]}
    return {"lgsp", *callers, *providers}


def test_page_loads_offline_with_no_console_error_and_shows_every_system(
    session: tuple[Any, PageWatch], live_stack: LiveStack
) -> None:
    page, seen = session
    assert "launch=" not in page.url, "the one-time token stays in the address bar"
    shown = set(page.locator("#systems tr[data-node]").evaluate_all("rows => rows.map(r => r.dataset.node)"))
    assert shown == expected_nodes()
    drawn = set(page.evaluate("window.lgspDashboard.cy.nodes().not('.group').map(n => n.id())"))
    assert drawn == expected_nodes()
    page.wait_for_timeout(1200)  # a tick of the live feed
    page.screenshot(path=str(SCREENSHOTS / "topology.png"))
    assert seen.console_errors == [] and seen.outside_requests == []
    reused = httpx.post(
        f"{live_stack.gateway}/ui/session", json={"launch_token": live_stack.link.split("=")[-1]}
    )
    assert reused.status_code == 401, "a launch link signs in once only"


def test_a_call_through_the_api_appears_within_two_seconds_and_opens_its_log_record(
    session: tuple[Any, PageWatch], live_stack: LiveStack
) -> None:
    page, seen = session
    show(page, "transactions")
    before = httpx.post(f"{live_stack.gateway}/r1/{ECHO}", json={}, headers=STP)  # a link to check
    assert before.status_code == 200
    answer = httpx.post(
        f"{live_stack.gateway}/r1/{ECHO}",
        json={"ho_ten": "Lê Văn Tám"},
        headers={**STP, "X-Road-Issue": "HS-DASH-1"},
    )
    assert answer.status_code == 200
    transaction = answer.headers["x-road-id"]
    started = time.monotonic()
    page.wait_for_selector(f"#transactions tr[data-id='{transaction}']", timeout=2_000)
    assert time.monotonic() - started < 2.0
    page.click(f"#transactions tr[data-id='{transaction}']")
    page.wait_for_selector("#tx-detail table.checks")
    assert "HS-DASH-1" in page.inner_text("#tx-detail pre")
    checks = page.locator("#tx-detail table.checks tr").all_inner_texts()
    assert any(c.startswith("content") and "intact" in c for c in checks), checks
    assert any(c.startswith("previous") and "intact" in c for c in checks), checks
    assert not any("BROKEN" in c for c in checks), checks
    page.screenshot(path=str(SCREENSHOTS / "transactions.png"))
    assert seen.console_errors == [] and seen.outside_requests == []


def _call_population(gateway: str, count: int) -> list[int]:
    def one(_: int) -> int:
        body = {"id_number": "031000000000"}
        return httpx.post(f"{gateway}/r1/{VERIFY_CITIZEN}", json=body, headers=STP, timeout=15).status_code

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def test_an_outage_injected_from_the_page_fails_the_provider_and_clearing_it_recovers(
    session: tuple[Any, PageWatch], live_stack: LiveStack
) -> None:
    page, seen = session
    show(page, "faults")
    page.wait_for_selector("#faults tr[data-mock='population']")
    page.click("#faults tr[data-mock='population'] button[data-fault='outage']")
    page.wait_for_function(
        "document.querySelector(\"#faults tr[data-mock='population'] .fault-now\")"
        ".textContent.includes('outage')",
        timeout=5_000,
    )
    page.screenshot(path=str(SCREENSHOTS / "faults.png"))
    statuses = _call_population(live_stack.gateway, 8)
    assert all(status >= 500 for status in statuses), statuses
    show(page, "topology")
    population = row(page, "provider:population")
    page.wait_for_function(
        "(() => { const r = document.querySelector(\"#systems tr[data-node='provider:population']\");"
        " return r.dataset.state === 'failed' && r.dataset.breaker === 'open'; })()",
        timeout=3_000,
    )
    assert page.evaluate("window.lgspDashboard.cy.$id('provider:population').data('state')") == "failed"
    # The failed calls' messages went to the dead-letter queue, and the page counts them.
    page.wait_for_function(
        "Number(document.querySelector(\"#systems tr[data-node='provider:population'] .dlq\")"
        ".textContent) > 0",
        timeout=5_000,
    )
    page.screenshot(path=str(SCREENSHOTS / "topology-outage.png"))

    show(page, "faults")
    page.click("#faults tr[data-mock='population'] button[data-fault='clear']")
    show(page, "topology")
    deadline = time.monotonic() + 15
    while (
        population.get_attribute("data-breaker") != "closed"
        or population.get_attribute("data-state") == "failed"
    ):
        assert time.monotonic() < deadline, "the breaker did not close after the outage was cleared"
        _call_population(live_stack.gateway, 1)  # the half-open probe that closes the circuit
        page.wait_for_timeout(500)
    assert population.get_attribute("data-state") in ("ok", "failing")
    assert seen.console_errors == [] and seen.outside_requests == []


# Where the drawing is illegible: an edge's straight line through a system it does not join (its node
# or its label, group labels included), or two systems' labels over each other. Model coordinates.
CLUTTER = """(figures) => {
  const cy = window.lgspDashboard.cy;
  const systems = cy.nodes().not('.group');
  // the widest figures on every caller and provider at once, as under a load that reaches them all
  systems.not('.bus').forEach((n) => n.data('label', `${n.data('name')}\\n${figures}`));
  const box = (n) => n.boundingBox({ includeLabels: true, includeOverlays: false });
  const label = (g) => g.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
  const inside = (p, b) => p.x > b.x1 && p.x < b.x2 && p.y > b.y1 && p.y < b.y2;
  const meet = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  const found = [];
  cy.edges().forEach((edge) => {
    const from = edge.sourceEndpoint(), to = edge.targetEndpoint();
    const others = [...systems.difference(edge.connectedNodes()).map((n) => [n.id(), box(n)]),
                    ...cy.nodes('.group').map((g) => [g.id() + ' label', label(g)])];
    for (const [id, b] of others) {
      for (let i = 1; i < 100; i++) {
        const p = { x: from.x + ((to.x - from.x) * i) / 100, y: from.y + ((to.y - from.y) * i) / 100 };
        if (inside(p, b)) { found.push(`${edge.id()} crosses ${id}`); break; }
      }
    }
  });
  systems.forEach((a) => systems.forEach((b) => {
    if (a.id() < b.id() && meet(box(a), box(b))) found.push(`${a.id()} overlaps ${b.id()}`);
  }));
  return found;
}"""


def test_the_topology_stays_legible_with_every_edge_labelled(
    session: tuple[Any, PageWatch], live_stack: LiveStack
) -> None:
    """A call's figures are written beside the system its edge reaches; with the widest figures on every
    system at once, no edge runs through a system it does not join and no two systems' labels overlap."""
    page, seen = session
    show(page, "topology")
    answer = httpx.post(f"{live_stack.gateway}/r1/{ECHO}", json={}, headers=STP)
    assert answer.status_code == 200
    page.wait_for_function(
        "window.lgspDashboard.cy.$id('provider:echo').data('label').includes('% err · p95')", timeout=3_000
    )
    echo = page.evaluate("window.lgspDashboard.cy.$id('provider:echo').data('label')")
    assert echo.startswith("echo\n") and "/s · 0% err · p95 " in echo, echo
    assert page.evaluate(CLUTTER, "88.8/s · 100% err · p95 8888 ms") == []
    assert seen.console_errors == [] and seen.outside_requests == []


def test_the_journeys_and_load_views_render_without_inventing_data(session: tuple[Any, PageWatch]) -> None:
    page, seen = session
    show(page, "journeys")
    page.wait_for_selector("#journeys p.hint")
    assert "No journeys yet" in page.inner_text("#journeys")
    show(page, "load")
    assert page.locator("#load-controls button[data-profile]").count() == 3
    assert "50 M" in page.inner_text("#view-load")
    assert seen.console_errors == [] and seen.outside_requests == []


def test_a_load_profile_started_from_the_page_drives_the_bus_until_stopped(
    session: tuple[Any, PageWatch],
) -> None:
    """The steady profile (lgsp capacity against this gateway, in its own process) shows on the charts,
    the yearly figure and the load-test client's edge; Stop ends it."""
    page, seen = session
    show(page, "load")
    page.click("#load-controls button[data-profile='steady']")
    page.wait_for_function("document.querySelector('#load-controls').textContent.includes('running')")
    loadtest = "window.lgspDashboard.cy.$id('caller:VN/GOV/HPG/LOADTEST').data('label')"
    page.wait_for_function(f"{loadtest}.includes('/s · ')", timeout=30_000)
    page.wait_for_timeout(8_000)  # a few seconds of the profile on the charts
    driven = page.evaluate("window.lgspDashboard.snapshot.edges['caller:VN/GOV/HPG/LOADTEST>lgsp'].rate")
    assert driven > 1, driven  # only the profile calls as the load-test client
    charted = page.evaluate("window.lgspDashboard.charts.rate.data[1].slice(-5)")
    assert max(charted) > driven / 2, charted  # the throughput chart carries it
    assert page.inner_text("#per-year").endswith(" M")
    page.screenshot(path=str(SCREENSHOTS / "load.png"))
    show(page, "topology")
    page.screenshot(path=str(SCREENSHOTS / "topology-load.png"))
    show(page, "load")
    page.click("#load-stop")
    page.wait_for_function(
        "document.querySelector('#load-controls').textContent.includes('ended')", timeout=15_000
    )
    assert seen.console_errors == [] and seen.outside_requests == []


def test_api_docs_render_offline(browser: Any, live_stack: LiveStack) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{live_stack.gateway}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=15_000)
    assert "LGSP gateway" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=5_000)
    page.screenshot(path=str(SCREENSHOTS / "docs.png"))
    context.close()
    assert seen.console_errors == [] and seen.outside_requests == []


WORKING_TIMES = [(0.5, "30 min"), (1.5, "1 h 30 min"), (8.0, "1 working day"), (17.0, "2 working days 1 h")]


def test_the_journeys_view_draws_one_lane_per_system_from_the_documented_shape(
    session: tuple[Any, PageWatch],
) -> None:
    """Fixed data at the HTTP boundary (the documented models), so the drawing itself is checked exactly:
    every step on its system's lane with its duration and verdict."""
    from bus.dashboard.journeys import JourneyList, JourneyStep, JourneySummary, JourneyTimeline, timeliness

    page, seen = session
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    journey = JourneySummary(
        id="J1", procedure="birth registration", dossier="HS-001", status="completed", started_at=start,
        finished_at=start + timedelta(minutes=9), on_time=True,
    )  # fmt: skip
    lanes = [("verify parents", "population"), ("register birth", "civil"), ("pay fee", "payment"),
             ("post certificate", "vnpost")]  # fmt: skip
    steps = [
        JourneyStep(
            step=name,
            system=system,
            transaction_id=f"tx-{i}",
            status="succeeded",
            started_at=start + timedelta(minutes=2 * i),
            finished_at=start + timedelta(minutes=2 * i + 1),
            deadline=start + timedelta(days=3),
            on_time=True,
            working_hours=hours,
            took=took,  # the server's working time: the page shows it, not its own count of seconds
        )
        for i, ((name, system), (hours, took)) in enumerate(zip(lanes, WORKING_TIMES, strict=True))
    ]
    listing = JourneyList(
        available=True, journeys=[journey], timeliness=timeliness([journey]), time_zone="Asia/Ho_Chi_Minh"
    )
    timeline = JourneyTimeline(journey=journey, steps=steps, time_zone="Asia/Ho_Chi_Minh")
    page.route("**/ui/api/journeys", lambda route: route.fulfill(json=listing.model_dump(mode="json")))
    page.route("**/ui/api/journeys/J1", lambda route: route.fulfill(json=timeline.model_dump(mode="json")))
    try:
        show(page, "journeys")
        page.click("#journey-list tr[data-journey='J1']")
        page.wait_for_selector("#journey-timeline .lanes")
        drawn = page.locator("#journey-timeline .lane-name").all_inner_texts()
        assert drawn == [system for _, system in lanes]
        assert page.locator("#journey-timeline .step").count() == 4
        table = page.locator("#journey-steps tr").all_inner_texts()[1:]
        assert [row.split("\t")[2] for row in table] == ["tx-0", "tx-1", "tx-2", "tx-3"]
        assert [row.split("\t")[3] for row in table] == [took for _, took in WORKING_TIMES]
        assert all(row.endswith("on time") for row in table), table
        # deadlines in the calendar's zone (08:00 UTC is 15:00 in Hải Phòng), as working time counts them
        assert all("3:00:00 PM GMT+7" in row.split("\t")[5] for row in table), table
        assert "100.0%" in page.inner_text("#journeys")
        axis = page.inner_text("#journey-timeline .axis")  # the bars span: first start to last end
        assert "3/2/2026, 3:00:00 PM GMT+7 to 3/2/2026, 3:07:00 PM GMT+7" in axis, axis
        assert "3/2/2026, 3:00:00 PM GMT+7" in page.inner_text("#journey-list")  # started, in that zone
        page.screenshot(path=str(SCREENSHOTS / "journeys-test-data.png"))
    finally:
        page.unroute("**/ui/api/journeys")
        page.unroute("**/ui/api/journeys/J1")
    assert seen.console_errors == [] and seen.outside_requests == []


def test_a_birth_journey_started_from_the_cli_shows_every_step_in_its_timeline(
    session: tuple[Any, PageWatch], live_stack: LiveStack
) -> None:
    page, seen = session
    started = subprocess.run(
        [sys.executable, "-m", "lgsp", "journey", "start", "birth", "--wait", "--timeout", "150",
         "--gateway", live_stack.gateway],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    listed = httpx.get(f"{live_stack.gateway}/journeys", headers=MOTCUA, params={"kind": "birth"}).json()
    journey = listed["journeys"][0]
    record = httpx.get(f"{live_stack.gateway}/journeys/{journey['journey_id']}", headers=MOTCUA).json()
    ran = record["steps"]
    assert ran and all(step["status"] == "done" for step in ran), ran
    show(page, "journeys")
    page.click(f"#journey-list tr[data-journey='{journey['journey_id']}']")
    # an earlier test's timeline may still be drawn: wait for this journey's steps to replace it
    page.wait_for_function(
        "n => document.querySelectorAll('#journey-timeline .step').length === n", arg=len(ran), timeout=10_000
    )
    drawn = set(page.locator("#journey-timeline .lane-name").all_inner_texts())
    assert drawn == {step["system"] for step in ran}
    shown = page.inner_text("#journey-steps")
    for step in ran:
        assert step["transaction_ids"][-1] in shown
    page.screenshot(path=str(SCREENSHOTS / "journeys.png"))
    assert seen.console_errors == [] and seen.outside_requests == []


def test_without_the_link_the_page_asks_for_a_credential_and_an_admin_key_opens_it(
    browser: Any, live_stack: LiveStack
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{live_stack.gateway}/ui/")
    page.wait_for_selector("#signin:not([hidden])")
    assert page.locator("#views").is_hidden()
    page.fill("#signin-admin input[name=admin_key]", "not the key")
    page.click("#signin-admin button")
    page.wait_for_function("document.querySelector('#signin-error').textContent.length > 0")
    page.fill("#signin-admin input[name=admin_key]", ADMIN_KEY)
    page.click("#signin-admin button")
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    assert "operator" in page.inner_text("#who")
    context.close()
    # The browser reports the refused attempts (401s) as failed loads; nothing else may go wrong.
    assert all("401" in error for error in seen.console_errors), seen.console_errors
    assert seen.outside_requests == []
