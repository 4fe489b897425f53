"""Shared fixtures: the real RabbitMQ and Redis of this machine.

A test that needs one is skipped with the reason when it is down, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

AMQP_URL = os.environ.get("LGSP_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("LGSP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), 1.0):
            return True
    except OSError:
        return False


def _require(name: str, url: str, default_port: int) -> str:
    if _reachable(url, default_port):
        return url
    reason = f"{name} is not reachable at {url}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; under CI=true a missing service is a failure, not a skip")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """URL of the real RabbitMQ (skip, or fail under CI, when it is down)."""
    return _require("RabbitMQ", AMQP_URL, 5672)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis, database 15 (skip, or fail under CI, when it is down)."""
    return _require("Redis", REDIS_URL, 6379)
