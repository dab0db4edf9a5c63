"""``hookhub deliveries``: the outbox (outgoing calls and bridge deliveries) from the command line.

Contributed through ``hookhub_cli_commands`` by the ``outgoing`` plugin.  It
reads the database named in the YAML file directly, so it works while the
server runs (SQLite WAL) and when it is stopped; it never shows URLs or tokens.
"""

from __future__ import annotations

import asyncio
import json

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..configcheck import load_without_secrets
from ..redact import mask_url
from ..errors import ConfigError
from ..store import Store
from ..delivery.outbox import STATUSES, delivery_json, list_deliveries


@click.command("deliveries")
@click.option("--config", "config_path", default="config/hookhub.yaml", show_default=True, type=click.Path())
@click.option("--dev", is_flag=True, help="Use dev_default values for missing secrets.")
@click.option("--status", type=click.Choice(STATUSES), help="Only deliveries in this state.")
@click.option("--kind", type=click.Choice(["outgoing", "bridge"]), help="Only outgoing calls or bridge deliveries.")
@click.option("--target", help="Only this integration id or bridge name.")
@click.option("--message-id", help="Only the deliveries of this message.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def deliveries(config_path: str, dev: bool, status: str | None, kind: str | None, target: str | None,
               message_id: str | None, limit: int, as_json: bool) -> None:
    """List queued, delivered and failed deliveries, newest first."""
    try:
        config = load_without_secrets(config_path, dev=dev)  # only the store is needed: no secret
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    store = Store(config.storage_url())
    try:
        rows = asyncio.run(list_deliveries(store, message_id=message_id, kind=kind, target=target, status=status,
                                           limit=limit))
    except (OperationalError, ProgrammingError):
        raise click.ClickException(f"{mask_url(config.storage_url())} has no deliveries yet: start hookhub once "
                                   "with this configuration to create them") from None
    finally:
        store.engine.dispose()
    for row in rows:
        item = delivery_json(row)
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
            continue
        line = (f"{item['created_at']}  {item['kind']:<8} {item['target']:<20} {item['status']:<9} "
                f"tries={item['tries']} attempts={item['attempts']} message={item['message_id']}")
        if item["last_status"] is not None or item["last_error"]:
            line += f"  last={item['last_status']} {item['last_error'] or ''}".rstrip()
        if item["next_attempt_at"]:
            line += f"  next={item['next_attempt_at']}"
        click.echo(line)
    if not rows and not as_json:
        click.echo("no deliveries")


def offline_test(target: str, fixture: str, config_path: str | None, response_file: str | None, *,
                 as_json: bool, inprocess: bool) -> bool:
    """``hookhub test`` for outgoing scripts and integrations (``hookhub.outgoing.offline``).

    Returns False when TARGET is not outgoing (the incoming path runs);
    otherwise prints the outcome and exits (0 when the script ran through).
    """
    from pathlib import Path

    from ..toolkit import ScriptRunner
    from . import offline

    integration: str | None = None
    script: Path | None = None
    if config_path:
        config = load_without_secrets(config_path, dev=True)  # only the integration's type is needed here
        found = next((i for i in config.integrations if i.id == target), None)
        if found is None or found.type != "outgoing":
            if response_file is not None and found is not None:
                raise click.BadParameter(f"{target} is an incoming integration: --response is for outgoing ones",
                                         param_hint="--response")
            return False
        integration = target
    else:
        script = Path(target)
        if not script.is_file():
            return False
        if not offline.is_outgoing_script(script):
            if response_file is not None:
                raise click.BadParameter(f"{target} has no prepare_outgoing_request or process_outgoing_response: "
                                         "--response is for outgoing scripts", param_hint="--response")
            return False
    with ScriptRunner(sandbox_mode="inprocess" if inprocess else "process") as runner:
        try:
            outcome = offline.test_outgoing(runner, script, fixture, config=Path(config_path) if config_path else None,
                                            integration=integration,
                                            response=Path(response_file) if response_file else None)
        except (FileNotFoundError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(offline.as_json(outcome), indent=2, ensure_ascii=False))
    else:
        click.echo(offline.render(outcome))
    raise SystemExit(0 if outcome.ok else 1)
