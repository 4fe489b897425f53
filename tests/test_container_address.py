"""The image's LGSP_GATEWAY_HOST really sets where the gateway container listens (compose relies on it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bus.gateway.settings import bind_address

ROOT = Path(__file__).resolve().parent.parent


def _image_environment() -> dict[str, str]:
    """The `ENV NAME=value` lines of the Dockerfile."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    pairs = [line.removeprefix("ENV ").split("=", 1) for line in lines if line.startswith("ENV ")]
    return {name.strip(): value.strip() for name, value in pairs}


def _option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def test_gateway_container_listens_on_every_interface_at_its_published_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    gateway = compose["services"]["gateway"]
    for key, value in {**_image_environment(), **gateway["environment"]}.items():
        monkeypatch.setenv(key, str(value))
    command = gateway["command"]
    port = _option(command, "--port")
    host, bound_port = bind_address(_option(command, "--host"), None if port is None else int(port))
    assert host == "0.0.0.0"
    assert f"{bound_port}:{bound_port}" in gateway["ports"]
