"""Admission in the database: delivery claims and shared rate-limit counters, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hookhub.pipeline.admission import Claim, ClaimLost, RateLimits, claim, op_settle, release
from hookhub.errors import RateLimited
from hookhub.store import Store


@pytest.fixture
async def stores(store_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database: two nodes."""
    a, b = Store(store_url, shared=True), Store(store_url, shared=True)
    a.open()
    b.open()
    yield a, b
    a.close()
    b.close()


async def _claim(store: Store, delivery: str, token: str, *, wait_s: float = 0.0, lease_s: float = 60.0,
                 window_s: float = 3600) -> Claim:
    return await claim(store, "gh", delivery, token, window_s=window_s, lease_s=lease_s, wait_s=wait_s)


async def test_one_of_many_simultaneous_copies_wins(stores: tuple[Store, Store]) -> None:
    a, b = stores
    results = await asyncio.gather(*(_claim(a if i % 2 else b, "d1", f"t{i}") for i in range(20)))
    assert results.count(Claim.WON) == 1
    assert results.count(Claim.IN_FLIGHT) == 19


async def test_a_copy_after_success_is_a_duplicate(stores: tuple[Store, Store]) -> None:
    a, b = stores
    assert await _claim(a, "d1", "t1") is Claim.WON
    await a.write(op_settle("gh", "d1", "t1", success=True, now=1e12))
    assert await _claim(b, "d1", "t2") is Claim.DUPLICATE


async def test_a_failed_first_copy_lets_the_retry_through(stores: tuple[Store, Store]) -> None:
    a, b = stores
    assert await _claim(a, "d1", "t1") is Claim.WON
    await a.write(op_settle("gh", "d1", "t1", success=False, now=1.0))
    assert await _claim(b, "d1", "t2") is Claim.WON


async def test_a_copy_waits_for_the_first_and_follows_its_outcome(stores: tuple[Store, Store]) -> None:
    a, b = stores
    assert await _claim(a, "ok", "t1") is Claim.WON
    assert await _claim(a, "bad", "t1") is Claim.WON
    waiting_ok = asyncio.create_task(_claim(b, "ok", "t2", wait_s=10))
    waiting_bad = asyncio.create_task(_claim(b, "bad", "t2", wait_s=10))
    await asyncio.sleep(0.3)
    assert not waiting_ok.done() and not waiting_bad.done()
    await a.write(op_settle("gh", "ok", "t1", success=True, now=1e12))
    await release(a, "gh", "bad", "t1")
    assert await waiting_ok is Claim.DUPLICATE
    assert await waiting_bad is Claim.WON


async def test_a_dead_nodes_claim_is_taken_over_after_its_lease(stores: tuple[Store, Store]) -> None:
    a, b = stores
    assert await _claim(a, "d1", "t1") is Claim.WON
    assert await _claim(b, "d1", "t2", lease_s=60) is Claim.IN_FLIGHT
    await asyncio.sleep(0.05)
    assert await _claim(b, "d1", "t2", lease_s=0.01) is Claim.WON
    with pytest.raises(ClaimLost):  # the slow first node cannot commit a second copy
        await a.write(op_settle("gh", "d1", "t1", success=True, now=2e12))


async def test_a_success_older_than_the_window_is_processed_again(stores: tuple[Store, Store]) -> None:
    a, b = stores
    assert await _claim(a, "d1", "t1") is Claim.WON
    await a.write(op_settle("gh", "d1", "t1", success=True, now=1.0))  # long ago
    assert await _claim(b, "d1", "t2", window_s=3600) is Claim.WON


async def test_rate_limits_are_shared_between_nodes(stores: tuple[Store, Store]) -> None:
    a, b = stores
    limits = {"gh": (5, 3600)}
    node_a, node_b = RateLimits(a, limits), RateLimits(b, limits)
    outcomes: list[object] = []
    for i in range(8):
        try:
            outcomes.append(await (node_a if i % 2 else node_b).hit("gh"))
        except RateLimited as exc:
            outcomes.append(exc)
    allowed = [o for o in outcomes if not isinstance(o, RateLimited)]
    assert len(allowed) == 5
    assert [s.remaining for s in allowed] == [4, 3, 2, 1, 0]  # type: ignore[attr-defined]
    refused = outcomes[5]
    assert isinstance(refused, RateLimited) and refused.headers["X-RateLimit-Remaining"] == "0"
    assert await node_a.hit("other") is None


async def test_rate_limits_in_memory_when_the_store_is_not_shared(tmp_path: object) -> None:
    st = Store(f"sqlite:///{tmp_path}/m.db", shared=False)
    st.open()
    try:
        limits = RateLimits(st, {"gh": (2, 60)})
        await limits.hit("gh")
        await limits.hit("gh")
        with pytest.raises(RateLimited):
            await limits.hit("gh")
        assert st.read_now(lambda c: c.exec_driver_sql("SELECT count(*) FROM rate_counters").scalar()) == 0
    finally:
        st.close()
