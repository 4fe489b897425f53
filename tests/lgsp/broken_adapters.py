"""Adapter factories that fail the ways a third party's can, for the start-up refusal tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.echo import EchoAdapter


class ProviderDirectoryDown(RuntimeError):
    """What a factory looking something up at build time might raise."""


def raises(config: Mapping[str, Any]) -> EchoAdapter:
    """A factory that fails while building, as one that reaches out at build time does."""
    raise ProviderDirectoryDown("cannot reach the provider directory\nat http://127.0.0.1:9")


def not_an_adapter(config: Mapping[str, Any]) -> object:
    """A factory returning something without `handle`."""
    return {"handle": "not a method"}


def echo(config: Mapping[str, Any]) -> EchoAdapter:
    """A working adapter, to show the others fail for their own reason."""
    return EchoAdapter(config)
