"""What the benchmark starts besides the bus (raw hops, the bare mock) and the requests it sends."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from adapters.population.models import VerifyCitizenRequest
from adapters.population.wire import VERIFY_NAMESPACE, VERIFY_OPERATION, verify_fields
from adapters.sdk.soap import build_envelope
from loadtests.stack import free_port, lgsp_command

CLIENT_HEADERS = {
    "X-Road-Client": "VN/GOV/HPG/LOADTEST",
    "X-Api-Key": "loadtest-demo-key",
    "X-Road-UserId": "HPG-CB0001",
}
ECHO_BODY = json.dumps({"HoVaTen": "Nguyễn Thị Ánh Tuyết", "SoDinhDanh": "031185149789"}, ensure_ascii=False)
# A real citizen of the default seed (services.citizens, seed 2023), so the mock answers "match".
CITIZEN = {"id_number": "031185149789", "full_name": "Hoàng Thanh Vy"}


def soap_verify_body() -> str:
    """The SOAP request the population adapter sends for CITIZEN, for calling the mock directly."""
    request = VerifyCitizenRequest.model_validate(CITIZEN)
    envelope = build_envelope(
        VERIFY_OPERATION, VERIFY_NAMESPACE, verify_fields(request, "HPG-CB0001", "bench")
    )
    return envelope.decode()


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a helper process with its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def raw_hop(
    hop: str, workdir: Path, *, amqp_url: str = "", queue: str = ""
) -> tuple[subprocess.Popen[bytes], int]:
    """Start one raw hop of loadtests.bench.raw_hops on a free port."""
    port = free_port()
    args = [sys.executable, "-m", "loadtests.bench.raw_hops", hop, "--port", str(port)]
    if amqp_url:
        args += ["--amqp-url", amqp_url, "--queue", queue]
    return spawn(args, workdir / f"raw-{hop}.log"), port


def raw_mock(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The population mock alone, without latency, on a free port."""
    port = free_port()
    args = [*lgsp_command(), "mock", "population", "--port", str(port), "--no-latency"]
    return spawn(args, workdir / "raw-mock.log"), port
