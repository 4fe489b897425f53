"""The `Store` contract, written once and run on every store (see the `store` fixture)."""

from __future__ import annotations

import asyncio

import pytest

from bus.store import Store

SHORT_TTL = 0.2
PAST_SHORT_TTL = 0.35


async def test_missing_key_reads_as_none(store: Store) -> None:
    assert await store.get("absent") is None


async def test_set_value_is_read_back_and_replaced_by_next_set(store: Store) -> None:
    await store.set("k", b"first")
    assert await store.get("k") == b"first"
    await store.set("k", b"second")
    assert await store.get("k") == b"second"


async def test_delete_removes_key_and_reports_whether_it_existed(store: Store) -> None:
    await store.set("k", b"v")
    assert await store.delete("k") is True
    assert await store.get("k") is None
    assert await store.delete("k") is False


async def test_keys_are_independent(store: Store) -> None:
    await store.set("a", b"1")
    await store.set("b", b"2")
    await store.delete("a")
    assert await store.get("b") == b"2"


async def test_reads_made_at_once_each_get_their_own_key_s_value(store: Store) -> None:
    for n in range(0, 60, 2):
        await store.set(f"k{n}", f"value {n}".encode())
    found = await asyncio.gather(*(store.get(f"k{n}") for n in range(60)))
    assert found == [f"value {n}".encode() if n % 2 == 0 else None for n in range(60)]


async def test_a_read_begun_after_a_write_ended_sees_it_while_other_reads_are_under_way(store: Store) -> None:
    await store.set("moving", b"old")

    async def write_then_read() -> bytes | None:
        await store.set("moving", b"new")
        return await store.get("moving")

    outcomes = await asyncio.gather(*(store.get(f"other{n}") for n in range(20)), write_then_read())
    assert outcomes[-1] == b"new"


@pytest.mark.parametrize(
    "value",
    [bytes(range(256)), b"", b"\x00\xff\x00", "Hải Phòng – Sở Tư pháp".encode(), b'{"json": true}'],
    ids=["all-bytes", "empty", "nuls", "utf8", "json"],
)
async def test_binary_values_round_trip_unchanged(store: Store, value: bytes) -> None:
    await store.set("bin", value)
    assert await store.get("bin") == value


async def test_key_with_ttl_expires(store: Store) -> None:
    await store.set("k", b"v", ttl=SHORT_TTL)
    assert await store.get("k") == b"v"
    await asyncio.sleep(PAST_SHORT_TTL)
    assert await store.get("k") is None
    assert await store.delete("k") is False


async def test_set_without_ttl_clears_previous_expiry(store: Store) -> None:
    await store.set("k", b"old", ttl=SHORT_TTL)
    await store.set("k", b"new")
    await asyncio.sleep(PAST_SHORT_TTL)
    assert await store.get("k") == b"new"


async def test_set_if_absent_writes_only_when_absent(store: Store) -> None:
    assert await store.set_if_absent("k", b"first") is True
    assert await store.set_if_absent("k", b"second") is False
    assert await store.get("k") == b"first"


async def test_set_if_absent_has_exactly_one_winner_among_100_concurrent_callers(store: Store) -> None:
    values = [f"caller-{i}".encode() for i in range(100)]
    results = await asyncio.gather(*(store.set_if_absent("lock", value) for value in values))
    winners = [value for value, won in zip(values, results, strict=True) if won]
    assert len(winners) == 1
    assert await store.get("lock") == winners[0]


async def test_set_if_absent_succeeds_again_after_expiry(store: Store) -> None:
    assert await store.set_if_absent("k", b"first", ttl=SHORT_TTL) is True
    await asyncio.sleep(PAST_SHORT_TTL)
    assert await store.set_if_absent("k", b"second") is True
    assert await store.get("k") == b"second"


async def test_get_else_set_if_absent_returns_the_found_value_and_writes_nothing(store: Store) -> None:
    await store.set("done", b"the reply")
    assert await store.get_else_set_if_absent("done", "lease", b"me") == (b"the reply", False)
    assert await store.get("lease") is None


