"""hookkit.dispatch and event_key: the event table every bundled script answers through."""

from __future__ import annotations

from typing import Any

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.request import freeze
from hookhub.engines.python import hookkit
from hookhub.sandbox import ScriptSpec
from hookhub.records import Limits
from hookhub.sandbox.inprocess import InProcessSandbox

dispatch = hookkit.dispatch


def req(content: Any, **headers: str) -> Any:
    return freeze({"headers": {k.replace("_", "-"): v for k, v in headers.items()}, "content": content})


def echo(body: Any, request: Any) -> Any:
    return hookkit.message(f"{body.get('n')} via {request['headers'].get('x-acme-event')}")


EVENTS = {"push": echo, "Merge Request Hook": echo, "comment": {"created": echo, "deleted": None, "*": None}}


@pytest.mark.parametrize(("name", "folded"), [("Push Hook", "push_hook"), ("repo:push", "repo_push"),
                                              ("job-completed", "job_completed"), ("  A -- b ", "a_b"),
                                              ("jira:issue_created", "jira_issue_created"), (None, ""),
                                              ("ISSUE", "issue")])
def test_event_key_folds_case_and_punctuation(name: Any, folded: str) -> None:
    assert hookkit.event_key(name) == folded


def test_the_handler_of_the_event_answers_with_body_and_request() -> None:
    lines: list[str] = []
    got = dispatch(req({"n": 1}, x_acme_event="PUSH"), EVENTS, header="X-Acme-Event", log=lines.append)
    assert got == {"content": {"text": "1 via PUSH"}} and lines == []
    assert dispatch(req({"n": 2}, x_acme_event="merge_request_hook"), EVENTS, header="X-Acme-Event") == {
        "content": {"text": "2 via merge_request_hook"}}


def test_an_unknown_event_is_unsupported_with_one_log_line() -> None:
    lines: list[str] = []
    assert dispatch(req({}, x_acme_event="ping"), EVENTS, header="X-Acme-Event", service="Acme",
                    log=lines.append) is None
    assert lines == ["Acme event 'ping' is not supported; nothing posted"]


def test_actions_are_a_table_too() -> None:
    lines: list[str] = []
    events, header = EVENTS, "X-Acme-Event"
    assert dispatch(req({"action": "created", "n": 3}, x_acme_event="comment"), events, header=header)
    assert dispatch(req({"action": "deleted"}, x_acme_event="comment"), events, header=header,
                    service="Acme", log=lines.append) is None
    assert dispatch(req({"action": "edited"}, x_acme_event="comment"), events, header=header,
                    service="Acme", log=lines.append) is None  # "*": None
    assert lines == ["Acme 'comment' action 'deleted' is not supported; nothing posted",
                     "Acme 'comment' action 'edited' is not supported; nothing posted"]
    nested = {"note": {"open": echo}}
    assert dispatch(req({"object_attributes": {"action": "open"}}, x_acme_event="note"), nested, header=header,
                    action="object_attributes.action") == {"content": {"text": "None via note"}}
    assert dispatch(req({"object_attributes": {}}, x_acme_event="note"), nested, header=header,
                    action="object_attributes.action", service="Acme") == {
        "error": "Acme 'note' payload is missing 'object_attributes.action'"}


def test_needs_name_the_missing_path() -> None:
    needs = {"*": ("repository.name",), "push": ("ref",)}
    header = "X-Acme-Event"
    assert dispatch(req({"ref": "main"}, x_acme_event="push"), EVENTS, header=header, needs=needs,
                    service="Acme") == {"error": "Acme 'push' payload is missing 'repository.name'"}
    assert dispatch(req({"repository": {"name": "r"}}, x_acme_event="Push"), EVENTS, header=header,
                    needs=needs, service="Acme") == {"error": "Acme 'Push' payload is missing 'ref'"}
    assert dispatch(req([1, 2], x_acme_event="push"), EVENTS, header=header, service="Acme") == {
        "error": "Acme 'push' payload must be a JSON object"}
    assert dispatch(req({"ref": "main", "repository": {"name": "r"}, "n": 4}, x_acme_event="push"), EVENTS,
                    header=header, needs=needs) == {"content": {"text": "4 via push"}}


def test_where_the_event_name_comes_from() -> None:
    body = {"event": {"event_type": "push"}, "n": 5}
    assert dispatch(req(body), EVENTS, field="event.event_type") == {"content": {"text": "5 via None"}}
    assert dispatch(req(body, x_forgejo_event="push"), EVENTS, header=("X-Gitea-Event", "X-Forgejo-Event"))
    assert dispatch(req({"n": 6}), EVENTS, detect=lambda body: "push") == {"content": {"text": "6 via None"}}
    assert dispatch(req({"n": 7}), EVENTS, header="X-Acme-Event", default="push") == {
        "content": {"text": "7 via None"}}
    # the header wins over the field
    assert dispatch(req({"kind": "ping", "n": 8}, x_acme_event="push"), EVENTS, header="X-Acme-Event",
                    field="kind") == {"content": {"text": "8 via push"}}


