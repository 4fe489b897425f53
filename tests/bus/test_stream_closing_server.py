"""StreamClosingServer: its hooks end endless responses before uvicorn's graceful shutdown waits for
them, so a stop does not hang until the shutdown grace cuts them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from bus.serving import StreamClosingServer
from loadtests.stack import free_port

GRACE = 20  # s: far longer than the test takes when the hook works


def endless_app(ended: asyncio.Event) -> FastAPI:
    """An app whose /stream sends an event every 50 ms until `ended` is set (like the dashboard's)."""
    app = FastAPI()

    async def frames() -> AsyncIterator[bytes]:
        while not ended.is_set():
            yield b"event: tick\ndata: {}\n\n"
            try:
                await asyncio.wait_for(ended.wait(), 0.05)
            except TimeoutError:
                pass

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(frames(), media_type="text/event-stream")

    return app


async def test_the_hook_ends_an_open_stream_and_the_server_stops_without_waiting_for_its_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ended = asyncio.Event()
    calls: list[str] = []

    async def end_streams() -> None:
        calls.append("end streams")
        ended.set()

    async def failing() -> None:
        calls.append("failing")
        raise RuntimeError("a broken hook")

    port = free_port()
    config = uvicorn.Config(
        endless_app(ended), host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=GRACE
    )
    server = StreamClosingServer(config, before_shutdown=[failing, end_streams])
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the server did not start"
        await asyncio.sleep(0.02)
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(timeout=httpx.Timeout(5, read=GRACE + 5)) as client:
        async with client.stream("GET", f"http://127.0.0.1:{port}/stream") as response:
            lines = response.aiter_lines()
            assert await anext(lines) == "event: tick"
            server.should_exit = True
            async for _ in lines:  # ended by the server; a cut at the grace would raise here
                pass
    await asyncio.wait_for(serving, GRACE - 5)
    assert calls == ["failing", "end streams"]  # a failing hook does not stop the others
    assert "timeout graceful shutdown exceeded" not in caplog.text
    assert "a hook before the server's shutdown failed" in caplog.text
