"""The skeleton every provider adapter shares, so that each adapter keeps only its own protocol work.

`ProviderConfig` holds the catalog keys they all take; `parse_config` reads a catalog section into it;
`ProviderAdapter` opens one `ProviderClient` lazily, closes it, and dispatches each declared service to
the operation that serves it, validating the request and the answer against the service's models.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, FilePath, JsonValue, ValidationError

from adapters.sdk.http_client import ProviderClient
from adapters.sdk.provider_errors import raise_for_status
from adapters.sdk.services import ServiceTable, describe_validation_error
from bus.envelope import Envelope

ProviderUrl = Annotated[str, Field(pattern=r"^https?://")]

ConfigT = TypeVar("ConfigT", bound="ProviderConfig")

# One service's work: the envelope and its validated canonical request → the canonical answer.
Operation = Callable[[Envelope, Any], Awaitable[BaseModel]]


class ProviderConfig(BaseModel):
    """The catalog keys every provider adapter takes; a subclass adds its own and a base_url default."""

    model_config = ConfigDict(extra="forbid")

    base_url: ProviderUrl
    timeout_cap: float = Field(10.0, gt=0, description="upper bound of one call, whatever the deadline")
    max_connections: int = Field(100, ge=1)
    ca_bundle: FilePath | None = Field(
        None, description="PEM CA bundle the provider's HTTPS certificate must chain to (default: system CAs)"
    )


def parse_config(model: type[ConfigT], config: Mapping[str, Any], *, adapter: str) -> ConfigT:
    """The adapter's catalog section as `model`; ValueError saying which key is wrong."""
    try:
        return model.model_validate(dict(config))
    except ValidationError as exc:
        raise ValueError(f"{adapter} adapter config: {describe_validation_error(exc)}") from exc


class ProviderAdapter(Generic[ConfigT]):
    """An adapter serving a `ServiceTable` by calls to one provider through a pooled `ProviderClient`.

    A subclass sets `services` and `provider`, and maps each service to its operation in `operations`.
    """

    services: ServiceTable
    provider: str

    def __init__(self, config: ConfigT, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self._transport = transport  # e.g. httpx.ASGITransport to call the mock in-process
        self._client: ProviderClient | None = None
        self._operations = dict(self.operations())
        missing = [spec.key for spec in self.services if spec.key not in self._operations]
        if missing:
            raise TypeError(f"{type(self).__name__} declares {missing} without an operation serving them")

    def operations(self) -> Mapping[str, Operation]:
        """Each declared service's key (`SERVICE/VERSION`) → the operation serving it."""
        raise NotImplementedError

    def provider_headers(self) -> Mapping[str, str] | None:
        """Headers sent on every call to the provider (e.g. an API key); none by default."""
        return None

    async def open_resources(self, client: ProviderClient) -> None:
        """Runs in `start`, after the pool is made: open what else the adapter holds (store, token)."""

    async def close_resources(self) -> None:
        """Runs in `close`, after the pool is closed: release what `open_resources` opened."""

    async def start(self) -> None:
        """Open the connection pool (called once by the worker; `handle` opens it if not)."""
        if self._client is not None:
            return
        client = ProviderClient(
            self.config.base_url,
            provider=self.provider,
            timeout_cap=self.config.timeout_cap,
            max_connections=self.config.max_connections,
            headers=self.provider_headers(),
            transport=self._transport,
            ca_bundle=self.config.ca_bundle,
        )
        try:
            await self.open_resources(client)
        except BaseException:
            await client.close()
            raise
        self._client = client

    async def close(self) -> None:
        """Close the connection pool and what the adapter opened with it."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()
            await self.close_resources()

    async def client(self) -> ProviderClient:
        """The open client, started if it was not."""
        await self.start()
        assert self._client is not None
        return self._client

    async def handle(self, request: Envelope) -> JsonValue:
        """Serve one request by the operation of the envelope's service; request and answer validated."""
        spec = self.services.spec_for(request.service)
        answer = await self._operations[spec.key](request, spec.parse_request(request.payload))
        return spec.dump_response(answer)

    async def send(self, request: Envelope, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One call to the provider; 5xx and 429 raise their taxonomy error, 4xx answers are returned
        (providers name the field at fault in them)."""
        response = await (await self.client()).request(request, method, url, check_status=False, **kwargs)
        if response.status_code >= 500 or response.status_code == 429:
            raise_for_status(response, self.provider)
        return response
