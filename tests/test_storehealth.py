"""A store that cannot commit answers 503 with a reason, /healthz says so, and both recover by themselves.

The full disk is real: SQLite's ``PRAGMA max_page_count`` on the writer's
connection (SQLITE_FULL), a small tmpfs filled to the brim when this
machine lets the tests mount one (skipped with the reason otherwise), and
PostgreSQL's own "could not extend file" (SQLSTATE 53100) with hookhub's tables
in a tablespace on such a tmpfs (its WAL stays on a disk with room).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.testclient import TestClient

from hookhub import database
from hookhub.cli import main
from hookhub.store import Store
from hookhub.storehealth import commit_failure, op_probe, preflight, shown_url

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


def _fill(path: Path, leave: int = 0) -> None:
    """Take every byte the filesystem of ``path`` has left but ``leave``."""
    fs = os.statvfs(path.parent)
    todo = fs.f_bavail * fs.f_frsize - leave
    with open(path, "wb", buffering=0) as f:
        with contextlib.suppress(OSError):
            while todo > 0 or not leave:
                todo -= f.write(b"\0" * min(65536, max(todo, 4096)))


CONFIG = """\
storage:
  url: {url}
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
        config.write_text(CONFIG.format(url=f"sqlite:///{disk / 'hookhub.db'}"), encoding="utf-8")
        srv = Server(config)
        srv.start()
        try:
            hook = f"{srv.url}/hooks/plain/plain-token"
            assert httpx.post(hook, json={"text": "before"}, timeout=10).status_code == 200
            filler = disk / "filler"
            _fill(filler)
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


@contextlib.contextmanager
def pg_on_tmpfs(pg_server: Any, size: str) -> Iterator[tuple[str, Path]]:
    """A fresh database of ``pg_server`` whose new tables go to a tablespace on a tmpfs of ``size``;
    yields its URL and the tmpfs.  PostgreSQL's WAL and catalogs stay on a disk with room, so a full
    tmpfs is "could not extend file" (53100) for hookhub's tables, never a PANIC of the server."""
    import psycopg

    owner = pg_server.data.stat()  # a tablespace's folder must belong to the server's user
    name = "small_" + uuid.uuid4().hex[:8]
    admin = f"host=127.0.0.1 port={pg_server.port} user={pg_server.user} dbname=postgres"
    with tmpfs(pg_server.dir / name, size, f"uid={owner.st_uid}", f"gid={owner.st_gid}", "mode=0700") as disk:
        url = pg_server.database()
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"CREATE TABLESPACE {name} LOCATION '{disk}'")
                conn.execute(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET default_tablespace = {name}')
            yield url, disk
        finally:
            pg_server.drop(url)
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP TABLESPACE IF EXISTS {name}")


@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs is Linux")
def test_the_probe_needs_room_on_postgresql_too(pg_server: Any) -> None:
    """A row finds room in a page its table already has (the last probe's, once pruned): on PostgreSQL,
    where each table is a file, the probe must grow a file to say that the disk has room again."""
    with pg_on_tmpfs(pg_server, "1m") as (url, disk):
        store = Store(url)
        try:
            store.migrate()
            store.write_now(op_probe())
            _fill(disk / "filler")
            for _ in range(3):
                with pytest.raises(SQLAlchemyError) as full:
                    store.write_now(op_probe())
                assert (commit_failure(full.value) or "").startswith(
                    "the database server's disk is full (could not extend file"), full.value
            os.unlink(disk / "filler")
            store.write_now(op_probe())
            assert store.read_now(lambda c: c.exec_driver_sql(
                "SELECT count(*) FROM pg_class WHERE left(relname, 14) = 'hookhub_probe_'").scalar()) == 0
        finally:
            store.engine.dispose()


def test_the_probe_commits_for_a_user_who_cannot_create_tables(pg_server: Any, pg_url: str) -> None:
    import psycopg

    role = "dml_" + uuid.uuid4().hex[:8]
    dbname = pg_url.rsplit("/", 1)[1]
    owner = Store(pg_url)
    owner.migrate()
    owner.engine.dispose()
    with psycopg.connect(f"host=127.0.0.1 port={pg_server.port} user={pg_server.user} dbname={dbname}",
                         autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        store = Store(pg_url.replace(f"{pg_server.user}@", f"{role}@"))
        try:
            assert store.read_now(lambda c: c.exec_driver_sql(
                "SELECT has_schema_privilege(current_schema(), 'CREATE')").scalar()) is False
            store.write_now(op_probe())  # a row in and out: no CREATE on the schema needed
        finally:
            store.engine.dispose()
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")

def _stored_texts(url: str) -> list[str]:
    engine = create_engine(database.engine_url(url))
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text(
                "SELECT CAST(doc AS json) ->> 'text' FROM messages WHERE room = '#general'"))]
    finally:
        engine.dispose()


