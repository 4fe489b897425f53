"""Per-stage figures from raw request rows: judged windows, bus-only counting, errors by type."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from loadtests.figures import Rows, errors_by_type, measured_rows, per_service, stage_figures
from loadtests.recorder import DIRECT_PREFIX, RequestRecorder, fault_type
from loadtests.schedules import Stage


def rows(items: list[tuple[float, str, float, int, str]]) -> Rows:
    t, name, ms, ok, fault = zip(*items, strict=True)
    return Rows(
        np.array(t), np.array(name, dtype=object), np.array(ms), np.array(ok), np.array(fault, dtype=object)
    )


def test_stage_counts_only_bus_requests_inside_its_judged_window() -> None:
    stage = Stage(0, 20, 5, "5 tx/s")  # judged from second 5
    data = rows([
        (1.0, "Verify", 10, 1, ""),  # settling: not judged
        (6.0, "Verify", 20, 1, ""),
        (7.0, "Verify", 30, 0, "Server.Bus.Timeout"),
        (8.0, f"{DIRECT_PREFIX}PayGov payment page", 900, 1, ""),  # not a bus transaction
        (25.0, "Verify", 40, 1, ""),  # after the stage
    ])  # fmt: skip
    [figures] = stage_figures(data, [Stage(0, 0, 1, "warm-up", False), stage])
    assert figures.requests == 2 and figures.failures == 1
    assert figures.achieved_tx_s == round(2 / 15, 2)
    assert figures.p50_ms == 25.0


def test_errors_are_counted_by_taxonomy_type_and_services_apart() -> None:
    data = rows(
        [(1, "A", 5, 0, "Client.BadRequest"), (2, "A", 5, 0, "Client.BadRequest"), (3, "B", 9, 0, "X")]
    )
    assert errors_by_type(data) == {"Client.BadRequest": 2, "X": 1}
    assert per_service(data)["A"]["failures"] == 2


def test_fault_type_keeps_taxonomy_prefixes_and_labels_the_rest() -> None:
    assert fault_type("Server.Provider.Timeout: no answer") == "Server.Provider.Timeout"
    assert fault_type("Check.Content: wrong citizen") == "Check.Content"
    assert fault_type("ConnectionRefusedError(111)") == "Transport.ConnectionRefusedError"
    assert fault_type("Transport.ConnectionRefusedError: [Errno 111]") == "Transport.ConnectionRefusedError"


def test_recorder_writes_a_readable_csv(tmp_path: Path) -> None:
    recorder = RequestRecorder()
    recorder.record("Verify", 12.345, None)
    recorder.record("Verify", 50.0, "Server.Bus.Timeout")
    recorder.write(tmp_path / "raw.csv")
    read = Rows.read(tmp_path / "raw.csv")
    assert read.ok.tolist() == [1, 0] and read.fault.tolist() == ["", "Server.Bus.Timeout"]


def test_measured_rows_leave_out_the_warm_up_and_what_came_after_the_schedule() -> None:
    stages = [Stage(0, 5, 1, "warm-up", False), Stage(5, 10, 1, "1 tx/s")]
    rows = Rows(
        t=np.array([1.0, 4.9, 5.0, 9.9, 10.0]),
        name=np.array(["A"] * 5, dtype=object),
        ms=np.array([900.0, 900.0, 10.0, 20.0, 900.0]),
        ok=np.array([0, 0, 1, 1, 0]),
        fault=np.array(["Server.Bus.Timeout", "Server.Bus.Timeout", "", "", "Transport.X"], dtype=object),
    )
    kept = measured_rows(rows, stages)
    assert kept.t.tolist() == [5.0, 9.9]
    assert per_service(kept)["A"]["failures"] == 0 and errors_by_type(kept) == {}
