"""A lost broker connection is one WARNING of ours: the libraries' own records of the loss are dropped."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import aiormq
import pytest

from bus.transport.amqp_logging import (
    ConnectionLossFilter,
    LateReturnFilter,
    RetriedReconnectFilter,
    report_connection_losses,
)


def record(
    name: str, level: int, msg: str, args: tuple[object, ...] = (), exc: BaseException | None = None
) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc is not None else None
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def test_the_libraries_records_of_a_connection_loss_are_dropped() -> None:
    closed = aiormq.exceptions.ConnectionClosed(320, "CONNECTION_FORCED - chaos test")
    dropped = [
        record(
            "aiormq.connection",
            logging.ERROR,
            'Unexpected connection close from remote "%s", ...',
            ("amqp://",),
        ),
        record("aiormq.connection", logging.WARNING, "Cancelling cause reader exited abnormally", exc=closed),
        record(
            "aio_pika.tools",
            logging.ERROR,
            "Callback %r error: %s: %s",
            ("<OneShotCallback: cb=<bound method RobustChannel._on_close of ...>>", "RuntimeError", "closed"),
        ),
    ]
    assert [ConnectionLossFilter().filter(each) for each in dropped] == [False] * 3


def test_other_library_records_still_pass() -> None:
    kept = [
        record(
            "aiormq.connection",
            logging.WARNING,
            "Cancelling cause reader exited abnormally",
            exc=ValueError("bad frame"),
        ),
        record("aiormq.connection", logging.WARNING, "Connection %r was blocked by: %r", ("c", "low disk")),
        record(
            "aio_pika.tools", logging.ERROR, "Callback %r error: %s: %s", ("<cb=my_handler>", "KeyError", "x")
        ),
        record("bus.worker", logging.ERROR, "Unexpected connection close from remote"),
    ]
    assert [ConnectionLossFilter().filter(each) for each in kept] == [True] * 4


def test_a_late_return_is_one_warning_naming_the_message_without_its_body() -> None:
    properties = SimpleNamespace(message_id="m-1")
    returned = SimpleNamespace(header=SimpleNamespace(properties=properties), body=b"{}")
    late = record("aiormq.channel", logging.ERROR, "Unhandled message %r returning", (returned,))
    other = record("aiormq.channel", logging.ERROR, "Unexpected confirmation frame %r from broker", ("f",))
    assert LateReturnFilter().filter(late) and LateReturnFilter().filter(other)
    assert (late.levelname, late.getMessage()) == (
        "WARNING",
        "message m-1 returned by the broker after its publish was settled; dropped",
    )
    assert other.levelno == logging.ERROR


def test_a_failed_reconnect_attempt_the_connection_retries_is_a_warning() -> None:
    failed = record(
        "aio_pika.robust_connection", logging.ERROR,
        "Reconnect attempt failed %s due to %s: %s. Retrying after %r seconds.",
        ("amqp://", "Exception", "", 0.5),
    )  # fmt: skip
    other = record("aio_pika.robust_connection", logging.ERROR, "Something else went wrong")
    assert RetriedReconnectFilter().filter(failed) and RetriedReconnectFilter().filter(other)
    assert failed.levelname == "WARNING" and "Retrying after 0.5 seconds" in failed.getMessage()
    assert other.levelno == logging.ERROR


class Callbacks(list):  # type: ignore[type-arg]
    """A list with the `add` of aio-pika's callback collections."""

    def add(self, callback: object) -> None:
        self.append(callback)


class FakeConnection:
    """What `report_connection_losses` uses of a robust connection: its two callback collections."""

    def __init__(self) -> None:
        self.close_called = False
        self.close_callbacks = Callbacks()
        self.reconnect_callbacks = Callbacks()

    def closed(self, cause: BaseException | None) -> None:
        for callback in self.close_callbacks:
            callback(self, cause)

    def reconnected(self) -> None:
        for callback in self.reconnect_callbacks:
            callback(self)


def test_a_loss_is_one_warning_however_many_reconnect_attempts_fail_until_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    connection = FakeConnection()
    report_connection_losses(connection, "w-1", 0.5)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="bus.transport.amqp"):
        for _ in range(3):  # the loss, then two attempts refused while the broker is away
            connection.closed(ConnectionResetError("reset by peer"))
        connection.reconnected()
        connection.closed(ConnectionResetError("reset again"))
        connection.close_called = True
        connection.closed(None)  # closed by its owner: nothing to report
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "broker connection w-1 lost (ConnectionResetError: reset by peer); "
        "reconnecting (to the next node, if any), then every 0.5 s",
        "broker connection w-1 lost (ConnectionResetError: reset again); "
        "reconnecting (to the next node, if any), then every 0.5 s",
    ]
