"""Fixture tests for the Grafana script: one per fixture, exact messages."""


def test_legacy_alerting__alerting_2_matches(check):
    check("legacy_alerting__alerting_2_matches",
          text='Alerting: [Test rule](http://localhost:3000/)',
          attachments=[{'color': '#a30200',
                        'title': '[Alerting] Test notification',
                        'title_link': 'http://localhost:3000/',
                        'text': 'Someone is testing the alert notification within grafana.',
                        'image_url': 'https://grafana.com/assets/img/blog/mixed_styles.png',
                        'fields': [{'title': 'High value', 'value': '100', 'short': True},
                                   {'title': 'Higher Value', 'value': '200', 'short': True}]}])


def test_legacy_alerting__ok(check):
    check("legacy_alerting__ok",
          text='OK: [Test rule](http://localhost:3000/)',
          attachments=[{'color': '#2eb886',
                        'title': '[Ok] Test notification',
                        'title_link': 'http://localhost:3000/',
                        'text': 'Someone is testing the alert notification within grafana.',
                        'image_url': 'https://grafana.com/assets/img/blog/mixed_styles.png',
                        'fields': [{'title': 'High value', 'value': '0', 'short': True}]}])


def test_unified_alerting__firing_3_alerts_v9(check):
    check("unified_alerting__firing_3_alerts_v9",
          text=('Firing (3 alerts): [Test alert, Second webhook '
                'test](https://grafana.example.com/alerting/list)'),
          attachments=[{'color': '#a30200',
                        'title': 'This is a summary field, failure on badhost.example.com',
                        'title_link': 'https://grafana.example.com/alerting/grafana/zTjxv_C7k/view',
                        'text': 'This is a description',
                        'fields': [{'title': 'deploy', 'value': 'prod', 'short': True},
                                   {'title': 'instance', 'value': 'badhost.example.com', 'short': True},
                                   {'title': 'job', 'value': 'rabbitmq', 'short': True},
                                   {'title': 'Value', 'value': 'B=17, C=1', 'short': True},
                                   {'title': 'Links',
                                    'value': '[Silence](https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DTest+alert&matcher=deploy%3Dprod&matcher=instance%3Dbadhost.example.com&matcher=job%3Drabbitmq&matcher=test%3Dtrue) '
                                             '· [Runbook](https://example.com/)',
                                    'short': False}]},
                       {'color': '#a30200',
                        'title': 'This is a summary field, failure on otherhost.example.com',
                        'title_link': 'https://grafana.example.com/alerting/grafana/zTjxv_C7k/view',
                        'text': 'This is a description',
                        'fields': [{'title': 'deploy', 'value': 'prod', 'short': True},
                                   {'title': 'instance', 'value': 'otherhost.example.com', 'short': True},
                                   {'title': 'job', 'value': 'rabbitmq', 'short': True},
                                   {'title': 'Value', 'value': 'B=24, C=1', 'short': True},
                                   {'title': 'Links',
                                    'value': '[Silence](https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DTest+alert&matcher=deploy%3Dprod&matcher=instance%3Dotherhost.example.com&matcher=job%3Drabbitmq&matcher=test%3Dtrue) '
                                             '· [Runbook](https://example.com/)',
                                    'short': False}]},
                       {'color': '#a30200',
                        'title': 'Testing **another** failing alert',
                        'title_link': 'https://grafana.example.com/alerting/grafana/_0rkK_C7z/view',
                        'text': 'Description **here**',
                        'fields': [{'title': 'Value', 'value': 'B0=1', 'short': True},
                                   {'title': 'Links',
                                    'value': '[Silence](https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DSecond+webhook+test&matcher=test%3Dtrue) '
                                             '· [Runbook](https://example.com/)',
                                    'short': False}]}])


def test_unified_alerting__firing_v9(check):
    check("unified_alerting__firing_v9",
          text='Firing (1 alert): [Test alert](https://grafana.example.com/alerting/list)',
          attachments=[{'color': '#a30200',
                        'title': 'This is a summary field, failure on some_host',
                        'title_link': 'https://grafana.example.com/alerting/grafana/zTjxv_C7k/view',
                        'text': 'This is a description',
                        'fields': [{'title': 'Value', 'value': 'B0=24', 'short': True},
                                   {'title': 'Links',
                                    'value': '[Silence](https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DTest+alert&matcher=test%3Dtrue) '
                                             '· [Runbook](https://runbook.example.com/)',
                                    'short': False}]}])


def test_unified_alerting__resolved_v9(check):
    check("unified_alerting__resolved_v9",
          text='Resolved (1 alert): [Test alert](https://grafana.example.com/alerting/list)',
          attachments=[{'color': '#2eb886',
                        'title': 'This is a summary field, failure on <no value>',
                        'title_link': 'https://grafana.example.com/alerting/grafana/zTjxv_C7k/view',
                        'text': 'This is a description',
                        'fields': [{'title': 'Value', 'value': 'B0=24', 'short': True},
                                   {'title': 'Links',
                                    'value': '[Silence](https://grafana.example.com/alerting/silence/new?alertmanager=grafana&matcher=alertname%3DTest+alert&matcher=test%3Dtrue) '
                                             '· [Runbook](https://example.com/)',
                                    'short': False}]}])


def test_values_object_of_newer_grafana_is_preferred(check):
    payload = check.load("unified_alerting__firing_v9")
    payload["alerts"][0]["values"] = {"C": 0, "B": 24.5}
    message = check(payload).drafts[0].doc
    assert message["attachments"][0]["fields"][0] == {"title": "Value", "value": "B=24.5, C=0", "short": True}


def test_paused_legacy_alert_posts_nothing(check):
    payload = check.load("legacy_alerting__ok")
    payload["state"] = "paused"
    check(payload, expect_nothing=True)


def test_unknown_unified_status_posts_nothing(check):
    payload = check.load("unified_alerting__firing_v9")
    payload["status"] = "pending"
    check(payload, expect_nothing=True)


def test_not_a_grafana_payload(check):
    check({"not": "valid"}, status=400,
          error=("not a Grafana webhook payload: cannot tell which event it is (expected 'alerts' "
                 "(Grafana Alerting) or 'ruleName' and 'state' (legacy alerting))"))


def test_alert_without_labels(check):
    check({"status": "firing", "alerts": ["x"]}, status=400,
          error="Grafana alert payload: alerts[0] has no 'labels' object")


def test_legacy_without_state(check):
    check({"ruleName": "CPU"}, status=400, error="Grafana 'legacy_alerting' payload is missing 'state'")