async def test_get_else_set_if_absent_writes_the_absent_key_once(store: Store) -> None:
    assert await store.get_else_set_if_absent("done", "lease", b"me", ttl=SHORT_TTL) == (None, True)
    assert await store.get_else_set_if_absent("done", "lease", b"you") == (None, False)
    assert await store.get("lease") == b"me"
    await asyncio.sleep(PAST_SHORT_TTL)
    assert await store.get_else_set_if_absent("done", "lease", b"you") == (None, True)


async def test_get_else_set_if_absent_has_one_winner_and_each_caller_its_own_keys(store: Store) -> None:
    await store.set("done-1", b"")  # message 1 completed (an empty record still counts)
    callers = [n % 3 for n in range(60)]  # three messages, twenty concurrent callers each
    outcomes = await asyncio.gather(
        *(
            store.get_else_set_if_absent(f"done-{m}", f"lease-{m}", f"caller-{n}".encode())
            for n, m in enumerate(callers)
        )
    )
    by_message: dict[int, list[tuple[int, tuple[bytes | None, bool]]]] = {0: [], 1: [], 2: []}
    for n, (m, outcome) in enumerate(zip(callers, outcomes, strict=True)):
        by_message[m].append((n, outcome))
    assert {outcome for _, outcome in by_message[1]} == {(b"", False)}
    assert await store.get("lease-1") is None
    for m in (0, 2):
        winners = [n for n, (found, written) in by_message[m] if written]
        assert len(winners) == 1 and all(found is None for _, (found, _) in by_message[m])
        assert await store.get(f"lease-{m}") == f"caller-{winners[0]}".encode()


async def test_incr_creates_counter_and_adds_amounts(store: Store) -> None:
    assert await store.incr("n") == 1
    assert await store.incr("n", 5) == 6
    assert await store.incr("n", -10) == -4
    assert await store.get("n") == b"-4"


async def test_incr_continues_from_a_set_integer(store: Store) -> None:
    await store.set("n", b"41")
    assert await store.incr("n") == 42


async def test_incr_is_atomic_under_200_concurrent_increments(store: Store) -> None:
    results = await asyncio.gather(*(store.incr("hits") for _ in range(200)))
    assert sorted(results) == list(range(1, 201))
    assert await store.get("hits") == b"200"


async def test_incr_ttl_is_applied_only_when_counter_is_created(store: Store) -> None:
    await store.incr("window", ttl=0.3)
    await asyncio.sleep(0.15)
    # A ttl re-applied here would keep the key alive until 0.45 s after creation.
    assert await store.incr("window", ttl=0.3) == 2
    await asyncio.sleep(0.2)
    assert await store.get("window") is None


async def test_incr_without_ttl_keeps_existing_expiry(store: Store) -> None:
    await store.incr("window", ttl=SHORT_TTL)
    await store.incr("window")
    await asyncio.sleep(PAST_SHORT_TTL)
    assert await store.get("window") is None


async def test_expired_counter_restarts_from_amount(store: Store) -> None:
    await store.incr("window", 7, ttl=SHORT_TTL)
    await asyncio.sleep(PAST_SHORT_TTL)
    assert await store.incr("window") == 1


async def test_incr_on_non_integer_value_raises_and_keeps_value(store: Store) -> None:
    await store.set("k", b"not a number")
    with pytest.raises(ValueError, match="not an integer"):
        await store.incr("k")
    assert await store.get("k") == b"not a number"


async def test_set_and_incr_writes_the_key_and_counts_from_one(store: Store) -> None:
    assert await store.set_and_incr("done", b"reply", "calls") == 1
    assert await store.get("done") == b"reply"
    assert await store.set_and_incr("done2", b"other", "calls") == 2
    assert await store.get("calls") == b"2"


