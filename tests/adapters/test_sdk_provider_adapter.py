"""The SDK's shared adapter skeleton: dispatch per service, pool lifecycle, config parsing, store books."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest
from pydantic import BaseModel

from adapters.sdk import (
    Operation,
    ProviderAdapter,
    ProviderClient,
    ProviderConfig,
    ProviderUrl,
    ServiceSpec,
    ServiceTable,
    StoreBook,
    json_model,
    parse_config,
)
from bus.envelope import Envelope
from bus.errors import BadRequest, BadResponse, ProviderRejected, ProviderUnavailable
from bus.store import MemoryStore


class Ask(BaseModel):
    word: str


class Answer(BaseModel):
    said: str


SAY = ServiceSpec("Say", "v1", Ask, Answer)
SHOUT = ServiceSpec("Shout", "v1", Ask, Answer)


class EchoConfig(ProviderConfig):
    base_url: ProviderUrl = "http://echo"


class EchoAdapter(ProviderAdapter[EchoConfig]):
    services = ServiceTable([SAY, SHOUT])
    provider = "echo provider"

    def operations(self) -> Mapping[str, Operation]:
        return {SAY.key: self.say, SHOUT.key: self.shout}

    async def say(self, request: Envelope, ask: Ask) -> Answer:
        response = await self.send(request, "GET", f"/{ask.word}")
        if response.status_code >= 400:
            raise ProviderRejected(f"refused {ask.word}")
        return Answer(said=response.text)

    async def shout(self, request: Envelope, ask: Ask) -> Answer:
        return Answer(said=ask.word.upper())


class HalfDeclared(EchoAdapter):
    def operations(self) -> Mapping[str, Operation]:
        return {SAY.key: self.say}


class FailingOpen(EchoAdapter):
    async def open_resources(self, client: ProviderClient) -> None:
        raise ConnectionError("store down")


def _status_by_path(request: httpx.Request) -> httpx.Response:
    word = request.url.path.strip("/")
    return httpx.Response(int(word) if word.isdigit() else 200, text=word)


def _envelope(service: str, payload: object) -> Envelope:
    return Envelope(
        client="VN/GOV/HPG/STP", service=f"VN/GOV/X/Y/{service}/v1", payload=payload
    ).with_deadline(5)


def _adapter(cls: type[EchoAdapter] = EchoAdapter) -> EchoAdapter:
    return cls(EchoConfig(), transport=httpx.MockTransport(_status_by_path))


async def test_each_service_is_served_by_its_own_operation() -> None:
    adapter = _adapter()
    assert await adapter.handle(_envelope("Say", {"word": "chao"})) == {"said": "chao"}
    assert await adapter.handle(_envelope("Shout", {"word": "chao"})) == {"said": "CHAO"}
    await adapter.close()


async def test_invalid_payload_is_bad_request_before_any_call() -> None:
    adapter = _adapter()
    with pytest.raises(BadRequest, match="word"):
        await adapter.handle(_envelope("Say", {"wrod": "x"}))
    assert adapter._client is None
    await adapter.close()


async def test_send_raises_5xx_and_429_but_returns_4xx_to_the_adapter() -> None:
    adapter = _adapter()
    with pytest.raises(ProviderUnavailable):
        await adapter.handle(_envelope("Say", {"word": "429"}))
    with pytest.raises(ProviderRejected, match="refused 404"):
        await adapter.handle(_envelope("Say", {"word": "404"}))
    await adapter.close()


def test_declared_service_without_operation_is_refused_at_construction() -> None:
    with pytest.raises(TypeError, match="Shout/v1"):
        _adapter(HalfDeclared)


async def test_failed_open_closes_the_pool_and_leaves_the_adapter_unstarted() -> None:
    adapter = _adapter(FailingOpen)
    with pytest.raises(ConnectionError):
        await adapter.start()
    assert adapter._client is None


def test_bad_config_is_value_error_naming_adapter_and_key() -> None:
    with pytest.raises(ValueError, match=r"echo adapter config: field 'timeout_cap'"):
        parse_config(EchoConfig, {"timeout_cap": -1}, adapter="echo")
    with pytest.raises(ValueError, match="base_url"):
        parse_config(EchoConfig, {"base_url": "ftp://x"}, adapter="echo")


class CountingStore(MemoryStore):
    closed = 0

    async def close(self) -> None:
        self.closed += 1


class NoteBook(StoreBook):
    key_prefix = "notes:"
    default_ttl_s = 60.0


async def test_book_closes_only_a_store_it_made() -> None:
    shared = CountingStore()
    await NoteBook.on(shared, None).close()
    assert shared.closed == 0
    made = NoteBook.on(None, "memory://")
    assert made.store is not shared and made._owns_store


async def test_book_entries_live_under_its_prefix_with_its_ttl() -> None:
    store = MemoryStore()
    book = NoteBook(store)
    await book.put(b"v", "a", "b")
    assert await store.get("notes:a:b") == b"v"
    assert await book.get("a", "b") == b"v"
    assert book.ttl_s == 60.0
    with pytest.raises(ValueError, match="ttl_s"):
        NoteBook(store, ttl_s=0)


def test_json_model_reads_the_wire_model_and_names_what_does_not_fit() -> None:
    assert json_model(httpx.Response(200, json={"said": "ok"}), Answer, "echo") == Answer(said="ok")
    with pytest.raises(BadResponse, match=r"echo answered an invalid Answer: field 'said'"):
        json_model(httpx.Response(200, json={"told": "ok"}), Answer, "echo")
    with pytest.raises(BadResponse, match="not JSON"):
        json_model(httpx.Response(200, text="<html>"), Answer, "echo")
