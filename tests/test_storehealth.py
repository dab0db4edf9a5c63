"""A store that cannot commit answers 503 with a reason, /healthz says so, and both recover by themselves.

The full disk is real: SQLite's ``PRAGMA max_page_count`` on the writer's
connection (SQLITE_FULL), and a small tmpfs filled to the brim when this
machine lets the tests mount one (skipped with the reason otherwise).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from hookhub.cli import main
from hookhub.storehealth import commit_failure, preflight, shown_url

from .conftest import integration, messages
from .test_e2e import Server

Client = Callable[..., TestClient]


def test_commit_failure_classifies_real_sqlite_errors(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (v BLOB)")
    conn.commit()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.Error) as full:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    assert (commit_failure(full.value) or "").startswith("the disk is full (")
    conn.close()
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as readonly:
        ro.execute("INSERT INTO t VALUES (1)")
    assert (commit_failure(readonly.value) or "").startswith("the database is read-only")
    ro.close()
    with pytest.raises(sqlite3.Error) as syntax:
        sqlite3.connect(":memory:").execute("SELEC 1")
    assert commit_failure(syntax.value) is None  # a bug, not the store's condition
    assert commit_failure(ValueError("x")) is None


def test_shown_url_hides_the_password() -> None:
    assert shown_url("postgresql://hub:s3cret@db:5432/hub") == "postgresql://hub:***@db:5432/hub"
    assert shown_url("sqlite:///data/hookhub.db") == "sqlite:///data/hookhub.db"


def _writer_pragma(client: TestClient, sql: str) -> Any:
    """Run a PRAGMA on the store's writer connection (max_page_count is per connection)."""
    store = client.app.hub.store  # type: ignore[attr-defined]
    return client.portal.call(store.write, lambda conn: conn.exec_driver_sql(sql).scalar())  # type: ignore[union-attr]


def test_a_full_disk_answers_503_with_a_reason_and_recovers_by_itself(make_client: Client) -> None:
    client = make_client(integration("plain"))
    assert client.post("/hooks/plain/plain-token", json={"text": "before"}).status_code == 200
    pages = _writer_pragma(client, "PRAGMA page_count")
    _writer_pragma(client, f"PRAGMA max_page_count = {pages}")
    answers = []
    for i in range(300):  # fill the last free room of the file
        r = client.post("/hooks/plain/plain-token", json={"text": f"filler {i} " + "x" * 1500})
        answers.append(r.status_code)
        if r.status_code != 200:
            break
    assert answers[-1] == 503, answers
    assert r.headers["retry-after"] == "10" and r.headers["content-type"] == "application/json"
    assert r.json()["success"] is False and r.json()["error"].startswith(
        "the store cannot commit: the disk is full (database or disk is full); nothing was stored")
    health = client.get("/healthz")
    assert health.status_code == 503 and "the disk is full" in health.json()["error"]
    assert client.get("/healthz").status_code == 503  # still: the probe commits nothing while full
    _writer_pragma(client, "PRAGMA max_page_count = 1073741823")  # room again
    assert client.get("/healthz").json() == {"success": True}
    assert client.post("/hooks/plain/plain-token", json={"text": "after"}).status_code == 200
    assert messages(client, "general")[0]["text"] == "after"


def test_chat_post_message_on_a_full_disk_is_503_too(make_client: Client) -> None:
    client = make_client(integration("plain"))
    pages = _writer_pragma(client, "PRAGMA page_count")
    _writer_pragma(client, f"PRAGMA max_page_count = {pages}")
    from .conftest import AUTH
    statuses = [client.post("/api/v1/chat.postMessage", headers=AUTH,
                            json={"channel": "#general", "text": "y" * 1900}).status_code for _ in range(100)]
    assert 503 in statuses and 500 not in statuses
    _writer_pragma(client, "PRAGMA max_page_count = 1073741823")


# -- a real filesystem: a small tmpfs ------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    opts = ",".join((f"size={size}", *options))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and mount rights): {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


CONFIG = """\
storage:
  url: sqlite:///{db}
admin:
  token: disk-admin
users:
  - username: rocket.cat
channels:
  - name: general
integrations:
  - id: plain
    type: incoming
    token: plain-token
    channel: "#general"
    username: rocket.cat
    script_enabled: false
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs is Linux")
def test_a_real_full_disk_under_a_running_server(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "4m") as disk:
        config = tmp_path / "hookhub.yaml"
        config.write_text(CONFIG.format(db=disk / "hookhub.db"), encoding="utf-8")
        srv = Server(config)
        srv.start()
        try:
            hook = f"{srv.url}/hooks/plain/plain-token"
            assert httpx.post(hook, json={"text": "before"}, timeout=10).status_code == 200
            filler = disk / "filler"
            with open(filler, "wb", buffering=0) as f:  # take every byte that is left
                with contextlib.suppress(OSError):
                    while True:
                        f.write(b"\0" * 4096)
            statuses = []
            for i in range(200):
                r = httpx.post(hook, json={"text": f"{i} " + "z" * 3000}, timeout=10)
                statuses.append(r.status_code)
                if r.status_code != 200:
                    break
            assert statuses[-1] == 503 and 500 not in statuses, statuses
            assert "retry-after" in r.headers and "the store cannot commit" in r.json()["error"]
            health = httpx.get(f"{srv.url}/healthz", timeout=10)
            assert health.status_code == 503, health.text
            os.unlink(filler)
            assert httpx.get(f"{srv.url}/healthz", timeout=10).json() == {"success": True}
            assert httpx.post(hook, json={"text": "after"}, timeout=10).status_code == 200
        finally:
            srv.stop()
        assert b"Traceback" not in srv.output, srv.output.decode(errors="replace")[-3000:]


# -- start-up ------------------------------------------------------------------------


def _serve_once(config: Path) -> Any:
    return CliRunner().invoke(main, ["serve", "--config", str(config), "--port", "0"])


def test_a_store_directory_that_cannot_be_created_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a directory")
    config = tmp_path / "hookhub.yaml"
    config.write_text(CONFIG.format(db=tmp_path / "afile" / "data" / "hookhub.db"), encoding="utf-8")
    result = _serve_once(config)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert lines[0].startswith(f"hookhub: sqlite:///{tmp_path}/afile/data/hookhub.db: cannot create the store's "
                               "directory: ")
    assert f"check storage.url in {config}" in lines[0]
    assert preflight(f"sqlite:///{tmp_path}/ok/hookhub.db") is None


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs is Linux")
def test_a_read_only_store_is_one_clear_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m") as disk:
        config = tmp_path / "hookhub.yaml"
        config.write_text(CONFIG.format(db=disk / "hookhub.db"), encoding="utf-8")
        assert preflight(f"sqlite:///{disk}/hookhub.db") is None  # a store that worked...
        remount = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True, text=True)
        if remount.returncode != 0:
            pytest.skip(f"cannot remount the tmpfs read-only: {remount.stderr.strip()}")
        result = _serve_once(config)  # ... on a disk that went read-only
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert "cannot open and write the store: " in lines[0], lines[0]
    assert "read-only" in lines[0].lower(), lines[0]  # SQLite's "attempt to write a readonly database" or the lock file's EROFS
