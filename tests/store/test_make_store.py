"""`make_store` picks the store a URL names and refuses anything else."""

from __future__ import annotations

import pytest

from bus.store import MemoryStore, RedisStore, make_store


@pytest.mark.parametrize("url", [None, "memory://"])
def test_no_url_or_memory_url_gives_memory_store(url: str | None) -> None:
    assert isinstance(make_store(url), MemoryStore)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/15", "rediss://cache.example:6380/0"])
def test_redis_urls_give_redis_store_with_prefix(url: str) -> None:
    store = make_store(url, prefix="hpg:")
    assert isinstance(store, RedisStore)
    assert store.prefix == "hpg:"


@pytest.mark.parametrize("url", ["", "memory", "http://127.0.0.1:6379", "amqp://guest@localhost/"])
def test_unsupported_url_raises_clear_value_error(url: str) -> None:
    with pytest.raises(ValueError, match="unsupported store URL"):
        make_store(url)
