"""LGSP traffic for Locust: the weighted mix of loadtests/mix.py, shaped by loadtests/schedules.py.

HTTP only (Locust runs on gevent: nothing from bus/ or asyncio is imported here). Example:

    locust -f loadtests/locustfile.py --headless --host http://127.0.0.1:8000 \
        --lgsp-shape steady --lgsp-rate 20 --lgsp-seconds 60
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from locust import FastHttpUser, argument_parser, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadtests.callers import DEFAULT_CALLERS, Caller, offer, parse_callers
from loadtests.recorder import DIRECT_PREFIX, RequestRecorder, fault_type
from loadtests.scenarios.base import Check, Draw, Scenario, Sent, Share, Step, play, user_tag
from loadtests.scenarios.portal import PORTAL_DOSSIERS
from loadtests.scenarios.vnpost import SEND_BY_POST, TRACKED_FROM, TRACKING, cursor_query
from loadtests.schedules import SHAPES
from loadtests.shapes import ScheduledShape
from services.citizens import Population

__all__ = ["LgspUser", "ScheduledShape"]

log = logging.getLogger("lgsp.loadtest")
POPULATION = Population()  # same seed and size as the mocks', so every drawn id exists there
RECORDER = RequestRecorder()
ACTIVE: dict[Scenario, int] = {}
CALLERS: dict[Scenario, tuple[Caller, ...]] = {}
SERVICE_IDS: dict[str, str] = {}
OFFICERS = 200

# Locust's worker rebuilds its whole default argument parser once per option on every spawn message
# (runners.py: `k not in argument_parser.default_args_dict()` inside a comprehension): a quarter of a
# worker's CPU in a stepped run (py-spy). Those defaults are fixed for a process and only read.
argument_parser.default_args_dict = functools.cache(argument_parser.default_args_dict)


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _options(parser: Any) -> None:
    group = parser.add_argument_group("LGSP")
    group.add_argument("--lgsp-shape", choices=SHAPES, default="steady", help="load schedule")
    group.add_argument("--lgsp-rate", type=float, default=10.0, help="steady/base rate, scenarios per second")
    group.add_argument(
        "--lgsp-seconds", type=float, default=60.0, help="hold of a stage, day length, spike length"
    )
    group.add_argument("--lgsp-levels", default="", help="step levels, e.g. 1,5,10,50 (default up to 1000)")
    group.add_argument("--lgsp-user-rate", type=float, default=1.0, help="scenarios per second per user")
    group.add_argument(
        "--lgsp-clients",
        default=DEFAULT_CALLERS,
        help="client identities calling, CLIENT=KEY,…; each scenario goes out as one of those allowed it",
    )
    group.add_argument("--lgsp-seed", type=int, default=2023, help="seed of the users' draws")
    group.add_argument(
        "--lgsp-workers",
        type=int,
        default=0,
        help="Locust workers sharing out the people to marry or register dead (default: the master's "
        "--expect-workers)",
    )
    group.add_argument("--lgsp-raw", default="", help="write every request to this CSV at the end")
    group.add_argument(
        "--lgsp-until-slo-breaks", action="store_true", help="end the run at the first stage missing the SLO"
    )
    group.add_argument(
        "--lgsp-journeys", default="", help="journey run (journey_locustfile.py): the split, kind=share,…"
    )
    group.add_argument("--lgsp-journeys-raw", default="", help="write every journey to this CSV at the end")
    group.add_argument("--lgsp-journey-client", default="VN/GOV/HPG/MOTCUA", help="client starting journeys")
    group.add_argument("--lgsp-journey-key", default="motcua-demo-key", help="that client's API key")
    group.add_argument(
        "--lgsp-portal-url",
        default="http://127.0.0.1:8105",
        help="portal mock citizens file dossiers on (journeys; the dossier sync, before sending each)",
    )
    group.add_argument("--lgsp-journey-poll", type=float, default=1.0, help="seconds between journey polls")
    group.add_argument(
        "--lgsp-journey-drain", type=float, default=120.0, help="seconds following journeys after the end"
    )
    group.add_argument("--slo-p99-ms", type=float, default=1000.0, help="SLO: p99 latency bound")
    group.add_argument("--slo-error-rate", type=float, default=0.001, help="SLO: error ratio bound")


def options_of(environment: Environment) -> Any:
    """The parsed command line (always there once Locust runs a test)."""
    options = environment.parsed_options
    assert options is not None
    return options


def population_share(environment: Environment) -> Share:
    """This process's share of the people a run may marry or register dead: a worker's index of the worker
    count (the master relays its --lgsp-workers and --expect-workers); all of them when running alone."""
    if isinstance(environment.runner, WorkerRunner):
        options = options_of(environment)
        return Share(environment.runner.worker_index, options.lgsp_workers or options.expect_workers)
    return Share()


def user_draw(environment: Environment, letter: str) -> Draw:
    """A new simulated user's draws, seeded from the run seed and the user's tag (so runs repeat), taking
    the people a run may change only once from this process's share of the population."""
    tag = user_tag(letter, getattr(environment.runner, "worker_index", 0))
    seed = f"{options_of(environment).lgsp_seed}-{tag}"
    return Draw(random.Random(seed), POPULATION, tag, population_share(environment))


