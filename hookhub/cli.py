"""The ``hookhub`` command line: a thin layer over the library."""

from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import plugins
from .config import Config, load_config
from .errors import ConfigError
from .redact import mask_url
from .registry import compile_problems, plugin_problems

if TYPE_CHECKING:  # pragma: no cover
    from .hub import Hub

DEFAULT_CONFIG = "config/hookhub.yaml"


def _load(config_path: str, dev: bool) -> Config:
    try:
        return load_config(config_path, dev=dev)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s) in {config_path}", err=True)
        raise SystemExit(1) from None


def _plugin_manager(config: Config | None) -> Any:
    if config is None:
        return plugins.make_plugin_manager()
    return plugins.make_plugin_manager(
        block=config.disable_plugins,
        plugins_dir=config.resolve(config.plugins_dir) if config.plugins_dir else None)


class _Group(click.Group):
    """Adds commands contributed by plugins (``hookhub_cli_commands``)."""

    def _extra(self) -> dict[str, click.Command]:
        try:
            pm = plugins.make_plugin_manager()
        except Exception:  # noqa: BLE001 - a broken plugin must not break --help
            return {}
        found: dict[str, click.Command] = {}
        for batch in pm.hook.hookhub_cli_commands():
            for cmd in batch:
                if cmd.name:
                    found[cmd.name] = cmd
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list with each description's whole first sentence (click cuts it at ~45 chars)."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=300)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._extra()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._extra().get(cmd_name)


@click.group(cls=_Group)
@click.version_option(package_name="hookhub")
def main() -> None:
    """hookhub: a self-hosted webhook integration engine."""


@main.command()
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True, type=click.Path())
@click.option("--host", default=None, help="Interface to bind (default: server.host).")
@click.option("--port", default=None, type=int, help="Port (default: server.port; 0 picks a free one).")
@click.option("--dev", is_flag=True, help="Use the dev_default of secrets whose environment variable is unset.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Server processes sharing the port and the store, each with its own sandbox pool.")
def serve(config_path: str, host: str | None, port: int | None, dev: bool, log_level: str, workers: int) -> None:
    """Serve the integrations of a YAML file."""
    from . import serving
    from .web import make_app
    from .hub import Hub
    from .logs import config_secrets, configure
    from .storehealth import preflight, shown_url

    config = _load(config_path, dev)
    configure(log_level, config.server.log_format, config_secrets(config))
    server = config.server.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v is not None})
    config = config.model_copy(update={"server": server})
    _store_ready(config.storage_url())  # driver, server, migrations: one line each
    unusable = preflight(config.storage_url())
    if unusable is not None:
        click.echo(f"hookhub: {shown_url(config.storage_url())}: {unusable}; check storage.url in {config_path} "
                   "and that its directory exists and is writable", err=True)
        raise SystemExit(1)
    try:
        hub = Hub(config)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from None
    for integ in hub.registry.integrations.values():
        if integ.compile_error:  # a log line (JSON with server.log_format: json)
            logging.getLogger("hookhub").warning("integration %s is disabled until its script compiles: %s",
                                                 integ.id, integ.compile_error)
    from .netcheck import port_problem

    busy = port_problem(server.host, server.port)
    if busy is not None:
        click.echo(f"error: {busy}", err=True)
        raise SystemExit(1)
    _banner(config, hub, workers)
    if workers > 1:
        serving.run_workers(config_path=config_path, dev=dev, host=server.host, port=server.port,
                            log_level=log_level, workers=workers)
        return
    hub.freeze_heap = True  # a long-lived server: its start-up objects leave the collector's walks
    serving.run(make_app(hub), server, log_level)


def _store_ready(url: str) -> None:
    """Exit with one clear line when the store cannot be used (bad URL, driver missing, server unreachable).

    What the store's own files or schema say (a directory that cannot be made, a read-only disk, the
    migrations) is :func:`hookhub.storehealth.preflight`'s, which runs next and migrates once before
    any server process starts.
    """
    from .database import problem

    reason = problem(url)
    if reason is not None:
        click.echo(f"error: {reason}", err=True)
        raise SystemExit(1)


def _banner(config: Config, hub: Hub, workers: int = 1) -> None:
    base = config.server.public_url or f"http://{config.server.host}:{config.server.port}"
    lines = [f"hookhub {len(hub.registry.integrations)} integration(s) from {config.file}",
             f"  URL:          {base}",
             f"  store:        {mask_url(config.storage_url())}"]
    if workers > 1:
        lines.append(f"  processes:    {workers} (--workers), each with {config.sandbox.workers} sandbox worker(s)")
    dev = set(config.dev_defaults_used)
    for integ in hub.registry.integrations.values():
        if integ.config.type != "incoming":
            continue
        token = integ.config.token.get_secret_value() if integ.config.token else ""
        shown = token if dev else "<token>"
        lines.append(f"  hook {integ.id}: {base}/hooks/{integ.id}/{shown}")
    if config.admin.token is not None:
        admin = config.admin.token.get_secret_value() if dev else "<admin.token>"
        lines.append(f"  admin token:  {admin}   (Authorization: Bearer ... for {base}/api/v1/)")
    if dev:
        lines.append(f"  development defaults in use for: {', '.join(sorted(dev))} "
                     "(set these environment variables in production)")
    if config.server.log_format == "json":  # one JSON line like every other, secrets masked
        logging.getLogger("hookhub").info("\n".join(lines))
        return
    click.echo("\n".join(lines), err=True)