#: room left on the tmpfs when the filler is written: a few dozen webhooks of 3 KB are answered 200 first
ROOM = 256 * 1024


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="tmpfs is Linux")
def test_a_real_full_disk_of_a_postgresql_server_under_a_running_server(pg_server: Any, tmp_path: Path) -> None:
    """hookhub's tables in a tablespace on an 8 MB tmpfs; the tmpfs is filled, PostgreSQL answers 53100
    ("could not extend file ... No space left on device"), hookhub 503; room again, both recover."""
    with pg_on_tmpfs(pg_server, "8m") as (url, disk):
        config = tmp_path / "hookhub.yaml"
        config.write_text(CONFIG.format(url=url), encoding="utf-8")
        srv = Server(config)
        filler = disk / "filler"
        try:
            srv.start()  # migrates: every table and index of hookhub is created on the tmpfs
            hook = f"{srv.url}/hooks/plain/plain-token"
            assert httpx.post(hook, json={"text": "before"}, timeout=10).status_code == 200
            answered = ["before"]
            _fill(filler, leave=ROOM)  # 8 KiB pages: PostgreSQL's last extension finds none, not half of one
            statuses = []
            for i in range(300):  # random text: PostgreSQL cannot compress it into a page it already has
                body = f"{i} {secrets.token_hex(1500)}"
                r = httpx.post(hook, json={"text": body}, timeout=10)
                statuses.append(r.status_code)
                if r.status_code != 200:
                    break
                answered.append(body)
            assert statuses[-1] == 503 and 500 not in statuses, statuses
            assert r.headers["retry-after"] == "10" and r.headers["content-type"] == "application/json"
            error = r.json()["error"]
            assert r.json()["success"] is False and error.startswith(
                "the store cannot commit: the database server's disk is full (could not extend file "), error
            assert error.endswith(": No space left on device); nothing was stored, retry later"), error
            assert "Traceback" not in r.text
            for _ in range(2):  # still: the probe finds no room either
                health = httpx.get(f"{srv.url}/healthz", timeout=10)
                assert health.status_code == 503 and health.headers["retry-after"] == "10", health.text
                assert "the database server's disk is full" in health.json()["error"], health.text
            assert httpx.get(f"{srv.url}/readyz", timeout=10).status_code == 503

            os.unlink(filler)
            assert httpx.get(f"{srv.url}/healthz", timeout=10).json() == {"success": True}  # by itself
            assert httpx.post(hook, json={"text": "after"}, timeout=10).status_code == 200
            latest = httpx.get(f"{srv.url}/api/v1/channels/general/messages?limit=1", timeout=10,
                               headers={"Authorization": "Bearer disk-admin"}).json()["messages"]
            assert latest[0]["text"] == "after"
            stored = _stored_texts(url)
            lost = [t[:8] for t in answered if t not in stored]
            assert lost == [] and len(stored) == len(answered) + 1, (lost, len(stored), len(answered))
            assert body not in stored  # the 503 stored nothing
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(filler)
            srv.stop()
    assert b"Traceback" not in srv.output, srv.output.decode(errors="replace")[-3000:]


# -- start-up ------------------------------------------------------------------------


def _serve_once(config: Path) -> Any:
    return CliRunner().invoke(main, ["serve", "--config", str(config), "--port", "0"])


def test_a_store_directory_that_cannot_be_created_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a directory")
    config = tmp_path / "hookhub.yaml"
    config.write_text(CONFIG.format(url=f"sqlite:///{tmp_path / 'afile' / 'data' / 'hookhub.db'}"), encoding="utf-8")
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
        config.write_text(CONFIG.format(url=f"sqlite:///{disk / 'hookhub.db'}"), encoding="utf-8")
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
