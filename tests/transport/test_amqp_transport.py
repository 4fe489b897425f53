"""RabbitMQ-only behaviour: the declared topology, and surviving a connection the broker force-closes."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import aiormq
import pytest

from bus.errors import BusTimeout, BusUnavailable, InternalError, NoRoute, Overloaded
from bus.reliability.backoff import delay_bucket_ms
from bus.transport import AmqpTransport, Delivery, Message, dead_letter_queue
from bus.transport.amqp_publisher import Publisher
from bus.transport.amqp_wire import retry_queue_name
from bus.transport.unconfirmed import PublishInDoubt

pytestmark = pytest.mark.amqp

WAIT = 10.0


@pytest.fixture
async def channel(amqp_url: str) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    """A plain channel of the test's own, for inspecting what the transport declared."""
    connection = await aio_pika.connect(amqp_url, timeout=5)
    try:
        yield await connection.channel()
    finally:
        await connection.close()


async def redeclare_succeeds(
    channel: aio_pika.abc.AbstractChannel, queue: str, arguments: dict[str, Any]
) -> bool:
    """Whether `queue` already exists with exactly these arguments (RabbitMQ refuses a mismatch)."""
    probe = await channel.get_underlay_channel()
    try:
        await probe.queue_declare(queue, durable=True, arguments=arguments)
    except aiormq.exceptions.ChannelPreconditionFailed:
        await channel.reopen()
        return False
    return True


async def test_service_queue_is_a_quorum_queue_dead_lettering_at_least_once_to_its_own_dlq(
    amqp_url: str, channel: aio_pika.abc.AbstractChannel
) -> None:
    transport = AmqpTransport(amqp_url, delivery_limit=4)
    await transport.connect()
    queue = "lgsp-test.topology"
    try:
        await transport.consume(queue, lambda delivery: delivery.ack())
        expected = {
            "x-queue-type": "quorum",
            "x-delivery-limit": 3,
            "x-dead-letter-exchange": "lgsp.dlx",
            "x-dead-letter-routing-key": queue,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }
        assert await redeclare_succeeds(channel, queue, expected)
        assert not await redeclare_succeeds(channel, queue, {**expected, "x-delivery-limit": 4})
        # The DLQ has no dead-letter exchange of its own, also when a consumer declares it directly.
        await transport.consume(dead_letter_queue(queue), lambda delivery: delivery.ack())
        assert await redeclare_succeeds(channel, dead_letter_queue(queue), {"x-queue-type": "quorum"})
        assert not await redeclare_succeeds(
            channel,
            dead_letter_queue(queue),
            {"x-queue-type": "quorum", "x-dead-letter-exchange": "lgsp.dlx"},
        )
    finally:
        await transport.close()
        await channel.queue_delete(queue)
        await channel.queue_delete(dead_letter_queue(queue))


async def force_close(connection_name: str) -> None:
    """Have the broker itself drop every connection named `connection_name` (rabbitmqctl)."""
    listing = await run_rabbitmqctl(
        "-q", "--no-table-headers", "list_connections", "pid", "client_properties"
    )
    marker = f'{{"connection_name","{connection_name}"}}'
    pids = [line.split("\t", 1)[0] for line in listing.splitlines() if marker in line]
    assert pids, f"no connection named {connection_name}"
    for pid in pids:
        await run_rabbitmqctl("close_connection", pid, "test: forced close")


