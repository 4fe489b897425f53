"""A lost broker connection, reported once: one WARNING naming the connection, the cause and when it
reconnects, instead of aiormq's and aio-pika's ERROR lines and tracebacks for the same expected event
(a broker restart, an operator's close_connection, a network cut), which connect_robust recovers from.
"""

from __future__ import annotations

import logging

import aiormq
from aio_pika.abc import AbstractRobustConnection

log = logging.getLogger("bus.transport.amqp")

# The libraries' records of one connection loss, by logger: message starts the filter drops.
_LOSS_RECORDS = {
    "aiormq.connection": ("Unexpected connection close from remote", "Cancelling cause reader exited"),
    # A robust channel's close callback failing because its connection is already gone.
    "aio_pika.tools": ("Callback %r error",),
}
_CONNECTION_ERRORS = (aiormq.exceptions.AMQPConnectionError, ConnectionError, RuntimeError)


class ConnectionLossFilter(logging.Filter):
    """Drops the libraries' records of a connection loss that `report_connection_losses` reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a library record about a connection loss; every other record passes."""
        starts = _LOSS_RECORDS.get(record.name)
        if starts is None or not str(record.msg).startswith(starts):
            return True
        if record.name == "aio_pika.tools":
            return "_on_close" not in repr(record.args)
        if record.exc_info is not None and not isinstance(record.exc_info[1], _CONNECTION_ERRORS):
            return True  # a reader that died of something else (a malformed frame) stays visible
        return False


class LateReturnFilter(logging.Filter):
    """aiormq's ERROR for a message the broker returned after its publish was settled (a reply to a
    caller whose queue went with a connection cut: the publisher already reported it as "caller gone")
    becomes one WARNING naming the message id, without the message's body."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite aiormq's late-return record; every other record passes unchanged."""
        if record.name == "aiormq.channel" and str(record.msg).startswith("Unhandled message %r returning"):
            returned = record.args[0] if isinstance(record.args, tuple) and record.args else None
            properties = getattr(getattr(returned, "header", None), "properties", None)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "message %s returned by the broker after its publish was settled; dropped"
            record.args = (getattr(properties, "message_id", None),)
        return True


class RetriedReconnectFilter(logging.Filter):
    """aio-pika's ERROR for a reconnect attempt that failed with an unexpected exception (a cut while the
    channels were being restored) becomes a WARNING: the robust connection retries it, and the loss
    itself is already reported once by `report_connection_losses`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Lower aio-pika's failed-reconnect record to WARNING; every other record passes unchanged."""
        if record.name == "aio_pika.robust_connection" and str(record.msg).startswith(
            "Reconnect attempt failed"
        ):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


_FILTER = ConnectionLossFilter()
_LATE_RETURNS = LateReturnFilter()
_RETRIED_RECONNECTS = RetriedReconnectFilter()


def silence_library_loss_records() -> None:
    """Drop the libraries' records of a connection loss (once per process: the filter is shared by
    every connection); install it before connecting, as a cut can come during the set-up."""
    for logger_name in _LOSS_RECORDS:
        library_log = logging.getLogger(logger_name)
        if _FILTER not in library_log.filters:
            library_log.addFilter(_FILTER)
    for logger_name, rewrite in (
        ("aiormq.channel", _LATE_RETURNS),
        ("aio_pika.robust_connection", _RETRIED_RECONNECTS),
    ):
        library_log = logging.getLogger(logger_name)
        if rewrite not in library_log.filters:
            library_log.addFilter(rewrite)


def report_connection_losses(
    connection: AbstractRobustConnection, name: str, reconnect_interval: float
) -> None:
    """Log one WARNING when `connection` is lost and one INFO when it is back; silence the libraries'
    own records of the loss (see `silence_library_loss_records`). A reconnect attempt that fails before
    the connection is back is not another loss: aio-pika logs each such attempt in one line."""
    silence_library_loss_records()
    up = True

    def lost(_: object, cause: BaseException | None) -> None:
        nonlocal up
        if cause is None or connection.close_called:
            return  # closed on purpose by its owner
        if not up:
            return  # a failed reconnect attempt of the loss already reported
        up = False
        log.warning(
            "broker connection %s lost (%s: %s); reconnecting (to the next node, if any), then every %.1f s",
            name,
            type(cause).__name__,
            cause,
            reconnect_interval,
        )

    def back(_: object) -> None:
        nonlocal up
        up = True
        log.info("broker connection %s restored to %s", name, connection)  # the node, password masked

    connection.close_callbacks.add(lost)
    connection.reconnect_callbacks.add(back)
