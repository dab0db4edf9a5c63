"""Fixture tests for the Google Cloud Monitoring script: one per fixture, exact messages."""


def test_closed__uptime_check(check):
    check("closed__uptime_check",
          text=('Resolved: [api - noc - '
                'users](https://app.google.stackdriver.com/incidents/0.ligwyr056k2l?project=XXXX) on Uptime '
                'Check URL labels {host=MYHOST}'),
          attachments=[{'color': '#2eb886',
                        'title': 'Uptime Health Check on api-noc-users',
                        'title_link': 'https://app.google.stackdriver.com/incidents/0.ligwyr056k2l?project=XXXX',
                        'text': 'The uptime check for Uptime Check URL labels {host=MYHOST} has returned to '
                                'a normal state.',
                        'fields': [{'title': 'Condition',
                                    'value': 'Uptime Health Check on api-noc-users',
                                    'short': True}]}])


def test_open__cpu_utilization(check):
    check("open__cpu_utilization",
          text=('Alert: '
                '[choonho-server-cpu-alert-policy-test](https://console.cloud.google.com/monitoring/alerting/incidents/0.mtdi83m6w8ao?project=xxxxxxxxxxxxxxxxxxxxxxxx) '
                'on xxxxxxxxxxxxxxxxxxxxxxxx VM Instance labels {project_id=xxxxxxxxxxxxxxxxxxxxxxxx}'),
          attachments=[{'color': '#a30200',
                        'title': 'VM Instance - CPU utilization',
                        'title_link': 'https://console.cloud.google.com/monitoring/alerting/incidents/0.mtdi83m6w8ao?project=xxxxxxxxxxxxxxxxxxxxxxxx',
                        'text': 'CPU utilization for xxxxxxxxxxxxxxxxxxxxxxxx VM Instance labels '
                                '{project_id=xxxxxxxxxxxxxxxxxxxxxxxx} is above the threshold of 0.500 with '
                                'a value of 0.790.',
                        'fields': [{'title': 'Condition',
                                    'value': 'VM Instance - CPU utilization',
                                    'short': True},
                                   {'title': 'Value', 'value': '0.790 (threshold 0.5)', 'short': True},
                                   {'title': 'Project', 'value': 'xxxxxxxxxxxxxxxxxxxxxxxx', 'short': True},
                                   {'title': 'Documentation',
                                    'value': 'Server High CPU Usage',
                                    'short': False}]}])



def test_acknowledged(check):
    outcome = check("open__cpu_utilization", change={"incident.state": "acknowledged"},
                    text=("Acknowledged: [choonho-server-cpu-alert-policy-test](https://console.cloud.google.com/"
                          "monitoring/alerting/incidents/0.mtdi83m6w8ao?project=xxxxxxxxxxxxxxxxxxxxxxxx) on "
                          "xxxxxxxxxxxxxxxxxxxxxxxx VM Instance labels {project_id=xxxxxxxxxxxxxxxxxxxxxxxx}"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#daa038"


def test_unknown_state_is_not_supported(check):
    check("closed__uptime_check", change={"incident.state": "snoozed"}, expect_unsupported=True)


def test_not_an_incident(check):
    check({"version": "1.2"}, status=400,
          error=("not a Google Cloud Monitoring webhook payload: cannot tell which event it is "
                 "(expected 'incident.state')"))


def test_missing_policy_name(check):
    check("closed__uptime_check", drop=["incident.policy_name"], status=400,
          error="Google Cloud Monitoring 'closed' payload is missing 'incident.policy_name'")