@main.command()
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True, type=click.Path())
@click.option("--dev", is_flag=True, help="Accept dev_default values for unset environment variables.")
def check(config_path: str, dev: bool) -> None:
    """Validate a YAML file and compile its scripts; exit 1 listing every problem."""
    from .configcheck import check_file

    def stages(config: Config) -> list[Any]:
        pm = _plugin_manager(config)
        return plugin_problems(config, plugins.verifiers(pm)) + compile_problems(config, plugins.engines(pm))

    problems, config = check_file(config_path, dev=dev, stages=stages)
    from .database import problem as store_problem

    store = store_problem(config.storage_url()) if config else None  # driver missing, server unreachable
    for problem in problems:
        click.echo(str(problem), err=True)
    from .message import default_problems

    for warning in default_problems(config) if config else ():  # what serving would log for every message
        click.echo(f"warning: {warning}", err=True)
    if store is not None:
        click.echo(f"{config_path}: {store}", err=True)
    if problems or store is not None:
        click.echo(f"{len(problems) + (store is not None)} problem(s) in {config_path}", err=True)
        raise SystemExit(1)
    click.echo(f"{config_path}: OK ({len(config.integrations) if config else 0} integration(s))")


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the YAML configuration (for editors: see the README)."""
    import json as _json

    from .configschema import config_schema

    click.echo(_json.dumps(config_schema(), indent=2, ensure_ascii=False))


@main.command("new-token")
@click.option("--bytes", "nbytes", default=24, show_default=True, type=click.IntRange(16, 1024),
              help="Random bytes in the token (16 to 1024).")
def new_token(nbytes: int) -> None:
    """Print a new random token for an integration or the admin API."""
    click.echo(secrets.token_urlsafe(nbytes))


@main.command("plugins")
@click.option("--config", "config_path", default=None, type=click.Path(),
              help="Also load the plugins_dir and disable_plugins of this YAML file.")
def list_plugins(config_path: str | None) -> None:
    """List loaded extension plugins and the hooks each implements."""
    config = _load(config_path, dev=True) if config_path else None
    pm = _plugin_manager(config)
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        click.echo(f"{name}: {', '.join(hooks) or '(no hooks)'}")
    blocked = [n for n, p in pm.list_name_plugin() if p is None]
    for name in blocked:
        click.echo(f"{name}: (blocked)")


@main.command("test")
@click.argument("target")
@click.argument("fixture")
@click.option("--header", "-H", "headers", multiple=True, metavar="NAME:VALUE",
              help="A request header (repeatable); the event header comes from the fixture name otherwise.")
@click.option("--config", "config_path", default=None, type=click.Path(exists=True),
              help="Run TARGET as an integration id of this YAML file.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.option("--inprocess", is_flag=True, help="Run without worker processes (debugging).")
@click.option("--response", "response_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Outgoing: the receiver's answer for process_outgoing_response (JSON).")
@click.option("--dev", is_flag=True, help="With --config: use the dev_default of secrets whose variable is unset.")
def test_command(target: str, fixture: str, headers: tuple[str, ...], config_path: str | None,
                 as_json: bool, inprocess: bool, response_file: str | None, dev: bool) -> None:
    """Run a script (or an integration) on a FIXTURE through the full pipeline; nothing is stored.

    TARGET is a script file, or an integration id with --config.  FIXTURE is a
    JSON file or a fixture name from the script's fixtures/ folder.  For an
    outgoing script FIXTURE is the message, and --response the receiver's answer
    (docs/outgoing.md, "Testing offline"); nothing is sent.
    """
    import json as _json

    from .outgoing.cli import offline_test
    from .toolkit import ScriptRunner, as_json as outcome_json, render

    if offline_test(target, fixture, config_path, response_file, as_json=as_json, inprocess=inprocess):
        return

    parsed: dict[str, str] = {}
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise click.BadParameter(f"{header!r}: write headers as NAME:VALUE", param_hint="--header")
        parsed[name.strip()] = value.strip()
    with ScriptRunner(sandbox_mode="inprocess" if inprocess else "process") as runner:
        try:
            if config_path:
                outcome = runner.run(None, fixture, headers=parsed, config=Path(config_path), integration=target,
                                     dev=dev)
            else:
                script = Path(target)
                if not script.is_file():
                    raise click.BadParameter(f"{target}: no such script file (or use --config FILE and an "
                                             "integration id)", param_hint="TARGET")
                outcome = runner.run(script, fixture, headers=parsed)
        except (FileNotFoundError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        except ConfigError as exc:
            raise click.ClickException("\n".join(str(p) for p in exc.problems)) from None
    if as_json:
        click.echo(_json.dumps(outcome_json(outcome), indent=2, ensure_ascii=False))
    else:
        click.echo(render(outcome))
    raise SystemExit(0 if outcome.status == 200 else 1)


@main.command("new-integration")
@click.argument("name")
@click.option("--dir", "directory", default="plugins", show_default=True, type=click.Path(),
              help="Folder in which to create NAME/.")
def new_integration(name: str, directory: str) -> None:
    """Scaffold DIR/NAME/ with a script on the event kit, a fixture, its test and a README."""
    _scaffold(name, directory)


@main.command("new-script")
@click.argument("name")
@click.option("--dir", "directory", default="plugins", show_default=True, type=click.Path(),
              help="Folder in which to create NAME/.")
def new_script(name: str, directory: str) -> None:
    """Scaffold DIR/NAME/ with a script, a fixture, a test and a README (same as new-integration)."""
    _scaffold(name, directory)


def _scaffold(name: str, directory: str) -> None:
    from .scaffold import scaffold

    try:
        created = scaffold(Path(directory), name)
    except (ValueError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from None
    for path in created:
        click.echo(f"created {path}")
    click.echo(f"next: hookhub test {Path(directory) / name / 'script.py'} example__basic")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

