"""Shared factories: a configuration written to a temporary folder, a hub, a client."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from hookhub.web.app import make_app
from hookhub.config import load_config
from hookhub.hub import Hub

ADMIN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}

BASE = f"""\
server:
  max_body_bytes: 4096
  max_message_chars: 2000
storage:
  url: sqlite:///data/hookhub.db
sandbox:
  mode: {{mode}}
  workers: 2
  timeout_ms: 2000
admin:
  token: {ADMIN}
users:
  - username: rocket.cat
    name: Rocket Cat
  - username: alice
  - username: bob
channels:
  - name: general
  - name: notifications
  - name: ops
    private: true
    members: [alice]
integrations:
"""


def integration(id: str, script: str | None = None, **fields: Any) -> str:
    """One YAML integration entry (an incoming one posting to #general as rocket.cat)."""
    entry: dict[str, Any] = {"id": id, "type": "incoming", "token": f"{id}-token", "channel": "#general",
                             "username": "rocket.cat"}
    entry.update(fields)
    if script is None and "script_file" not in entry:
        entry.setdefault("script_enabled", False)
    lines = [f"  - id: {entry.pop('id')}"]
    for key, value in entry.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, str) and not value.startswith(("{", "[")):
            value = f'"{value}"'
        lines.append(f"    {key}: {value}")
    if script is not None:
        lines.append("    script: |")
        lines.extend("      " + line for line in textwrap.dedent(script).strip("\n").splitlines())
    return "\n".join(lines) + "\n"


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    def write(*integrations: str, mode: str = "inprocess", extra: str = "") -> Path:
        path = tmp_path / "hookhub.yaml"
        path.write_text(BASE.replace("{mode}", mode) + "".join(integrations) + extra, encoding="utf-8")
        return path
    return write


@pytest.fixture
def make_client(write_config: Callable[..., Path]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(*integrations: str, mode: str = "inprocess", extra: str = "") -> TestClient:
        config = load_config(write_config(*integrations, mode=mode, extra=extra))
        client = TestClient(make_app(Hub(config)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def messages(client: TestClient, channel: str = "general") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/channels/{channel}/messages", headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["messages"]  # type: ignore[no-any-return]


# -- PostgreSQL (tests/pg.py): a real server for the session, a fresh database per test ----------

_PG: Any = None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """The session's PostgreSQL server (started on first use; skipped locally, failing in CI, without one)."""
    from . import pg

    global _PG
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pg.unavailable("psycopg is not installed (pip install -e '.[test]')")
    if _PG is None:
        server = pg.PgServer()
        try:
            server.start()
        except pg.PgUnavailable as exc:
            server.stop()
            pg.unavailable(str(exc))
        _PG = server
    yield _PG
    _PG.stop()
    _PG = None


@pytest.fixture
def pg_url(pg_server: Any) -> Iterator[str]:
    """The URL of an empty database of the session's PostgreSQL server."""
    url: str = pg_server.database()
    yield url
    pg_server.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL on each backend: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hookhub.db'}"
    return str(request.getfixturevalue("pg_url"))
