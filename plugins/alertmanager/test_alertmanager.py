"""Fixture tests for the Alertmanager script: one per fixture, exact messages."""


def test_firing__grouped_by_alertname(check):
    check("firing__grouped_by_alertname",
          text=('Firing (1 alert): '
                '[high_memory_load](http://docker.for.mac.host.internal:9093/#/alerts?receiver=teams_proxy)'),
          attachments=[{'color': '#daa038',
                        'title': 'Server High Memory usage',
                        'text': '10.80.40.11 reported high memory usage with 23.28%.',
                        'fields': [{'title': 'Severity', 'value': 'warning', 'short': True},
                                   {'title': 'instance',
                                    'value': 'instance-with-hyphen_and_underscore',
                                    'short': True},
                                   {'title': 'job', 'value': 'docker_nodes', 'short': True},
                                   {'title': 'Started', 'value': '2018-03-07 11:33:21 UTC', 'short': True}]}])


def test_firing__multiple_alerts(check):
    check("firing__multiple_alerts",
          text='Firing (2 alerts): [High CPU Temperature](http://ops1:9093/#/alerts?receiver=ops-zulip)',
          attachments=[{'color': '#a30200',
                        'title': 'High CPU core temperature',
                        'title_link': 'http://cobalt:9090/graph?g0.expr=avg+by%28host%29+%28sensors_temp_input%7Bfeature%3D~%22core_%5B0-9%5D%2B%22%7D%29+%3E+15&g0.tab=1',
                        'text': 'CPU core temperature is 34.75C',
                        'fields': [{'title': 'Severity', 'value': 'critical', 'short': True},
                                   {'title': 'host', 'value': 'andromeda', 'short': True},
                                   {'title': 'Started', 'value': '2020-02-06 00:17:58 UTC', 'short': True}]},
                       {'color': '#a30200',
                        'title': 'High CPU core temperature',
                        'title_link': 'http://cobalt:9090/graph?g0.expr=avg+by%28host%29+%28sensors_temp_input%7Bfeature%3D~%22core_%5B0-9%5D%2B%22%7D%29+%3E+15&g0.tab=1',
                        'text': 'CPU core temperature is 17.625C',
                        'fields': [{'title': 'Severity', 'value': 'critical', 'short': True},
                                   {'title': 'host', 'value': 'andromeda', 'short': True},
                                   {'title': 'Started', 'value': '2020-02-06 00:17:58 UTC', 'short': True}]}])


def test_firing__single_alert_no_generator_url(check):
    check("firing__single_alert_no_generator_url",
          text='Firing (1 alert): [High CPU Temperature](http://ops1:9093/#/alerts?receiver=ops-zulip)',
          attachments=[{'color': '#a30200',
                        'title': 'High CPU core temperature',
                        'text': 'CPU core temperature is 34.75C',
                        'fields': [{'title': 'Severity', 'value': 'critical', 'short': True},
                                   {'title': 'host', 'value': 'andromeda', 'short': True},
                                   {'title': 'Started', 'value': '2020-02-06 00:17:58 UTC', 'short': True}]}])


def test_firing__two_alerts_minimal_labels(check):
    check("firing__two_alerts_minimal_labels",
          text=('Firing (2 alerts): [high_memory_load, '
                'high_memory_load2](http://docker.for.mac.host.internal:9093/#/alerts?receiver=teams_proxy)'),
          attachments=[{'color': '#daa038',
                        'title': 'Server High Memory usage',
                        'text': '10.80.40.11 reported high memory usage with 23.28%.',
                        'fields': [{'title': 'Severity', 'value': 'warning', 'short': True},
                                   {'title': 'Started', 'value': '2018-03-07 11:33:21 UTC', 'short': True}]},
                       {'color': '#daa038',
                        'title': 'Server High Memory usage',
                        'text': '10.80.40.12 reported high memory usage with 61.54%.',
                        'fields': [{'title': 'Severity', 'value': 'warning', 'short': True},
                                   {'title': 'Started', 'value': '2018-03-07 11:33:21 UTC', 'short': True}]}])


def test_resolved__single_alert(check):
    check("resolved__single_alert",
          text='Resolved (1 alert): [High CPU Temperature](http://ops1:9093/#/alerts?receiver=ops-zulip)',
          attachments=[{'color': '#2eb886',
                        'title': 'High CPU core temperature',
                        'title_link': 'http://cobalt:9090/graph?g0.expr=avg+by%28host%29+%28sensors_temp_input%7Bfeature%3D~%22core_%5B0-9%5D%2B%22%7D%29+%3E+15&g0.tab=1',
                        'text': 'CPU core temperature is 34.75C',
                        'fields': [{'title': 'Severity', 'value': 'critical', 'short': True},
                                   {'title': 'host', 'value': 'andromeda', 'short': True},
                                   {'title': 'Started', 'value': '2020-02-06 00:17:58 UTC', 'short': True}]}])


def test_many_alerts_are_capped(check):
    payload = check.load("firing__single_alert_no_generator_url")
    alert = payload["alerts"][0]
    payload["alerts"] = [dict(alert, fingerprint=str(i)) for i in range(13)]
    message = check(payload,
                    text=("Firing (13 alerts): [High CPU Temperature](http://ops1:9093/#/alerts?receiver=ops-zulip)"
                          " — showing 10, 3 more in Alertmanager")).drafts[0].doc
    assert len(message["attachments"]) == 10


def test_resolved_alert_shows_end_time(check):
    payload = check.load("resolved__single_alert")
    payload["alerts"][0]["endsAt"] = "2020-02-06T01:02:03.5+01:00"
    message = check(payload).drafts[0].doc
    assert message["attachments"][0]["fields"][-1] == {"title": "Ended", "value": "2020-02-06 00:02:03 UTC",
                                                       "short": True}


def test_unknown_status_posts_nothing(check):
    payload = check.load("resolved__single_alert")
    payload["status"] = "suppressed"
    check(payload, expect_nothing=True)


def test_missing_status(check):
    check({"alerts": []}, status=400,
          error=("Alertmanager payload is missing 'status': is this an Alertmanager webhook delivery? "
                 "(expected 'firing' or 'resolved')"))


def test_missing_alerts(check):
    check({"status": "firing"}, status=400,
          error="Alertmanager payload is missing 'alerts' (a non-empty list)")


def test_alert_without_labels(check):
    check({"status": "firing", "alerts": [{"annotations": {}}]}, status=400,
          error="Alertmanager payload: alerts[0] has no 'labels' object")
