"""The raw hops the bus is made of, bare, for the benchmark's ratio: an HTTP echo and an AMQP RPC echo.

    python -m loadtests.bench.raw_hops http-echo --port P
    python -m loadtests.bench.raw_hops rpc-front --port P --amqp-url URL --queue Q   # HTTP in, RPC out
    python -m loadtests.bench.raw_hops rpc-echo --amqp-url URL --queue Q             # answers the RPC

The RPC hop uses what the bus promises (durable quorum queue, publisher confirms, ack after reply),
so the bus's ratio to it is the cost of the bus's own code, not of weaker guarantees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
import uvicorn
from fastapi import FastAPI, Request, Response

from bus.broker_urls import split_amqp_urls

QUORUM = {"x-queue-type": "quorum"}


def http_echo_app() -> FastAPI:
    """A bare FastAPI app answering POST /echo with the JSON it was sent."""
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        payload = json.loads(await request.body())
        return Response(json.dumps({"echo": payload}).encode(), media_type="application/json")

    return app


def rpc_front_app(amqp_url: str, queue: str) -> FastAPI:
    """POST /rpc publishes the body to `queue` with a reply queue and answers with the reply's body."""
    waiting: dict[str, asyncio.Future[bytes]] = {}
    state: dict[str, aio_pika.abc.AbstractChannel | str] = {}

    async def on_reply(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        future = waiting.pop(message.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message.body)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # the naive hop talks to one node: the first of a cluster's list
        connection = await aio_pika.connect_robust(split_amqp_urls(amqp_url)[0])
        channel = await connection.channel(publisher_confirms=True)
        replies = await channel.declare_queue(exclusive=True)
        await replies.consume(on_reply, no_ack=True)
        state["channel"], state["replies"] = channel, replies.name
        yield
        await connection.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/rpc")
    async def rpc(request: Request) -> Response:
        channel = state["channel"]
        assert isinstance(channel, aio_pika.abc.AbstractChannel)
        correlation = uuid.uuid4().hex
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        waiting[correlation] = future
        message = aio_pika.Message(
            await request.body(), correlation_id=correlation, reply_to=str(state["replies"])
        )
        await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
        return Response(await asyncio.wait_for(future, 10), media_type="application/json")

    return app


async def rpc_echo(amqp_url: str, queue: str, prefetch: int = 256) -> None:
    """Answer every request on `queue` with `{"echo": body}`; ack after replying; delete the queue at exit."""
    connection = await aio_pika.connect_robust(split_amqp_urls(amqp_url)[0])
    channel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=prefetch)
    declared = await channel.declare_queue(queue, durable=True, arguments=QUORUM)

    async def answer(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        body = json.dumps({"echo": json.loads(message.body)}).encode()
        reply = aio_pika.Message(body, correlation_id=message.correlation_id)
        await channel.default_exchange.publish(reply, routing_key=message.reply_to or "")
        await message.ack()

    await declared.consume(answer)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    await stopped.wait()
    await declared.delete(if_unused=False, if_empty=False)
    await connection.close()


def main() -> None:
    """Run one raw hop (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("hop", choices=["http-echo", "rpc-front", "rpc-echo"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--queue", default="lgsp.bench.raw")
    args = parser.parse_args()
    if args.hop == "rpc-echo":
        import uvloop

        uvloop.run(rpc_echo(args.amqp_url, args.queue))
        return
    app = http_echo_app() if args.hop == "http-echo" else rpc_front_app(args.amqp_url, args.queue)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