def test_no_event_name_is_anomalous() -> None:
    assert dispatch(req({}), EVENTS, header="X-Acme-Event", service="Acme") == {
        "error": "missing X-Acme-Event header: is this an Acme webhook delivery?"}
    assert dispatch(req({}), EVENTS, field="webhookEvent", service="Jira") == {
        "error": "Jira payload is missing 'webhookEvent': is this a Jira webhook delivery?"}
    assert dispatch(req({}), EVENTS, header="Circleci-Event-Type", field="type", service="CircleCI") == {
        "error": "missing Circleci-Event-Type header (and no 'type' in the body): "
                 "is this a CircleCI webhook delivery?"}
    assert dispatch(req({}), EVENTS, detect=lambda body: None, service="Grafana", hint="expected 'alerts'") == {
        "error": "not a Grafana webhook payload: cannot tell which event it is (expected 'alerts')"}
    assert dispatch(req("text"), EVENTS, field="kind", service="Acme") == {
        "error": "Acme payload must be a JSON object"}
    assert dispatch(req({"kind": True}), EVENTS, field="kind", service="Acme") == {
        "error": "Acme payload is missing 'kind': is this an Acme webhook delivery?"}


def test_a_table_entry_that_is_not_a_function_is_reported() -> None:
    assert dispatch(req({}, x_acme_event="push"), {"push": "oops"}, header="X-Acme-Event") == {
        "error": "the event table of the script maps 'push' to something that is not a function"}


SCRIPT = '''
from hookkit import dispatch, message

def push(body, request):
    return message("pushed " + body["ref"])

EVENTS = {"push": push}

class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header="X-Acme-Event", needs={"push": ["ref"]}, service="Acme")
'''


@pytest.mark.asyncio
async def test_inside_a_script_the_unsupported_line_goes_to_the_integration_log() -> None:
    sandbox = InProcessSandbox({"python": PythonEngine()})
    await sandbox.start()
    try:
        await sandbox.load(ScriptSpec("kit", "python", SCRIPT, "kit.py", Limits(timeout_ms=2000)))
        call = "process_incoming_request"
        out = await sandbox.call("kit", call, {"request": {"headers": {"x-acme-event": "ping"}, "content": {}}})
        assert out.ok and out.value is None, out.reason
        assert [(r.level, r.message) for r in out.logs] == [
            ("log", "Acme event 'ping' is not supported; nothing posted")]
        out = await sandbox.call("kit", call, {"request": {"headers": {"x-acme-event": "push"},
                                                           "content": {"ref": "main"}}})
        assert out.ok and out.value == {"content": {"text": "pushed main"}} and out.logs == []
        out = await sandbox.call("kit", call, {"request": {"headers": {"x-acme-event": "push"}, "content": {}}})
        assert out.ok and out.value == {"error": "Acme 'push' payload is missing 'ref'"}
    finally:
        await sandbox.close()


def test_needs_and_action_paths_by_prefix() -> None:
    events = {"pullrequest:created": echo, "repo:commit_status_updated": {"SUCCESSFUL": echo}}
    needs = {"pullrequest:*": ("pullrequest.id",), "*": ("repository",)}
    header = "X-Event-Key"
    assert dispatch(req({"repository": {}}, x_event_key="pullrequest:created"), events, header=header,
                    needs=needs, service="Bitbucket") == {
        "error": "Bitbucket 'pullrequest:created' payload is missing 'pullrequest.id'"}
    lines: list[str] = []
    action = {"repo:commit_status_*": "commit_status.state"}
    body = {"repository": {}, "commit_status": {"state": "INPROGRESS"}}
    assert dispatch(req(body, x_event_key="repo:commit_status_updated"), events, header=header, needs=needs,
                    action=action, service="Bitbucket", log=lines.append) is None
    assert lines == ["Bitbucket 'repo:commit_status_updated' state 'INPROGRESS' is not supported; nothing posted"]
    body = {"repository": {}, "commit_status": {"state": "SUCCESSFUL"}, "n": 9}
    assert dispatch(req(body, x_event_key="repo:commit_status_updated"), events, header=header, needs=needs,
                    action=action) == {"content": {"text": "9 via None"}}


def test_the_most_specific_needs_win_over_a_prefix() -> None:
    events = {"incident.annotated": echo, "incident.triggered": echo}
    needs = {"incident.annotated": ("event.data.incident.html_url",), "incident.*": ("event.data.html_url",)}
    body = {"event": {"event_type": "incident.annotated", "data": {"incident": {"html_url": "u"}}}, "n": 1}
    assert dispatch(req(body), events, field="event.event_type", needs=needs) == {"content": {"text": "1 via None"}}
    body = {"event": {"event_type": "incident.triggered", "data": {}}}
    assert dispatch(req(body), events, field="event.event_type", needs=needs, service="PagerDuty") == {
        "error": "PagerDuty 'incident.triggered' payload is missing 'event.data.html_url'"}
