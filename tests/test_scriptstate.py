"""The Store of scripts on several nodes: per-key last-writer-wins, merged in the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hookhub import scriptstate
from hookhub.store import Store


@pytest.fixture
async def stores(store_url: str) -> AsyncIterator[list[Store]]:
    nodes = [Store(store_url, shared=True) for _ in range(3)]
    for st in nodes:
        st.open()
    yield nodes
    for st in nodes:
        st.close()


async def test_changes_of_different_keys_on_different_nodes_are_all_kept(stores: list[Store]) -> None:
    await asyncio.gather(*(stores[i % 3].write(scriptstate.op_merge("it", {f"k{i}": i})) for i in range(60)))
    assert await scriptstate.load(stores[0], "it") == {f"k{i}": i for i in range(60)}


async def test_the_last_writer_of_a_key_wins(stores: list[Store]) -> None:
    await stores[0].write(scriptstate.op_merge("it", {"a": 1, "b": 1}))
    await stores[1].write(scriptstate.op_merge("it", {"a": 2}))
    assert await scriptstate.load(stores[2], "it") == {"a": 2, "b": 1}
    assert await scriptstate.load(stores[2], "other") is None


def test_uses_store() -> None:
    assert scriptstate.uses_store("Store.set('a', 1)") and not scriptstate.uses_store("x = 1")
