"""A lost broker connection is one WARNING of ours: the libraries' own records of the loss are dropped."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import aiormq

from bus.transport.amqp_logging import ConnectionLossFilter, LateReturnFilter, RetriedReconnectFilter


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
