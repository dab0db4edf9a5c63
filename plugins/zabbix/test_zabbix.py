"""Fixture tests for the Zabbix script: one per fixture, exact messages."""


def test_ok__recovered(check):
    check("ok__recovered",
          text=('Resolved on www.example.com: [Zabbix agent on www.example.com is '
                'reachable](https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10529)'),
          attachments=[{'color': '#2eb886',
                        'title': 'Zabbix agent on www.example.com is reachable',
                        'title_link': 'https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10529',
                        'fields': [{'title': 'Host', 'value': 'www.example.com', 'short': True},
                                   {'title': 'Severity', 'value': 'Average', 'short': True},
                                   {'title': 'Item', 'value': 'Agent ping is Up (1)', 'short': False}]}])


def test_problem__high(check):
    check("problem__high",
          text=('High problem on www.example.com: [Zabbix agent on www.example.com is unreachable for 5 '
                'minutes](https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10528)'),
          attachments=[{'color': '#a30200',
                        'title': 'Zabbix agent on www.example.com is unreachable for 5 minutes',
                        'title_link': 'https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10528',
                        'fields': [{'title': 'Host', 'value': 'www.example.com', 'short': True},
                                   {'title': 'Severity', 'value': 'High', 'short': True},
                                   {'title': 'Item', 'value': 'Agent ping is Up (1)', 'short': False}]}])



def test_disaster_is_red_and_information_is_blue(check):
    outcome = check("problem__high", change={"severity": "Information"},
                    text=("Information problem on www.example.com: [Zabbix agent on www.example.com is "
                          "unreachable for 5 minutes](https://zabbix.example.com/tr_events.php?triggerid=14032"
                          "&eventid=10528)"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#439fe0"


def test_resolved_status_of_event_templates(check):
    check("ok__recovered", change={"status": "RESOLVED"},
          text=("Resolved on www.example.com: [Zabbix agent on www.example.com is reachable]"
                "(https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10529)"))


def test_update_status_is_not_supported(check):
    check("problem__high", change={"status": "UPDATE"}, expect_unsupported=True)


def test_missing_hostname(check):
    check("problem__high", drop=["hostname"], status=400, error="Zabbix 'PROBLEM' payload is missing 'hostname'")


def test_missing_status(check):
    check("problem__high", drop=["status"], status=400,
          error="Zabbix payload is missing 'status': is this a Zabbix webhook delivery?")