def _catalog(environment: Environment, caller: Caller) -> list[str]:
    """The service ids the gateway's catalog offers `caller`; none, said in the log, when the gateway
    does not know the caller or its key (another catalog than the default one)."""
    answer = requests.get(f"{environment.host}/catalog", headers=caller.headers(), timeout=10)
    if answer.status_code in (401, 403):
        log.warning("caller %s left out: the gateway answered %d", caller.client, answer.status_code)
        return []
    answer.raise_for_status()
    return [service["id"] for service in answer.json()["services"]]


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _discover(environment: Environment, **_: Any) -> None:
    """Keep the scenarios whose services the catalog offers one of the callers, with the callers allowed
    each; say which are skipped and why. A journey run (--lgsp-journeys) calls no /r1 service:
    journey_locustfile.py sets itself up."""
    RECORDER.restart()
    if options_of(environment).lgsp_journeys:
        return
    callers = parse_callers(options_of(environment).lgsp_clients)
    offered = offer({caller: _catalog(environment, caller) for caller in callers})
    ACTIVE.clear()
    ACTIVE.update(offered.weights)
    CALLERS.clear()
    CALLERS.update(offered.callers)
    SERVICE_IDS.clear()
    SERVICE_IDS.update(offered.service_ids)
    for reason in offered.skipped:
        log.warning(reason)
    for scenario in [s for s in ACTIVE if s.needs_portal]:
        problem = _portal_problem(options_of(environment).lgsp_portal_url)
        if problem:
            log.warning("%s: skipped, %s", scenario.name, problem)
            del ACTIVE[scenario]
    if not ACTIVE:
        log.error("no scenario can run: the catalog offers none of their services")
        if environment.runner is not None:
            environment.runner.quit()
        return
    if isinstance(environment.runner, MasterRunner):
        return  # the master sends no scenario
    if SEND_BY_POST in ACTIVE:
        _move_tracking_cursor_to_the_end(environment)
    log_share(environment)


def _portal_problem(portal_url: str) -> str | None:
    """Why the portal mock cannot take the run's dossiers (its progress reports on dossiers it does not
    know are refused), or None when it answers."""
    url = f"{portal_url.rstrip('/')}{PORTAL_DOSSIERS}"
    try:
        answer = requests.get(url, timeout=10)
        answer.raise_for_status()
        if "dossiers" in answer.json():
            return None
    except (requests.RequestException, ValueError) as error:
        return f"the portal mock does not answer at {url} ({error}); give --lgsp-portal-url"
    return f"{url} is not the portal mock's dossier count; give --lgsp-portal-url"


def log_share(environment: Environment) -> None:
    """Say which share of the population this process marries and registers dead."""
    share = population_share(environment)
    log.info("people to marry or register dead: share %d of %d of the population", share.index, share.count)


def _move_tracking_cursor_to_the_end(environment: Environment) -> None:
    """Start the VNPost scenario's tracking after the orders of earlier runs (a mock keeps them)."""
    url = f"{environment.host}/r1/{SERVICE_IDS[TRACKING]}"
    headers = CALLERS[SEND_BY_POST][0].headers()
    while True:
        response = requests.post(url, json=cursor_query(TRACKED_FROM.highest), headers=headers, timeout=60)
        response.raise_for_status()
        answer = response.json()
        TRACKED_FROM.saw(answer)
        if answer["complete"]:
            log.info("VNPost tracking starts after order id %d", TRACKED_FROM.highest)
            return


@events.request.add_listener  # type: ignore[untyped-decorator]
def _record(name: str, response_time: float, exception: BaseException | None, **_: Any) -> None:
    RECORDER.record(name, response_time, None if exception is None else fault_type(str(exception)))


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _judge(environment: Environment, **_: Any) -> None:
    """Pass only when requests were made, errors stayed within the SLO ratio and p99 within its bound.
    A worker writes its rows and leaves the verdict to the master: its stats are sent there and reset
    with every report, so at its exit it counts nothing (it would log a false "no request was made")."""
    options = options_of(environment)
    if options.lgsp_raw:
        write_rows(environment, Path(options.lgsp_raw), RECORDER.write)
    if isinstance(environment.runner, WorkerRunner):
        return
    total = environment.stats.total
    if total.num_requests == 0:
        log.error("FAIL: no request was made")
        environment.process_exit_code = 1
        return
    p99 = total.get_response_time_percentile(0.99)
    errors = total.num_failures / total.num_requests
    passed = errors <= options.slo_error_rate and p99 <= options.slo_p99_ms
    log.info(
        "%s: %d requests, %.3f %% errors, p99 %.0f ms",
        "PASS" if passed else "FAIL",
        total.num_requests,
        100 * errors,
        p99,
    )
    environment.process_exit_code = 0 if passed else 1


