"""Fixtures of the delivery tests: a real HTTP receiver on 127.0.0.1 and a clock the test moves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..outgoing.receiver import FakeClock, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
