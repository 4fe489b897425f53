"""The locustfile's verdict at exit: the master (or a lone Locust) judges the run; a worker, whose stats
go to the master and are reset with every report, does not (it logged "FAIL: no request was made").

Locust patches the standard library with gevent on import, so the verdict is taken in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Calls the quitting listener with nothing counted, as each process holds it at its exit.
SCRIPT = """
import json, logging, sys
from types import SimpleNamespace
from locust.env import Environment
from locust.runners import LocalRunner, WorkerRunner
from loadtests import locustfile

logged = []
handler = logging.Handler()
handler.emit = lambda record: logged.append(record.getMessage())
locustfile.log.addHandler(handler)
options = SimpleNamespace(lgsp_raw="", slo_error_rate=0.001, slo_p99_ms=1000.0)
environment = Environment(parsed_options=options)
runner_class = {"worker": WorkerRunner, "local": LocalRunner}[sys.argv[1]]
environment.runner = runner_class.__new__(runner_class)  # its role only: nothing is started
locustfile._judge(environment)
print(json.dumps({"exit_code": environment.process_exit_code, "logged": logged}))
"""


def verdict(role: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, role], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


@pytest.mark.parametrize(
    ("role", "exit_code", "logged"),
    [("worker", None, []), ("local", 1, ["FAIL: no request was made"])],
)
def test_a_worker_leaves_the_verdict_to_the_master_and_a_run_without_requests_still_fails(
    role: str, exit_code: int | None, logged: list[str]
) -> None:
    assert verdict(role) == {"exit_code": exit_code, "logged": logged}
