"""`lgsp mock` keeps idle connections open longer than its callers do, so a caller closes them first: a
server closing a kept-alive connection as its client sends on it fails that request (seen as
`Transport.HTTPConnectionClosed` on the load test's direct calls)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from adapters.sdk.http_client import ProviderClient
from lgsp.cli import app


def served_keep_alive(monkeypatch: pytest.MonkeyPatch, *given: str) -> Any:
    """The keep-alive `lgsp mock population` hands uvicorn."""
    options: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda _app, **kwargs: options.append(kwargs))
    result = CliRunner().invoke(app, ["mock", "population", "--port", "20998", "--no-latency", *given])
    assert result.exit_code == 0, result.output
    return options[0]["timeout_keep_alive"]


def test_a_mock_keeps_idle_connections_longer_than_the_adapters_provider_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_expiry = inspect.signature(ProviderClient).parameters["keepalive_expiry"].default
    assert served_keep_alive(monkeypatch) > client_expiry


def test_a_mock_keeps_idle_connections_as_long_as_told(monkeypatch: pytest.MonkeyPatch) -> None:
    assert served_keep_alive(monkeypatch, "--keep-alive", "7") == 7
