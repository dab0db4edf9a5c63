"""Fixture tests for the New Relic script: one per fixture, exact messages."""


def test_acknowledged__by_owner(check):
    check("acknowledged__by_owner",
          text=('Acknowledged by Alice: [Server '
                'Down](https://alerts.newrelic.com/accounts/2941966/incidents/1234)'),
          attachments=[{'color': '#daa038',
                        'title': 'Server Down',
                        'title_link': 'https://alerts.newrelic.com/accounts/2941966/incidents/1234',
                        'fields': [{'title': 'Policy', 'value': 'Test policy name', 'short': True},
                                   {'title': 'Owner', 'value': 'Alice', 'short': True}],
                        'text': 'Violation description test.'}])


def test_activated__workflow_critical(check):
    check("activated__workflow_critical",
          text=("Issue activated: [zulip_app query result is > 1.0 for 1 minutes on 'Zulip Server Low "
                "Storage'](https://radar-api.service.newrelic.com/accounts/4420147/issues/c5faa7e6-7b54-402d-af79-f99601e0278c?notifier=WEBHOOK)"),
          attachments=[{'color': '#a30200',
                        'title': "zulip_app query result is > 1.0 for 1 minutes on 'Zulip Server Low "
                                 "Storage'",
                        'title_link': 'https://radar-api.service.newrelic.com/accounts/4420147/issues/c5faa7e6-7b54-402d-af79-f99601e0278c?notifier=WEBHOOK',
                        'fields': [{'title': 'Priority', 'value': 'CRITICAL', 'short': True},
                                   {'title': 'Policy', 'value': 'Golden Signals', 'short': True},
                                   {'title': 'Condition', 'value': 'Zulip Server Low Storage', 'short': True},
                                   {'title': 'Entities', 'value': 'zulip_app', 'short': True}]}])


def test_closed__server_down(check):
    check("closed__server_down",
          text='Closed: [Server Down](https://alerts.newrelic.com/accounts/2941966/incidents/1234)',
          attachments=[{'color': '#2eb886',
                        'title': 'Server Down',
                        'title_link': 'https://alerts.newrelic.com/accounts/2941966/incidents/1234',
                        'fields': [{'title': 'Policy', 'value': 'Test policy name', 'short': True}],
                        'text': 'Violation description test.'}])


def test_created__server_down(check):
    check("created__server_down",
          text='Issue created: [Server Down](https://alerts.newrelic.com/accounts/2941966/incidents/1234)',
          attachments=[{'color': '#a30200',
                        'title': 'Server Down',
                        'title_link': 'https://alerts.newrelic.com/accounts/2941966/incidents/1234',
                        'fields': [{'title': 'Policy', 'value': 'Test policy name', 'short': True}],
                        'text': 'Violation description test.'}])



def test_unknown_state_is_not_supported(check):
    check("created__server_down", change={"state": "muted"}, expect_unsupported=True)


def test_missing_issue_url(check):
    check("closed__server_down", drop=["issueUrl"], status=400,
          error="New Relic 'closed' payload is missing 'issueUrl'")
