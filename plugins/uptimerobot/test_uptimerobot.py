"""Fixture tests for the UptimeRobot script: one per fixture, exact messages."""


def test_down__host_unreachable(check):
    check("down__host_unreachable",
          text='Web Server is DOWN: Host Is Unreachable',
          attachments=[{'color': '#a30200',
                        'title': 'Web Server is down',
                        'fields': [{'title': 'Monitor', 'value': 'server1.example.com', 'short': True},
                                   {'title': 'Details', 'value': 'Host Is Unreachable', 'short': True}]}])


def test_up__host_reachable(check):
    check("up__host_reachable",
          text='Mail Server is back UP',
          attachments=[{'color': '#2eb886',
                        'title': 'Mail Server is up',
                        'fields': [{'title': 'Monitor', 'value': 'server2.example.com', 'short': True},
                                   {'title': 'Details', 'value': 'Host Is Reachable', 'short': True},
                                   {'title': 'Was down for',
                                    'value': '44 minutes and 37 seconds',
                                    'short': True}]}])



def test_ssl_expiry(check):
    check("down__host_unreachable", change={"alert_type": "3", "monitor_url": "https://example.com"},
          text="The SSL certificate of [Web Server](https://example.com) expires soon")


def test_unknown_alert_type_is_not_supported(check):
    check("down__host_unreachable", change={"alert_type": "9"}, expect_unsupported=True)


def test_no_alert_type(check):
    check("down__host_unreachable", drop=["alert_type"], status=400,
          error="not a UptimeRobot webhook payload: cannot tell which event it is "
                "(expected 'alert_type' (1 down, 2 up, 3 SSL expiry))")


def test_no_monitor_name(check):
    check("up__host_reachable", drop=["monitor_friendly_name"], status=400,
          error="UptimeRobot 'up' payload is missing 'monitor_friendly_name'")