async def test_set_and_incr_expires_the_key_and_sets_the_counter_s_ttl_only_when_it_creates_it(
    store: Store,
) -> None:
    await store.set_and_incr("done", b"reply", "window", ttl=SHORT_TTL, counter_ttl=0.3)
    await asyncio.sleep(0.15)
    # A counter ttl re-applied here would keep the counter alive until 0.45 s after creation.
    assert await store.set_and_incr("kept", b"reply", "window", counter_ttl=0.3) == 2
    await asyncio.sleep(0.2)
    assert await store.get("done") is None
    assert await store.get("window") is None
    assert await store.get("kept") == b"reply"


async def test_set_and_incr_is_atomic_for_the_counter_under_100_concurrent_steps(store: Store) -> None:
    totals = await asyncio.gather(*(store.set_and_incr(f"k{n}", b"v", "hits") for n in range(100)))
    assert sorted(totals) == list(range(1, 101))
    assert [await store.get(f"k{n}") for n in range(100)] == [b"v"] * 100


async def test_set_and_incr_on_a_non_integer_counter_raises_and_writes_nothing(store: Store) -> None:
    await store.set("calls", b"not a number")
    with pytest.raises(ValueError, match="not an integer"):
        await store.set_and_incr("done", b"reply", "calls")
    assert await store.get("done") is None
    assert await store.get("calls") == b"not a number"


@pytest.mark.parametrize("ttl", [0, -1.0])
async def test_non_positive_ttl_is_rejected_and_writes_nothing(store: Store, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await store.set("k", b"v", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.set_if_absent("k", b"v", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.incr("k", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.get_else_set_if_absent("other", "k", b"v", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.set_and_incr("k", b"v", "n", ttl=ttl)
    with pytest.raises(ValueError, match="ttl"):
        await store.set_and_incr("k", b"v", "n", counter_ttl=ttl)
    assert await store.get("k") is None
    assert await store.get("n") is None


async def test_non_bytes_value_is_rejected_and_writes_nothing(store: Store) -> None:
    with pytest.raises(TypeError, match="bytes"):
        await store.set("k", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        await store.set_if_absent("k", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        await store.get_else_set_if_absent("other", "k", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bytes"):
        await store.set_and_incr("k", "text", "n")  # type: ignore[arg-type]
    assert await store.get("k") is None
    assert await store.get("n") is None


async def test_empty_key_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="key"):
        await store.set("", b"v")


async def test_non_integer_incr_amount_is_rejected(store: Store) -> None:
    with pytest.raises(TypeError, match="int"):
        await store.incr("n", 1.5)  # type: ignore[arg-type]
    assert await store.get("n") is None


async def test_connect_and_close_are_idempotent_and_store_reopens(store: Store) -> None:
    await store.connect()
    await store.connect()
    await store.set("k", b"v")
    await store.close()
    await store.close()
    await store.connect()
    assert await store.get("k") == b"v"
    assert await store.incr("n") == 1


async def test_replace_if_writes_only_over_the_expected_value(store: Store) -> None:
    await store.set("k", b"first")
    assert await store.replace_if("k", b"other", b"second") is False
    assert await store.get("k") == b"first"
    assert await store.replace_if("k", b"first", b"second") is True
    assert await store.get("k") == b"second"


async def test_replace_if_never_creates_an_absent_key(store: Store) -> None:
    assert await store.replace_if("absent", b"", b"v") is False
    assert await store.get("absent") is None


async def test_replace_if_sets_the_new_expiry(store: Store) -> None:
    await store.set("k", b"old")
    assert await store.replace_if("k", b"old", b"new", ttl=SHORT_TTL) is True
    await asyncio.sleep(PAST_SHORT_TTL)
    assert await store.get("k") is None


async def test_only_one_of_racing_replace_ifs_wins(store: Store) -> None:
    await store.set("k", b"state-1")
    wins = await asyncio.gather(*(store.replace_if("k", b"state-1", f"w{n}".encode()) for n in range(10)))
    assert sum(wins) == 1
