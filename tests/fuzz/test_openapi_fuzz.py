"""Fuzz every HTTP surface from its own OpenAPI spec (schemathesis): no server error, no answer off-schema.

A 5xx passes only when it is a deliberate provider fault: injected (X-Fault-Injected) or a SOAP
`soap:Client` fault, which SOAP 1.1 sends with status 500. Faults are off and reset after every case.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.apps import GATEWAY_HEADERS, gateway_app, mock_apps

EXAMPLES_PER_OPERATION = 40
REPORT = Path(__file__).resolve().parents[2] / "reports" / "security" / "fuzz_run.json"
# Cases sent and their status classes, per app: the figures of the run, written after every test.
TALLY: dict[str, Counter[str]] = {}
MOCKS = mock_apps()


class ServerError(AssertionError):
    """A 5xx that no provider fault explains."""


@schemathesis.check
def not_an_unexplained_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """Fail on a 5xx unless it is an injected fault or a SOAP client fault."""
    if response.status_code < 500:
        return None
    if response.headers.get("x-fault-injected"):
        return None
    if b"<faultcode>soap:Client</faultcode>" in response.content:
        return None
    raise ServerError(
        f"{response.status_code} from {case.method} {case.formatted_path}: {response.text[:300]}"
    )


def fuzz(
    name: str, app: FastAPI, headers: dict[str, str] | None = None, after: Callable[[], None] | None = None
) -> Any:
    """A schemathesis test over `app`'s OpenAPI spec, bounded by EXAMPLES_PER_OPERATION."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tally = TALLY.setdefault(name, Counter())

    @pytest.mark.slow
    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test(case: Any) -> None:
        try:
            response = case.call_and_validate(
                headers=headers, checks=[not_an_unexplained_server_error, response_schema_conformance]
            )
            tally[f"{response.status_code // 100}xx"] += 1
        except BaseException:
            tally["failed"] += 1
            raise
        finally:
            tally["cases"] += 1
            if after is not None:
                after()
            write_report()

    return test


def write_report() -> None:
    """Write every app's figures so far to REPORT."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    totals = sum(TALLY.values(), Counter())
    figures = {"schemathesis": schemathesis.__version__, "per_app": TALLY, "total": totals}
    REPORT.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def _reset(app: FastAPI) -> Callable[[], None]:
    return lambda: app.state.faults.reset()


test_gateway_survives_fuzzing = fuzz("gateway", gateway_app(), GATEWAY_HEADERS)
test_population_mock_survives_fuzzing = fuzz(
    "population", MOCKS["population"], after=_reset(MOCKS["population"])
)
test_civil_mock_survives_fuzzing = fuzz("civil", MOCKS["civil"], after=_reset(MOCKS["civil"]))
test_payment_mock_survives_fuzzing = fuzz("payment", MOCKS["payment"], after=_reset(MOCKS["payment"]))
test_vnpost_mock_survives_fuzzing = fuzz("vnpost", MOCKS["vnpost"], after=_reset(MOCKS["vnpost"]))
test_portal_mock_survives_fuzzing = fuzz("portal", MOCKS["portal"], after=_reset(MOCKS["portal"]))
test_motcua_mock_survives_fuzzing = fuzz("motcua", MOCKS["motcua"], after=_reset(MOCKS["motcua"]))
test_residence_mock_survives_fuzzing = fuzz("residence", MOCKS["residence"], after=_reset(MOCKS["residence"]))
test_insurance_mock_survives_fuzzing = fuzz("insurance", MOCKS["insurance"], after=_reset(MOCKS["insurance"]))
test_social_mock_survives_fuzzing = fuzz("social", MOCKS["social"], after=_reset(MOCKS["social"]))
test_lltp_mock_survives_fuzzing = fuzz("lltp", MOCKS["lltp"], after=_reset(MOCKS["lltp"]))


def test_every_mock_is_fuzzed() -> None:
    fuzzed = {name.removeprefix("test_").removesuffix("_mock_survives_fuzzing") for name in globals()}
    assert set(MOCKS) <= fuzzed


class _Answer:
    def __init__(self, status: int, content: bytes, headers: dict[str, str] | None = None) -> None:
        self.status_code, self.content, self.headers = status, content, headers or {}
        self.text = content.decode()


class _Case:
    method, formatted_path = "GET", "/x"


def test_server_error_check_fails_unexplained_5xx_and_passes_deliberate_faults() -> None:
    check = not_an_unexplained_server_error
    assert check(None, _Answer(200, b"{}"), _Case()) is None
    assert check(None, _Answer(503, b"{}", {"x-fault-injected": "error"}), _Case()) is None
    assert check(None, _Answer(500, b"<faultcode>soap:Client</faultcode>"), _Case()) is None
    with pytest.raises(ServerError, match="500 from GET /x"):
        check(None, _Answer(500, b"Internal Server Error"), _Case())
    with pytest.raises(ServerError):
        check(None, _Answer(500, b"<faultcode>soap:Server</faultcode>"), _Case())
