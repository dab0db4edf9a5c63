"""Fixture tests for the generic Slack/Rocket.Chat-compatible script."""

import pytest


def test_message__rocketchat_full(check):
    check("message__rocketchat_full",
          text='Elevated error rates on the public API',
          attachments=[{'color': '#daa038',
                        'text': 'We are investigating increased error rates for a subset of requests.',
                        'title': 'Investigating: elevated 5xx on api.example.com',
                        'title_link': 'https://status.example.com/incidents/77',
                        'author_name': 'status.example.com',
                        'author_link': 'https://status.example.com/',
                        'image_url': 'https://status.example.com/incidents/77/graph.png',
                        'collapsed': False}],
          alias='status-page',
          emoji=None,
          avatar='https://status.example.com/logo.png')


def test_message__slack_attachments(check):
    check("message__slack_attachments",
          text='Deploy to production failed',
          attachments=[{'color': '#a30200',
                        'text': 'Step `migrate` exited with status 1.',
                        'pretext': 'Triggered by [9c1d2e7](https://git.example.com/ops/api/commit/9c1d2e7)',
                        'fallback': 'Deploy 1.4.2 to production failed at step migrate',
                        'title': 'api 1.4.2 → production',
                        'title_link': 'https://deploy.example.com/deploys/881',
                        'footer': 'deploy.example.com',
                        'ts': 1732608000,
                        'fields': [{'title': 'Environment', 'value': 'production', 'short': True},
                                   {'title': 'Duration', 'value': '97', 'short': True},
                                   {'title': 'Rollback', 'value': 'false', 'short': True}]}],
          alias='deploy-bot',
          emoji=':rocket:',
          avatar=None)


def test_message__text_only(check):
    check("message__text_only",
          text=('Nightly backup of *db-main* finished in 4m 12s: [run '
                '2031](https://backup.example.com/runs/2031)'),
          attachments=[],
          alias=None,
          emoji=None,
          avatar=None)


def test_channel_is_passed_through(check):
    outcome = check("message__rocketchat_full", text="Elevated error rates on the public API")
    assert [draft.destination.label for draft in outcome.drafts] == ["#general"]


def test_plain_text_without_links_is_unchanged(check):
    check({"text": "a <b> c <mailto:x@example.com|x>"}, text="a <b> c <mailto:x@example.com|x>")


@pytest.mark.parametrize(("body", "error"), [
    ({"text": 42}, "'text' must be a string"),
    ({"text": "hi", "username": ["a"]}, "'username' must be a string"),
    ({"text": "hi", "icon_url": "javascript:alert(1)"}, "'icon_url' must be an absolute http(s) URL"),
    ({"text": "hi", "channel": 7},
     "'channel' must be a string like \"#general\" or \"@alice\", or a list of them"),
    ({"text": "hi", "attachments": {"text": "x"}}, "'attachments' must be a list of objects"),
    ({"attachments": ["x"]}, "attachments[0] must be an object"),
    ({"attachments": [{"title": 5}]}, "attachments[0].title must be a string"),
    ({"attachments": [{"title": "t", "title_link": "ftp://example.com/x"}]},
     "attachments[0].title_link must be an absolute http(s) URL"),
    ({"attachments": [{"title": "t", "fields": {"a": 1}}]},
     "attachments[0].fields must be a list of {title, value, short} objects"),
    ({"attachments": [{"title": "t", "fields": [{"title": "a", "value": {"x": 1}}]}]},
     "attachments[0].fields[0].value must be a string, number or boolean"),
    ({"attachments": [{}]}, "attachments[0] is empty: give it at least a 'text' or a 'title'"),
    ({"text": "   "}, "nothing to post: send a non-empty 'text' or at least one attachment"),
    ({}, "nothing to post: send a non-empty 'text' or at least one attachment"),
])
def test_wrong_types_are_rejected(check, body, error):
    check(body, status=400, error=error)


def test_invalid__json_array(check):
    check("invalid__json_array", status=400, error="the body must be a JSON object like {\"text\": \"hello\"}")
