"""The ``hookhub`` command line: a thin layer over the library."""

from __future__ import annotations

import logging
import secrets
import sys
from typing import Any

import click

from . import plugins
from .config import Config, load_config
from .errors import ConfigError
from .registry import compile_problems

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
def serve(config_path: str, host: str | None, port: int | None, dev: bool, log_level: str) -> None:
    """Serve the integrations of a YAML file."""
    import uvicorn

    from .app import make_app
    from .hub import Hub

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = _load(config_path, dev)
    server = config.server.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v is not None})
    config = config.model_copy(update={"server": server})
    hub = Hub(config)
    for integ in hub.registry.integrations.values():
        if integ.compile_error:
            click.echo(f"warning: integration {integ.id} is disabled until its script compiles: "
                       f"{integ.compile_error}", err=True)
    app = make_app(hub)
    _banner(config, hub)
    uvicorn.run(app, host=server.host, port=server.port, log_level=log_level, access_log=False,
                server_header=False, proxy_headers=False)


def _banner(config: Config, hub: Any) -> None:
    base = config.server.public_url or f"http://{config.server.host}:{config.server.port}"
    lines = [f"hookhub {len(hub.registry.integrations)} integration(s) from {config.file}",
             f"  URL:          {base}",
             f"  store:        {config.storage_url()}"]
    dev = set(config.dev_defaults_used)
    for integ in hub.registry.integrations.values():
        if integ.config.type != "incoming":
            continue
        token = integ.config.token.get_secret_value() if integ.config.token else ""
        shown = token if dev else "<token>"
        lines.append(f"  hook {integ.id + ':':<9} {base}/hooks/{integ.id}/{shown}")
    if config.admin.token is not None:
        admin = config.admin.token.get_secret_value() if dev else "<admin.token>"
        lines.append(f"  admin token:  {admin}   (Authorization: Bearer ... for {base}/api/v1/)")
    if dev:
        lines.append(f"  development defaults in use for: {', '.join(sorted(dev))} "
                     "(set these environment variables in production)")
    click.echo("\n".join(lines), err=True)


@main.command()
@click.option("--config", "config_path", default=DEFAULT_CONFIG, show_default=True, type=click.Path())
@click.option("--dev", is_flag=True, help="Accept dev_default values for unset environment variables.")
def check(config_path: str, dev: bool) -> None:
    """Validate a YAML file and compile its scripts; exit 1 listing every problem."""
    config = _load(config_path, dev)
    engines = plugins.engines(_plugin_manager(config))
    problems = compile_problems(config, engines)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {config_path}", err=True)
        raise SystemExit(1)
    click.echo(f"{config_path}: OK ({len(config.integrations)} integration(s))")


@main.command("new-token")
@click.option("--bytes", "nbytes", default=24, show_default=True, help="Random bytes in the token.")
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

