"""A real PostgreSQL server for the tests, started with ``initdb`` + ``pg_ctl`` in a temporary folder.

:class:`PgServer` runs the server binaries of Debian's ``postgresql`` package (found on PATH or in
``/usr/lib/postgresql/*/bin``) on a free port of 127.0.0.1, with its unix socket in the temporary
folder.  ``initdb`` refuses to run as root: when the tests run as root (CI), the binaries are run as
the ``postgres`` system user (``runuser -u postgres --``) and the folder is handed to that user.

When no server can be started the PostgreSQL tests are skipped with the reason, except in CI
(``CI=true``), where they fail: CI installs ``postgresql`` (``.ci/run``) so a missing server there
is a bug, not an excuse.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


class PgUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (the message says why)."""


def _binaries() -> Path:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    raise PgUnavailable("initdb/pg_ctl not found on PATH nor in /usr/lib/postgresql/*/bin "
                        "(apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in a temporary folder; :meth:`database` makes a fresh database."""

    def __init__(self) -> None:
        self.bin = _binaries()
        self.dir = Path(tempfile.mkdtemp(prefix="hookhub-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = "postgres"
        self._prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable("running as root and there is no 'postgres' user to run initdb as") from None
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o700)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self.started = False

    def _run(self, *args: str) -> None:
        cmd = [*self._prefix, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.dir / "server.log"
            tail = ""
            if log.exists():
                tail = log.read_text(errors="replace")[-2000:]
            raise PgUnavailable(f"{' '.join(args[:1])} failed ({done.returncode}): "
                                f"{(done.stderr or done.stdout)[-2000:]}{tail}")

    def start(self) -> PgServer:
        """initdb, then pg_ctl start on 127.0.0.1:port (fsync off: test data only)."""
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--no-instructions")
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        self.started = True
        return self

    def stop(self) -> None:
        if self.started:
            subprocess.run([*self._prefix, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, timeout=60)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres", *, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (CI=true) a test that needs PostgreSQL."""
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"PostgreSQL is required in CI but cannot be used: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")
