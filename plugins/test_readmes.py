"""The example in each plugin's README is the real output of ``hookhub test``."""

import re
from pathlib import Path

import pytest

from hookhub.toolkit import render

PLUGINS = Path(__file__).parent
EXAMPLE = re.compile(r"```console\n\$ hookhub test plugins/([\w-]+)/script\.py (\S+)\n(.*?)\n```", re.DOTALL)
SERVICES = sorted(p.parent.name for p in PLUGINS.glob("*/script.py"))


def test_every_plugin_has_a_readme_and_tests():
    for service in SERVICES:
        folder = PLUGINS / service
        assert (folder / "README.md").is_file(), f"{folder}/README.md is missing"
        assert (folder / f"test_{service}.py").is_file(), f"{folder}/test_{service}.py is missing"
        assert list((folder / "fixtures").glob("*__*.json")), f"{folder}/fixtures has no <event>__<variant>.json"
        assert f"[{service}/]({service}/)" in (PLUGINS / "README.md").read_text(encoding="utf-8"), (
            f"plugins/README.md does not list {service}/")


def test_every_fixture_has_a_test():
    for service in SERVICES:
        tests = (PLUGINS / service / f"test_{service}.py").read_text(encoding="utf-8")
        for fixture in (PLUGINS / service / "fixtures").glob("*.json"):
            assert f'"{fixture.stem}"' in tests, f"no test uses {service}/fixtures/{fixture.name}"


@pytest.mark.parametrize("service", SERVICES)
def test_readme_example_is_current(check, service):
    readme = (PLUGINS / service / "README.md").read_text(encoding="utf-8")
    examples = EXAMPLE.findall(readme)
    assert examples, f"plugins/{service}/README.md has no `$ hookhub test ...` example"
    for folder, fixture, shown in examples:
        assert folder == service
        outcome = check(PLUGINS / service / "script.py", fixture)
        assert render(outcome) == shown, f"plugins/{service}/README.md: example for {fixture} is out of date"


YAML_BLOCK = re.compile(r"## Configure hookhub\n\n```yaml\n(.*?)```", re.DOTALL)
ENV_NAME = re.compile(r"\{\$env: (\w+)\}")


@pytest.mark.parametrize("service", SERVICES)
def test_readme_yaml_passes_hookhub_check(service, tmp_path, monkeypatch):
    """The README's YAML snippet, with the users and channels it names, passes `hookhub check`."""
    from click.testing import CliRunner

    from hookhub.cli import main

    readme = (PLUGINS / service / "README.md").read_text(encoding="utf-8")
    found = YAML_BLOCK.search(readme)
    assert found, f"plugins/{service}/README.md has no YAML snippet under '## Configure hookhub'"
    snippet = found.group(1).replace(f"script_file: plugins/{service}/script.py",
                                     f"script_file: {(PLUGINS / service / 'script.py').as_posix()}")
    for name in ENV_NAME.findall(snippet):
        monkeypatch.setenv(name, f"test-{name.lower()}")
    config = tmp_path / "hookhub.yaml"
    config.write_text("users:\n  - username: rocket.cat\nchannels:\n  - name: dev\n" + snippet, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--config", str(config)])
    assert result.exit_code == 0, f"plugins/{service}/README.md YAML: {result.output}"
