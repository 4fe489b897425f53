"""CPU per request/reply through the RabbitMQ transport, both ends in this process (no HTTP, no adapter).

A requester (`AmqpTransport.request`) and a responder (`AmqpTransport.consume` with a handler that
answers through `reply` and acks, as the worker does) on two connections to one broker, `concurrency`
requests at a time on a queue of its own (deleted at the end). Each round's `time.process_time` is
divided by the round's requests: the transport's own work on both sides, without the broker's. Quieter
than `lgsp bench` on a shared machine, since no HTTP server, generator or mock shares the cores; compare
two trees by alternating runs (`PYTHONPATH=<tree> python -m loadtests.bench.transport_cpu …`).

    python -m loadtests.bench.transport_cpu --amqp-url amqp://guest:guest@127.0.0.1:5672/ \
        [--seconds 4] [--rounds 3] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import uvloop

from bus.envelope import new_id
from bus.transport.amqp import AmqpTransport
from bus.transport.base import Delivery, Message, dead_letter_queue

ECHO = b'{"HoVaTen":"Nguyen Thi Anh Tuyet","SoDinhDanh":"031185149789"}'


async def run(amqp_url: str, seconds: float, rounds: int, concurrency: int) -> list[float]:
    """Every round's CPU-µs per request/reply, after one second of warm-up."""
    queue = f"lgsp.bench.transport.{new_id()}"
    responder = AmqpTransport(amqp_url, connection_name="bench-transport-responder")
    requester = AmqpTransport(amqp_url, connection_name="bench-transport-requester")
    await responder.connect()
    await requester.connect()

    async def answer(delivery: Delivery) -> None:
        asked = delivery.message
        assert asked.reply_to is not None
        await responder.reply(asked.reply_to, Message(body=asked.body, correlation_id=asked.correlation_id))
        await delivery.ack()

    subscription = await responder.consume(queue, answer, prefetch=concurrency)
    answered = 0
    running = True

    async def lane() -> None:
        nonlocal answered
        while running:
            await requester.request(queue, Message(body=ECHO, correlation_id=new_id()), timeout=10.0)
            answered += 1

    lanes = [asyncio.create_task(lane()) for _ in range(concurrency)]
    figures = []
    try:
        await asyncio.sleep(1.0)
        for _ in range(rounds):
            calls, cpu = answered, time.process_time()
            await asyncio.sleep(seconds)
            figures.append(1e6 * (time.process_time() - cpu) / max(1, answered - calls))
    finally:
        running = False
        await asyncio.gather(*lanes, return_exceptions=True)
        await subscription.cancel()
        for name in (queue, dead_letter_queue(queue)):
            async with await responder.connection.channel() as channel:
                await channel.queue_delete(name, if_unused=False, if_empty=False)
        await requester.close()
        await responder.close()
    return figures


def main() -> None:
    """Print each round's figure and the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    figures = uvloop.run(run(args.amqp_url, args.seconds, args.rounds, args.concurrency))
    rounds = " ".join(f"{f:.0f}" for f in figures)
    print(f"transport request/reply: median {statistics.median(figures):.1f} CPU-µs (rounds: {rounds})")


if __name__ == "__main__":
    main()
