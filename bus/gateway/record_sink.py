"""Where a call's record goes: the transaction log, then monitoring; on one Redis, in one round trip.

On Redis each would be a wait of its own (the log's append script, then the monitoring script), and a
wait costs the gateway more CPU than the commands. When both live on the same Redis server, the
monitoring record rides in the log's append script instead (`RedisTransactionLog.append_riding`), written
only once the record is chained: a record the log refuses (a 500 to the caller) is still never counted by
monitoring, and a failure of the monitoring writes still never fails the call. While the log is
unreachable (its records spooled) monitoring writes on its own, as it does beside a log elsewhere.
"""

from __future__ import annotations

from bus.monitoring import MonitoringSink, RedisMonitoringState
from bus.transaction import TransactionRecord, TransactionSink
from bus.txlog import RedisTransactionLog, TransactionLogSink


class LoggedMonitoringSink(TransactionSink):
    """The log's and monitoring's sinks as one: the monitoring record rides in the log's append."""

    def __init__(self, txlog: TransactionLogSink, monitoring: MonitoringSink) -> None:
        if not isinstance(monitoring.state, RedisMonitoringState):
            raise TypeError("the monitoring record rides only with monitoring state in Redis")
        self.txlog = txlog
        self.monitoring = monitoring
        self._state = monitoring.state

    async def record(self, record: TransactionRecord) -> None:
        """Log `record` and keep its monitoring record (counted only once the log took it)."""
        monitoring = self.monitoring
        operational, sample = monitoring.sampled(record)
        ridden = await self.txlog.record_riding(record, self._state, (operational, sample))
        monitoring.count(operational, sample)
        if ridden is None:
            await monitoring.keep(operational, sample)
        elif ridden.failure is not None:
            monitoring.lost(record.transaction_id, ridden.failure)


def record_sinks(txlog: TransactionLogSink, monitoring: MonitoringSink) -> list[TransactionSink]:
    """The sinks every call's record goes to, in order: one sink for both when the log and monitoring
    are on the same Redis, else the log's and then monitoring's."""
    log, state = txlog.log, monitoring.state
    if (
        isinstance(log, RedisTransactionLog)
        and isinstance(state, RedisMonitoringState)
        and log.settings.redis_url == state.url
    ):
        return [LoggedMonitoringSink(txlog, monitoring)]
    return [txlog, monitoring]
