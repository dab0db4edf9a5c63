"""Bridge tests reuse the outgoing fixtures: a receiver on 127.0.0.1 and hubs with a fake clock."""

from tests.outgoing.conftest import clock, receiver, start_hub  # noqa: F401 - fixtures
