"""``hookhub deliveries`` reads the outbox from the database."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hookhub.cli import main

from .conftest import outgoing, post, stop, wait_delivery
from .receiver import Receiver


def test_deliveries_command(start_hub, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.answer(400, "no")
    client = start_hub(outgoing("out", [receiver.url()], token="never-shown"))
    first = post(client, "one")
    wait_delivery(client, first["_id"], "failed")
    second = post(client, "two")
    wait_delivery(client, second["_id"], "delivered")
    path = str(client.hub.config.base_dir / "hookhub.yaml")
    stop(client)

    result = CliRunner().invoke(main, ["deliveries", "--config", path])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2 and "delivered" in lines[0] and "failed" in lines[1] and "last=400" in lines[1]
    assert "never-shown" not in result.output and str(receiver.port) not in result.output

    result = CliRunner().invoke(main, ["deliveries", "--config", path, "--status", "failed", "--json"])
    [item] = [json.loads(line) for line in result.output.splitlines()]
    assert item["message_id"] == first["_id"] and item["target"] == "out"


def test_deliveries_command_without_a_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "h.yaml"
    config.write_text("storage: {url: 'sqlite:///fresh.db'}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["deliveries", "--config", str(config)])
    assert result.exit_code != 0 and "start hookhub once" in result.output


def test_deliveries_command_needs_no_secret(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("I14_UNSET_TOKEN", raising=False)
    config = tmp_path / "h.yaml"
    config.write_text("storage: {url: 'sqlite:///fresh.db'}\nadmin: {token: {$env: I14_UNSET_TOKEN}}\n"
                      "users: [{username: u}]\nchannels: [{name: g}]\nintegrations:\n"
                      "  - {id: a, type: incoming, token: {$env: I14_UNSET_TOKEN}, channel: '#g', username: u}\n",
                      encoding="utf-8")
    result = CliRunner().invoke(main, ["deliveries", "--config", str(config)])
    # past the secrets: it gets to the store (still empty)
    assert result.exit_code != 0 and "start hookhub once" in result.output
    assert "I14_UNSET_TOKEN" not in result.output
    # other problems still stop it
    config.write_text("storage: {url: 'sqlite:///fresh.db'}\nbogus: 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["deliveries", "--config", str(config)])
    assert result.exit_code != 0 and "unknown key 'bogus'" in result.output
