"""Store URLs: which backend, whether hookhub can use it (one clear line), migration lock."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hookhub import database
from hookhub.cli import main
from tests.test_e2e import free_port


def test_backends_and_driver_pinning() -> None:
    assert database.backend("sqlite:///x.db") == "sqlite"
    assert database.engine_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert database.engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ValueError, match="psycopg2.*postgresql\\+psycopg://"):
        database.backend("postgresql+psycopg2://h/db")
    with pytest.raises(ValueError, match="storage.url: 'mysql' is not supported"):
        database.backend("mysql://h/db")


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    url = f"postgresql://hub:hunter2@127.0.0.1:{free_port()}/hookhub"
    reason = database.problem(url, connect_timeout_s=2)
    assert reason is not None and "\n" not in reason
    assert reason.startswith(f"storage.url postgresql://hub:••••@127.0.0.1:") and "cannot connect" in reason
    assert "hunter2" not in reason


def test_a_reachable_server_and_sqlite_have_no_problem(pg_url: str) -> None:
    assert database.problem(pg_url) is None
    assert database.problem("sqlite:///x.db") is None


def test_a_missing_driver_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what an installation without the extra sees
    reason = database.problem("postgresql://hub:hunter2@127.0.0.1/hookhub")
    assert reason == ("storage.url postgresql://hub:••••@127.0.0.1/hookhub: the PostgreSQL driver (psycopg 3) is "
                      "not installed; install it with: pip install 'hookhub[postgresql]'")


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "hookhub.yaml"
    path.write_text(f"storage:\n  url: {url}\nintegrations: []\n", encoding="utf-8")
    return path


def test_check_and_serve_report_the_store_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql://hub:hunter2@127.0.0.1:{free_port()}/hookhub"
    config = _config(tmp_path, url)
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 1
    assert "hunter2" not in result.output and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and "cannot connect to the PostgreSQL server" in lines[0], result.output
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = CliRunner().invoke(main, ["serve", "--config", str(config)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip() == ("error: storage.url postgresql://hub:••••@127.0.0.1:"
                                     f"{url.rsplit(':', 1)[1].split('/')[0]}/hookhub: the PostgreSQL driver "
                                     "(psycopg 3) is not installed; install it with: pip install 'hookhub[postgresql]'")