async def run_rabbitmqctl(*args: str) -> str:
    """Run rabbitmqctl, bounded in time; the test is skipped when it is unavailable."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed: cannot make the broker drop a connection")
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    if process.returncode != 0:
        pytest.skip(f"rabbitmqctl failed: {err.decode(errors='replace')[:200]}")
    return out.decode()


async def request_until_answered(caller: AmqpTransport, queue: str) -> Message:
    """Retry a 1 s request until it is answered (20 tries at most); only BusTimeout may interrupt it."""
    for _ in range(20):
        try:
            return await caller.request(queue, Message(body=b"ping"), timeout=1.0)
        except BusTimeout:
            continue
    raise AssertionError("no reply within 20 attempts after the reconnect")


@pytest.fixture
async def pair(amqp_url: str) -> AsyncIterator[tuple[AmqpTransport, AmqpTransport, str]]:
    """A caller and a service transport, each with its own named connection, plus a queue name."""
    caller = AmqpTransport(amqp_url, connection_name="lgsp-test-caller-robust", reconnect_interval=0.5)
    service = AmqpTransport(amqp_url, connection_name="lgsp-test-service-robust", reconnect_interval=0.5)
    await caller.connect()
    await service.connect()
    queue = "lgsp-test.robust"

    async def echo(delivery: Delivery) -> None:
        assert delivery.message.reply_to is not None
        if delivery.message.body == b"slow":
            await asyncio.sleep(1.0)
        reply = Message(body=b"pong", correlation_id=delivery.message.correlation_id)
        await service.publish(delivery.message.reply_to, reply)
        await delivery.ack()

    await service.consume(queue, echo, prefetch=4)
    try:
        yield caller, service, queue
    finally:
        await caller.close()
        await service.close()
        cleanup = await aio_pika.connect(amqp_url, timeout=5)
        cleanup_channel = await cleanup.channel()
        await cleanup_channel.queue_delete(queue)
        await cleanup_channel.queue_delete(dead_letter_queue(queue))
        await cleanup.close()


@pytest.mark.slow
async def test_consumer_keeps_working_after_the_broker_force_closes_its_connection(
    pair: tuple[AmqpTransport, AmqpTransport, str],
) -> None:
    caller, _service, queue = pair
    assert (await caller.request(queue, Message(body=b"ping"), timeout=WAIT)).body == b"pong"
    await force_close("lgsp-test-service-robust")
    reply = await request_until_answered(caller, queue)
    assert reply.body == b"pong"


@pytest.mark.slow
async def test_request_in_flight_when_the_callers_connection_drops_times_out_cleanly(
    pair: tuple[AmqpTransport, AmqpTransport, str],
) -> None:
    caller, _service, queue = pair
    in_flight = asyncio.ensure_future(caller.request(queue, Message(body=b"slow"), timeout=3.0))
    await asyncio.sleep(0.2)
    await force_close("lgsp-test-caller-robust")
    # The reply may make it through the restored reply queue, or not; either way no hang, no other error.
    [outcome] = await asyncio.wait_for(asyncio.gather(in_flight, return_exceptions=True), WAIT)
    assert isinstance(outcome, Message | BusTimeout), outcome
    reply = await request_until_answered(caller, queue)
    assert reply.body == b"pong"


@pytest.mark.slow
async def test_consumer_whose_queue_is_deleted_declares_it_again_and_consumes_it(
    pair: tuple[AmqpTransport, AmqpTransport, str], channel: aio_pika.abc.AbstractChannel
) -> None:
    caller, _service, queue = pair
    assert (await caller.request(queue, Message(body=b"ping"), timeout=WAIT)).body == b"pong"
    await channel.queue_delete(queue)  # the broker cancels the service's consumer
    for _ in range(40):
        try:
            reply = await caller.request(queue, Message(body=b"ping"), timeout=1.0)
            break
        except (NoRoute, BusTimeout):  # not declared again yet, or declared and not consumed yet
            await asyncio.sleep(0.25)
    else:
        raise AssertionError("the deleted queue was not declared and consumed again within 10 s")
    assert reply.body == b"pong"


@pytest.fixture
async def idle_queue(amqp_url: str, channel: aio_pika.abc.AbstractChannel) -> AsyncIterator[str]:
    """A queue nobody consumes, so what a request published stays there to be counted."""
    queue = f"lgsp-test.idle.{uuid.uuid4().hex[:12]}"
    await channel.declare_queue(queue, durable=True, arguments={"x-queue-type": "quorum"})
    try:
        yield queue
    finally:
        await channel.queue_delete(queue)


async def messages_in(channel: aio_pika.abc.AbstractChannel, queue: str) -> int:
    declared = await channel.declare_queue(queue, passive=True)
    count = declared.declaration_result.message_count
    return int(count or 0)


async def test_request_whose_publish_waits_for_the_channel_past_its_deadline_still_reaches_the_queue(
    amqp_url: str, channel: aio_pika.abc.AbstractChannel, idle_queue: str
) -> None:
    transport = AmqpTransport(amqp_url, confirm_timeout=WAIT)
    await transport.connect()
    try:
        # Holding the publish channel's lock is what a broker throttling earlier writes does to a
        # publish: it waits its turn. The deadline passes meanwhile; the publish must not be cut.
        assert transport._publisher is not None
        underlay = await transport._publisher.underlay()
        async with underlay.lock:
            request = asyncio.create_task(transport.request(idle_queue, Message(body=b"x"), timeout=0.2))
            await asyncio.sleep(0.5)
            assert not request.done(), "answered before the broker confirmed the publish"
        with pytest.raises(BusTimeout):
            await asyncio.wait_for(request, WAIT)
        assert await messages_in(channel, idle_queue) == 1
    finally:
        await transport.close()


async def test_request_unconfirmed_after_the_confirm_timeout_times_out_and_its_publish_still_lands(
    amqp_url: str, channel: aio_pika.abc.AbstractChannel, idle_queue: str
) -> None:
    transport = AmqpTransport(amqp_url, confirm_timeout=0.2)
    await transport.connect()
    try:
        assert transport._publisher is not None
        underlay = await transport._publisher.underlay()
        async with underlay.lock:
            with pytest.raises(BusTimeout):
                await asyncio.wait_for(transport.request(idle_queue, Message(body=b"x"), timeout=0.2), WAIT)
            assert await messages_in(channel, idle_queue) == 0
        for _ in range(50):  # the publish goes on in the background once the channel is free
            if await messages_in(channel, idle_queue) == 1:
                break
            await asyncio.sleep(0.1)
        assert await messages_in(channel, idle_queue) == 1
    finally:
        await transport.close()


async def test_a_nacked_publish_is_sent_once_more_on_a_new_channel_and_then_refused(
    amqp_url: str, channel: aio_pika.abc.AbstractChannel
) -> None:
    # A full queue nacks for real; a channel left stale by a lost leader node nacks too, and only a new
    # channel tells the two apart (see amqp_publisher). Replacements are bounded by the cool-down.
    queue = f"lgsp-test.bounded.{uuid.uuid4().hex[:12]}"
    transport = AmqpTransport(amqp_url, reconnect_interval=60)
    await transport.connect()
    try:
        subscription = await transport.consume(queue, lambda delivery: delivery.nack(), max_length=1)
        await subscription.cancel()  # the queue stays, bounded at one message, with nobody taking it
        await transport.publish(queue, Message(body=b"1"))
        assert transport._publisher is not None
        before = await transport._publisher.underlay()
        with pytest.raises(Overloaded):
            await transport.publish(queue, Message(body=b"2"))
        after = await transport._publisher.underlay()
        assert (transport._publisher.replacements, after is not before) == (1, True)
        with pytest.raises(Overloaded):  # within the cool-down: refused on the channel it has
            await transport.publish(queue, Message(body=b"3"))
        assert transport._publisher.replacements == 1
        assert await transport._publisher.underlay() is after
        assert await messages_in(channel, queue) == 1
    finally:
        await transport.close()
        await channel.queue_delete(queue)
        await channel.queue_delete(dead_letter_queue(queue))


def test_confirm_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="confirm_timeout"):
        AmqpTransport("amqp://guest:guest@127.0.0.1/", confirm_timeout=0)


def test_connect_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="connect_timeout"):
        AmqpTransport("amqp://guest:guest@127.0.0.1/", connect_timeout=0)


async def test_queue_declared_earlier_with_other_arguments_is_used_as_it_is_with_a_warning(
    amqp_url: str, channel: aio_pika.abc.AbstractChannel, caplog: pytest.LogCaptureFixture
) -> None:
    queue = f"lgsp-test.older.{uuid.uuid4().hex[:12]}"
    # What an earlier version declared: at-most-once dead-lettering, no overflow setting.
    older = {"x-queue-type": "quorum", "x-delivery-limit": 4, "x-dead-letter-exchange": "lgsp.dlx"}
    await channel.declare_queue(queue, durable=True, arguments=older)
    transport = AmqpTransport(amqp_url)
    await transport.connect()
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def keep(delivery: Delivery) -> None:
        await received.put(delivery.message.body)
        await delivery.ack()

    try:
        with caplog.at_level("WARNING", logger="bus.transport.amqp"):
            await transport.consume(queue, keep)
        assert any("exists with other arguments" in r.getMessage() for r in caplog.records)
        await transport.publish(queue, Message(body=b"still served"))
        assert await asyncio.wait_for(received.get(), WAIT) == b"still served"
        assert await redeclare_succeeds(channel, queue, older)  # left untouched
    finally:
        await transport.close()
        await channel.queue_delete(queue)
        await channel.queue_delete(dead_letter_queue(queue))


async def test_a_cut_while_connecting_is_unavailable_and_leaves_nothing_connected(
    amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiormq fails a channel's opening with a bare `Exception` when the connection closes under it
    without a reason (seen: a chaos run's worker, starting during a broker cut, died of it). The
    transport says BusUnavailable, which callers wait out, and connects on the next try."""
    transport = AmqpTransport(amqp_url, connection_name="lgsp-test-connect-cut")
    real_open = Publisher.open

    async def cut_under_the_first_open(publisher: Publisher) -> Any:
        monkeypatch.setattr(Publisher, "open", real_open)
        raise Exception

    monkeypatch.setattr(Publisher, "open", cut_under_the_first_open)
    with pytest.raises(BusUnavailable):
        await transport.connect()
    with pytest.raises(InternalError):
        transport.connection  # noqa: B018 — nothing was kept
    await transport.connect()
    try:
        assert not transport.connection.is_closed
    finally:
        await transport.close()


