"""The pytest ``check`` fixture: bound to the test file's folder, event header from the fixture name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookhub.testing import Checker
from hookhub.toolkit import ScriptRunner

SCRIPT = '''
from hookkit import dispatch, message

EVENT_HEADER = "X-Acme-Event"


def deploy(body, request):
    return message(f"{body['service']} {body.get('version')} ({request.headers.get('x-acme-event')})")


EVENTS = {"deploy": deploy}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs={"deploy": ["service"]}, service="Acme")
'''

JS = '''
const EVENT_HEADER = "X-Acme-Event";
class Script {
  process_incoming_request({ request }) {
    if (request.headers["x-acme-event"] !== "deploy") { return; }
    return { content: { text: "js " + request.content.service } };
  }
}
'''


def folder_with(tmp_path: Path, name: str, source: str) -> Path:
    folder = tmp_path / name
    (folder / "fixtures").mkdir(parents=True)
    (folder / ("script.js" if name.endswith("js") else "script.py")).write_text(source, encoding="utf-8")
    (folder / "fixtures" / "deploy__api.json").write_text(json.dumps({"service": "api", "version": "1.2"}),
                                                          encoding="utf-8")
    return folder


@pytest.fixture
def acme(tmp_path: Path, hookhub_runner: ScriptRunner) -> Checker:
    return Checker(hookhub_runner, folder_with(tmp_path, "acme", SCRIPT))


def test_the_fixture_name_sets_the_event_header(acme: Checker) -> None:
    outcome = acme("deploy__api", text="api 1.2 (deploy)")
    assert outcome.status == 200 and len(outcome.drafts) == 1


def test_a_different_message_fails_with_both_shown(acme: Checker) -> None:
    with pytest.raises(AssertionError, match="message differs"):
        acme("deploy__api", text="something else")


def test_change_and_drop_edit_a_copy_of_the_fixture(acme: Checker) -> None:
    acme("deploy__api", change={"version": "2.0", "extra.deep": 1}, text="api 2.0 (deploy)")
    acme("deploy__api", drop=["version"], text="api None (deploy)")
    acme("deploy__api", drop=["service"], status=400, error="Acme 'deploy' payload is missing 'service'")
    assert acme.load("deploy__api") == {"service": "api", "version": "1.2"}, "the file is unchanged"


def test_dict_bodies_with_event_and_explicit_headers(acme: Checker) -> None:
    acme({"service": "web"}, event="deploy", text="web None (deploy)")
    acme("deploy__api", headers={"X-Acme-Event": "Deploy"}, text="api 1.2 (Deploy)")
    acme("deploy__api", event="ping", expect_unsupported=True, logs="Acme event 'ping'")


def test_expect_unsupported_fails_when_something_is_posted(acme: Checker) -> None:
    with pytest.raises(AssertionError, match="expected nothing posted"):
        acme("deploy__api", expect_unsupported=True)
    with pytest.raises(AssertionError, match="expected HTTP 400"):
        acme("deploy__api", status=400)
    with pytest.raises(AssertionError, match="expected a log line"):
        acme("deploy__api", logs="never written")


def test_a_script_kept_elsewhere_is_named_first(acme: Checker, tmp_path: Path, hookhub_runner: ScriptRunner) -> None:
    elsewhere = Checker(hookhub_runner, tmp_path)
    script = acme.folder / "script.py"
    elsewhere(script, "deploy__api", text="api 1.2 (deploy)")
    elsewhere(str(script), {"service": "x"}, headers={"X-Acme-Event": "deploy"}, text="x None (deploy)")
    with pytest.raises(FileNotFoundError, match="no script.py or script.js in"):
        elsewhere("deploy__api")
    with pytest.raises(TypeError):
        elsewhere()


def test_javascript_scripts_are_found_too(tmp_path: Path, hookhub_runner: ScriptRunner) -> None:
    check = Checker(hookhub_runner, folder_with(tmp_path, "acme_js", JS))
    check("deploy__api", text="js api")
    check("deploy__api", event="other", expect_nothing=True)


def test_event_needs_an_event_header(tmp_path: Path, hookhub_runner: ScriptRunner) -> None:
    source = "class Script:\n    def process_incoming_request(self, request):\n        return None\n"
    check = Checker(hookhub_runner, folder_with(tmp_path, "plain", source))
    with pytest.raises(AssertionError, match="declares no EVENT_HEADER"):
        check({"a": 1}, event="deploy")
    check("deploy__api", expect_nothing=True)


def test_the_fixture_is_bound_to_this_folder(check: Checker) -> None:
    assert check.folder == Path(__file__).parent
