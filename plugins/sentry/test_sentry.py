"""Fixture tests for the Sentry script: one per fixture, exact messages."""


def test_error__created_js_exception(check):
    check("error__created_js_exception",
          text=('New error in front-end: [ReferenceError: blooopy is not '
                'defined](https://sentry.io/organizations/test-org/issues/1170820242/events/bb78c1407cea4519aa397afc059c793d/)'),
          attachments=[{'color': '#a30200',
                        'title': 'ReferenceError: blooopy is not defined',
                        'title_link': 'https://sentry.io/organizations/test-org/issues/1170820242/events/bb78c1407cea4519aa397afc059c793d/',
                        'text': '?(runner)',
                        'fields': [{'title': 'Level', 'value': 'error', 'short': True},
                                   {'title': 'Platform', 'value': 'javascript', 'short': True}]}])


def test_event_alert__triggered_message_go(check):
    check("event_alert__triggered_message_go",
          text=('Alert “Send a webhook payload to Webhook.site” triggered in zulip-integration-testing: [A '
                'test message event from '
                'golang.](https://sentry.io/organizations/hypro999-personal-organization/issues/1638844654/events/01ecb45633bc4f5ca940ada671124c8f/)'),
          attachments=[{'color': '#439fe0',
                        'title': 'A test message event from golang.',
                        'title_link': 'https://sentry.io/organizations/hypro999-personal-organization/issues/1638844654/events/01ecb45633bc4f5ca940ada671124c8f/',
                        'fields': [{'title': 'Level', 'value': 'info', 'short': True},
                                   {'title': 'Platform', 'value': 'go', 'short': True}]}])


def test_issue__created(check):
    check("issue__created",
          text=('Issue ZULIP-INTEGRATION-TESTING-2 created in Zulip Integration Testing: Exception: Custom '
                'exception!'),
          attachments=[{'color': '#a30200',
                        'title': 'Exception: Custom exception!',
                        'text': '__main__ in <module>',
                        'fields': [{'title': 'Level', 'value': 'error', 'short': True},
                                   {'title': 'Platform', 'value': 'python', 'short': True},
                                   {'title': 'Events', 'value': '1', 'short': True},
                                   {'title': 'Users', 'value': '0', 'short': True}]}])


def test_issue__ignored(check):
    check("issue__ignored",
          text=('Issue ZULIP-INTEGRATION-TESTING-E ignored by Hemanth V. Alluri in Zulip Integration '
                'Testing: Exception: program has entered an invalid state.'),
          attachments=[{'color': '#808080',
                        'title': 'Exception: program has entered an invalid state.',
                        'text': '__main__ in <module>',
                        'fields': [{'title': 'Level', 'value': 'error', 'short': True},
                                   {'title': 'Platform', 'value': 'python', 'short': True},
                                   {'title': 'Events', 'value': '1', 'short': True},
                                   {'title': 'Users', 'value': '0', 'short': True}]}])


def test_issue__resolved(check):
    check("issue__resolved",
          text=('Issue ZULIP-INTEGRATION-TESTING-E resolved by Hemanth V. Alluri in Zulip Integration '
                'Testing: Exception: program has entered an invalid state.'),
          attachments=[{'color': '#2eb886',
                        'title': 'Exception: program has entered an invalid state.',
                        'text': '__main__ in <module>',
                        'fields': [{'title': 'Level', 'value': 'error', 'short': True},
                                   {'title': 'Platform', 'value': 'python', 'short': True},
                                   {'title': 'Events', 'value': '1', 'short': True},
                                   {'title': 'Users', 'value': '0', 'short': True}]}])


def test_legacy_plugin__python_exception(check):
    check("legacy_plugin__python_exception",
          text=('New error in python: [This is an example Python '
                'exception](https://nitk-46.sentry.io/issues/4218258981/?referrer=webhooks_plugin)'),
          attachments=[{'color': '#a30200',
                        'title': 'This is an example Python exception',
                        'title_link': 'https://nitk-46.sentry.io/issues/4218258981/?referrer=webhooks_plugin',
                        'text': 'raven.scripts.runner in main',
                        'fields': [{'title': 'Level', 'value': 'error', 'short': True},
                                   {'title': 'Platform', 'value': 'python', 'short': True},
                                   {'title': 'Environment', 'value': 'prod', 'short': True}]}])


def test_legacy_plugin_without_header(check):
    message = check(check.load("legacy_plugin__python_exception"), headers={},
                    text=("New error in python: [This is an example Python exception]"
                          "(https://nitk-46.sentry.io/issues/4218258981/?referrer=webhooks_plugin)")).drafts[0].doc
    assert message["attachments"][0]["color"] == "#a30200"


def test_issue_assigned_with_link(check):
    payload = check.load("issue__created")
    payload["action"] = "assigned"
    payload["data"]["issue"]["assignedTo"] = {"type": "user", "name": "Jane Doe"}
    payload["data"]["issue"]["web_url"] = "https://sentry.io/organizations/acme/issues/1635244907/"
    payload["actor"] = {"type": "user", "id": 1, "name": "John Roe"}
    message = check(payload, event="issue",
                    text=("Issue [ZULIP-INTEGRATION-TESTING-2](https://sentry.io/organizations/acme/issues/1635244907/)"
                          " assigned to Jane Doe by John Roe in Zulip Integration Testing: Exception: Custom exception!")).drafts[0].doc
    assert message["attachments"][0]["color"] == "#439fe0"
    assert message["attachments"][0]["title_link"] == "https://sentry.io/organizations/acme/issues/1635244907/"


def test_unsupported_resource_posts_nothing(check):
    check({"action": "created", "data": {}}, event="installation",
          expect_nothing=True)


def test_unposted_issue_action_posts_nothing(check):
    payload = check.load("issue__created")
    payload["action"] = "escalating"
    check(payload, event="issue", expect_nothing=True)


def test_malformed_issue(check):
    check({"action": "created", "data": {}}, event="issue", status=400,
          error="Sentry 'issue' payload is missing 'data.issue.id'")


def test_malformed_legacy_payload(check):
    check({"not": "valid"}, headers={}, status=400,
          error="Sentry 'legacy_plugin' payload is missing 'project_name'")


def test_error_with_environment_and_release(check):
    payload = check.load("error__created_js_exception")
    payload["data"]["error"].update(level="warning", release="web@1.2.3")
    payload["data"]["error"]["tags"].append(["environment", "production"])
    check(payload, event="error",
          attachments=[{"color": "#daa038", "title": "ReferenceError: blooopy is not defined",
                        "title_link": ("https://sentry.io/organizations/test-org/issues/1170820242/events/"
                                       "bb78c1407cea4519aa397afc059c793d/"),
                        "text": "?(runner)",
                        "fields": [{"title": "Level", "value": "warning", "short": True},
                                   {"title": "Platform", "value": "javascript", "short": True},
                                   {"title": "Environment", "value": "production", "short": True},
                                   {"title": "Release", "value": "web@1.2.3", "short": True}]}])


def test_issue__assigned(check):
    check("issue__assigned",
          text='Issue ZULIP-INTEGRATION-TESTING-G assigned to Hemanth V. Alluri by Hemanth V. Alluri in Zulip Integration Testing: A test message event from golang.',
          attachments=[{'color': '#439fe0',
                        'title': 'A test message event from golang.',
                        'fields': [{'title': 'Level', 'value': 'info', 'short': True},
                                   {'title': 'Platform', 'value': 'go', 'short': True},
                                   {'title': 'Events', 'value': '1', 'short': True},
                                   {'title': 'Users', 'value': '0', 'short': True}]}])