async def test_a_cut_while_declaring_a_retry_queue_is_unavailable_and_the_next_delay_declares_it(
    amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same reasonless close under a retry's channel (seen: a chaos run's worker logged the handler
    failing with a traceback): BusUnavailable, which the worker answers by requeueing the delivery."""
    transport = AmqpTransport(amqp_url, connection_name="lgsp-test-retry-cut")
    await transport.connect()
    queue = f"lgsp-test.retry-cut.{uuid.uuid4().hex[:8]}"
    connection = transport.connection
    real_channel = connection.channel

    def cut_under_the_first_channel(**kwargs: Any) -> Any:
        monkeypatch.setattr(connection, "channel", real_channel)
        raise Exception

    try:
        await transport.consume(queue, lambda delivery: delivery.ack())
        monkeypatch.setattr(connection, "channel", cut_under_the_first_channel)
        with pytest.raises(BusUnavailable):
            await transport.publish_delayed(queue, Message(body=b"later"), 0.1)
        await transport.publish_delayed(queue, Message(body=b"later"), 0.1)
    finally:
        await transport.close()
        cleanup = await aio_pika.connect(amqp_url, timeout=5)
        async with cleanup:
            cleanup_channel = await cleanup.channel()
            for name in (queue, dead_letter_queue(queue), retry_queue_name(queue, delay_bucket_ms(0.1))):
                await cleanup_channel.queue_delete(name)


async def test_consume_is_retried_when_the_broker_drops_the_connection_under_it(
    amqp_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RabbitMQ 3.10 answers a consumer on a quorum queue whose leader is still starting (another
    worker declared it an instant before) with INTERNAL_ERROR on the whole connection; seen when two
    `lgsp worker` processes started together on fresh queues, one died. The consume is tried again."""
    transport = AmqpTransport(amqp_url, connection_name="lgsp-test-consume-retry", reconnect_interval=0.2)
    await transport.connect()
    queue = f"lgsp-test.consume-retry.{uuid.uuid4().hex[:8]}"
    real_subscribe = transport._subscribe
    attempts = 0

    async def broker_fails_first(*args: Any) -> Any:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise aiormq.exceptions.ConnectionInternalError("INTERNAL_ERROR")
        return await real_subscribe(*args)

    monkeypatch.setattr(transport, "_subscribe", broker_fails_first)
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def keep(delivery: Delivery) -> None:
        await received.put(delivery.message.body)
        await delivery.ack()

    try:
        await transport.consume(queue, keep)
        await transport.publish(queue, Message(body=b"after the retry"))
        assert await asyncio.wait_for(received.get(), WAIT) == b"after the retry"
        assert attempts == 2
    finally:
        await transport.close()
        cleanup = await aio_pika.connect(amqp_url, timeout=5)
        async with cleanup:
            cleanup_channel = await cleanup.channel()
            await cleanup_channel.queue_delete(queue)
            await cleanup_channel.queue_delete(dead_letter_queue(queue))


