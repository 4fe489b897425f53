"""Run as a separate OS process by the concurrency test: appends records to a Redis transaction log.

python -m tests.txlog.append_process REDIS_URL STREAM_KEY COUNT OFFSET
"""

from __future__ import annotations

import asyncio
import sys

from bus.txlog import RedisTransactionLog, TxLogSettings
from tests.txlog.conftest import make_record


async def append_many(url: str, key: str, count: int, offset: int) -> None:
    """Append `count` records numbered from `offset`, each with its own round trip."""
    log = RedisTransactionLog(TxLogSettings(redis_url=url, stream_key=key))
    try:
        for n in range(count):
            await log.append(make_record(offset + n))
    finally:
        await log.close()


if __name__ == "__main__":
    url, key, count, offset = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print("ready", flush=True)
    sys.stdin.readline()
    asyncio.run(append_many(url, key, count, offset))