def write_rows(environment: Environment, path: Path, write: Callable[[Path], None]) -> None:
    """Write recorded rows with `write`: alone to `path`; in distributed mode each worker to
    `path.worker-PID` (the master relays its options, so they share one path) and the master, which
    sends nothing, not."""
    if isinstance(environment.runner, MasterRunner):
        return
    if isinstance(environment.runner, WorkerRunner):
        path = path.with_name(f"{path.name}.worker-{os.getpid()}")
    write(path)


def judge_answer(response: Any, check: Check) -> Any:
    """The decoded JSON answer of a `catch_response` request, marked a success; None, marked a failure
    named by its taxonomy type, when there was no answer, not JSON, an HTTP error or a failed check."""
    return judge(response, check)[1]


def judge(response: Any, check: Check) -> Sent:
    """Mark a `catch_response` request a success or a failure named by its taxonomy type (no answer, not
    JSON, an HTTP error or a failed check); say which, with the decoded JSON answer when it succeeded."""
    if response.status_code == 0:  # no HTTP answer at all: refused, reset or timed out
        response.failure(f"Transport.{type(response.error).__name__}: {response.error}"[:300])
        return False, None
    try:
        answer = json.loads(response.content or b"null")
    except ValueError:
        response.failure(f"Check.NotJson: HTTP {response.status_code}")
        return False, None
    if response.status_code >= 400:
        kind = answer.get("type", f"HTTP{response.status_code}") if isinstance(answer, dict) else "Unknown"
        message = answer.get("message", "") if isinstance(answer, dict) else ""
        response.failure(f"{kind}: {message}"[:300])
        return False, None
    problem = check(answer)
    if problem:
        response.failure(f"Check.Content: {problem}"[:300])
        return False, None
    response.success()
    return True, answer


class LgspUser(FastHttpUser):
    """A province system calling the LGSP: runs scenarios drawn by weight, checking every answer."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        # No cookie jar: nothing the run calls sets a cookie, and http.cookiejar's work on every request
        # and answer was 5-10 % of Locust's CPU per request (in process, against a local server).
        self.client.client.cookiejar = None

    def wait_time(self) -> float:
        """Pace each user to --lgsp-user-rate scenarios per second (constant throughput)."""
        pace = 1.0 / float(options_of(self.environment).lgsp_user_rate)
        spent = float(getattr(self, "_spent", 0.0))
        return max(0.0, pace - spent)

    def on_start(self) -> None:
        """Seed this user's draws from the run seed and its own number, so runs repeat."""
        self.draw = user_draw(self.environment, "u")
        # Officers (MaCanBo) have quotas at the population database: spread the load over a desk of them.
        self.officer = {"X-Road-UserId": f"HPG-CB{self.draw.rng.randint(1, OFFICERS):04d}"}
        self.headers = self.officer

    @task
    def run_scenario(self) -> None:
        """One scenario, chosen with the mix's weights, every step checked."""
        if not ACTIVE:
            return

        began = time.monotonic()
        scenario = self.draw.rng.choices(list(ACTIVE), weights=list(ACTIVE.values()))[0]
        self.headers = self.draw.rng.choice(CALLERS[scenario]).headers() | self.officer
        play(scenario, self.draw, self._send)
        self._spent = time.monotonic() - began

    def _send(self, step: Step) -> Sent:
        if step.direct_url is not None:
            return self._send_form(step)
        if step.portal_path is not None:
            return self._send_to_portal(step)
        service_id = SERVICE_IDS[step.service_code]
        url = f"/r1/{service_id}" + (f"/{step.path}" if step.path else "")
        with self.client.request(
            step.method,
            url,
            json=step.body,
            headers=self.headers,
            name=step.service_code,
            catch_response=True,
        ) as response:
            return judge(response, step.check)

    def _send_to_portal(self, step: Step) -> Sent:
        url = options_of(self.environment).lgsp_portal_url.rstrip("/") + (step.portal_path or "")
        with self.client.request(
            "POST", url, json=step.body, name=f"{DIRECT_PREFIX}portal {step.portal_path}", catch_response=True
        ) as response:
            return judge(response, step.check)

    def _send_form(self, step: Step) -> Sent:
        with self.client.request(
            "POST",
            step.direct_url or "",
            data=step.form,
            name=f"{DIRECT_PREFIX}PayGov payment page",
            catch_response=True,
        ) as response:
            if response.status_code == 0:
                response.failure(f"Transport.{type(response.error).__name__}: {response.error}"[:300])
                return False, None
            if response.status_code >= 400:
                response.failure(f"Server.Provider.PaymentPage: HTTP {response.status_code}")
                return False, None
            problem = step.check(response.text)
            if problem:
                response.failure(f"Check.Content: {problem}")
                return False, None
            response.success()
            return True, response.text
