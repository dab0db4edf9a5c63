"""An in-process app with the UI and a logged-in client."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.conftest import ADMIN, integration

SCRIPT = """
class Script:
    def process_incoming_request(self, request):
        console.log("got", request.content.get("n"))
        if request.content.get("boom"):
            raise ValueError("boom")
        return {"content": {"text": "n=" + str(request.content.get("n"))}}
"""


@pytest.fixture
def ui(make_client: Callable[..., TestClient]) -> TestClient:
    """A client of an app with one scripted integration ``s`` and one plain ``p``, not logged in."""
    return make_client(integration("s", SCRIPT), integration("p"))


def login(client: TestClient) -> str:
    """Log ``client`` in; returns the session's CSRF token."""
    answer = client.post("/ui/login", data={"token": ADMIN})
    assert answer.status_code == 200, answer.text
    found = re.search(r'name="csrf" value="([^"]+)"', answer.text)
    assert found is not None
    return found.group(1)
