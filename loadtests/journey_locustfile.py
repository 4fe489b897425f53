"""Citizens' journeys for Locust: started through `POST /journeys/{kind}` at the schedule's rate (journeys
per second), split by procedure, each followed to its end by polling `GET /journeys/{id}`. An ordinary
dossier is filed by a citizen on the portal mock (--lgsp-portal-url), which hands it to the province.

HTTP only (Locust runs on gevent: nothing from bus/ or asyncio is imported here). The options, the
schedule and the request recording are loadtests/locustfile.py's. Example:

    locust -f loadtests/journey_locustfile.py --headless --host http://127.0.0.1:8000 \
        --lgsp-journeys birth=3,death=1.5 --lgsp-shape steady --lgsp-rate 0.5 --lgsp-seconds 60 \
        --lgsp-raw raw.csv --lgsp-journeys-raw journeys.csv

In distributed mode each worker draws the people whose death it registers from its own share of the
population (loadtests/locustfile.py's `population_share`), so no one dies twice in a run.

A follower polls in a greenlet of its own, so a user keeps starting journeys at its pace; after the
schedule ends the followers are given --lgsp-journey-drain seconds to see their journeys end.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import gevent
from gevent.pool import Group
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.runners import MasterRunner

from loadtests import locustfile as common
from loadtests.journey_mix import parse_split
from loadtests.journey_recorder import JourneyRecorder, JourneyRow
from loadtests.scenarios.base import Check, expect_keys
from loadtests.scenarios.journeys import ENDED, JOURNEY_SCENARIOS, PORTAL_FILE, drawn
from loadtests.shapes import ScheduledShape

__all__ = ["JourneyUser", "ScheduledShape"]

log = logging.getLogger("lgsp.loadtest.journeys")
JOURNEYS = JourneyRecorder()
FOLLOWERS = Group()
WEIGHTS: dict[str, float] = {}


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _split(environment: Environment, **_: Any) -> None:
    """The kinds to start, by weight, from --lgsp-journeys."""
    options = common.options_of(environment)
    WEIGHTS.clear()
    WEIGHTS.update(drawn(parse_split(options.lgsp_journeys or "birth=1")))
    JOURNEYS.restart()
    if not isinstance(environment.runner, MasterRunner):  # the master starts no journey
        common.log_share(environment)


@events.test_stop.add_listener  # type: ignore[untyped-decorator]
def _drain(environment: Environment, **_: Any) -> None:
    """The schedule is over: let the followers see their journeys end, for at most the drain time."""
    FOLLOWERS.join(timeout=common.options_of(environment).lgsp_journey_drain)
    FOLLOWERS.kill()


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _write(environment: Environment, **_: Any) -> None:
    options = common.options_of(environment)
    if options.lgsp_journeys_raw:
        common.write_rows(environment, Path(options.lgsp_journeys_raw), JOURNEYS.write)


def _accepted(kind: str) -> Check:
    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "journey_id", "kind", "status")
        if problem:
            return problem
        return None if answer["kind"] == kind else f"started a {kind} journey, got a {answer['kind']}"

    return check


def _handed_in(kind: str) -> Check:
    """The portal filed the dossier and the gateway accepted the journey it handed in."""
    accepted = _accepted(kind)

    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "dossier_code", "status_code", "answer")
        if problem:
            return problem
        if answer["status_code"] != 202:
            return f"the gateway answered the portal {answer['status_code']}: {answer['answer']}"[:300]
        return accepted(answer["answer"])

    return check


def _same_journey(journey_id: str) -> Check:
    def check(answer: Any) -> str | None:
        problem = expect_keys(answer, "journey_id", "status", "steps")
        if problem:
            return problem
        found = answer["journey_id"]
        return None if found == journey_id else f"asked for journey {journey_id}, got {found}"

    return check


class JourneyUser(FastHttpUser):
    """The one-stop system starting citizens' journeys and following each to its end."""

    concurrency = 32  # the followers share this user's connections

    def wait_time(self) -> float:
        """Pace each user to --lgsp-user-rate journeys per second (constant throughput)."""
        pace = 1.0 / float(common.options_of(self.environment).lgsp_user_rate)
        return max(0.0, pace - float(getattr(self, "_spent", 0.0)))

    def on_start(self) -> None:
        """Seed this user's draws from the run seed and its own number, so runs repeat."""
        self.draw = common.user_draw(self.environment, "j")
        options = common.options_of(self.environment)
        self.headers = {"X-Road-Client": options.lgsp_journey_client, "X-Api-Key": options.lgsp_journey_key}

    @task
    def start_journey(self) -> None:
        """Start one journey of a kind drawn by the split's weights; follow it in a greenlet."""
        if not WEIGHTS:
            return
        began = time.monotonic()
        kind = self.draw.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        record = self._start(kind) if JOURNEY_SCENARIOS[kind].inputs else self._file_on_portal(kind)
        if record is not None:
            FOLLOWERS.add(gevent.spawn(self._follow, JOURNEYS.start(kind, record["journey_id"])))
        self._spent = time.monotonic() - began

    def _start(self, kind: str) -> Any:
        """Start the journey at the gateway with inputs drawn here; its answer, or None."""
        draw_inputs = JOURNEY_SCENARIOS[kind].inputs
        assert draw_inputs is not None
        body = {"dossier_code": self.draw.unique("H31"), "inputs": draw_inputs(self.draw)}
        with self.client.request(
            "POST", f"/journeys/{kind}", json=body, headers=self.headers,
            name=f"POST /journeys/{kind}", catch_response=True,
        ) as response:  # fmt: skip
            return common.judge_answer(response, _accepted(kind))

    def _file_on_portal(self, kind: str) -> Any:
        """A citizen files the dossier on the portal, which hands it in; the gateway's answer, or None."""
        url = common.options_of(self.environment).lgsp_portal_url.rstrip("/") + PORTAL_FILE
        with self.client.request(
            "POST", url, json={"procedure": kind}, name=f"POST portal file {kind}", catch_response=True
        ) as response:
            filed = common.judge_answer(response, _handed_in(kind))
        return None if filed is None else filed["answer"]

    def _follow(self, row: JourneyRow) -> None:
        poll = float(common.options_of(self.environment).lgsp_journey_poll)
        while row.ended_t is None:
            gevent.sleep(poll)
            with self.client.request(
                "GET", f"/journeys/{row.journey_id}", headers=self.headers,
                name="GET /journeys/{id}", catch_response=True,
            ) as response:  # fmt: skip
                record = common.judge_answer(response, _same_journey(row.journey_id))
            if record is not None:
                row.end(JOURNEYS.now(), record)
                if record["status"] in ENDED and row.ended_t is None:
                    log.warning("journey %s ended %s without a finish time", row.journey_id, row.status)
                    return