async def test_a_handler_whose_own_publish_is_in_doubt_is_redelivered_with_one_warning_and_no_traceback(
    amqp_url: str, channel: aio_pika.abc.AbstractChannel, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker's retry publish cut twice raises PublishInDoubt (seen in a chaos run's worker log as a
    traceback): an interruption by the broker like a lost channel, so the delivery is given back and
    said in one line."""
    transport = AmqpTransport(amqp_url, connection_name="lgsp-test-in-doubt")
    await transport.connect()
    queue = f"lgsp-test.in-doubt.{uuid.uuid4().hex[:8]}"
    calls: list[int] = []
    done = asyncio.Event()

    async def in_doubt_once(delivery: Delivery) -> None:
        calls.append(delivery.delivery_count)
        if len(calls) == 1:
            raise PublishInDoubt("broker connection lost while publishing again")
        await delivery.ack()
        done.set()

    try:
        await transport.consume(queue, in_doubt_once)
        with caplog.at_level("WARNING", logger="bus.transport.amqp_consumer"):
            await transport.publish(queue, Message(body=b"work"))
            async with asyncio.timeout(WAIT):
                await done.wait()
        assert len(calls) == 2
        records = [r for r in caplog.records if r.name == "bus.transport.amqp_consumer"]
        assert [r.levelname for r in records] == ["WARNING"]
        assert "interrupted by the broker connection (PublishInDoubt)" in records[0].getMessage()
        assert records[0].exc_info is None
    finally:
        await transport.close()
        await channel.queue_delete(queue)
        await channel.queue_delete(dead_letter_queue(queue))
