"""Fixture tests for the PagerDuty script: one per fixture, exact messages."""

import json


def test_incident_acknowledged__v3(check):
    check("incident_acknowledged__v3",
          text=('Acknowledged by PIG 208: [#10 Test '
                'Incident](https://pig208.pagerduty.com/incidents/PQ1K5C8) in '
                '[pig208](https://pig208.pagerduty.com/services/PA2P440)'),
          attachments=[{'color': '#daa038',
                        'title': 'Test Incident',
                        'title_link': 'https://pig208.pagerduty.com/incidents/PQ1K5C8',
                        'fields': [{'title': 'Urgency', 'value': 'high', 'short': True},
                                   {'title': 'Assigned to', 'value': 'PIG 208', 'short': True},
                                   {'title': 'Escalation policy', 'value': 'Default', 'short': True}]}])


def test_incident_resolved__v3(check):
    check("incident_resolved__v3",
          text=('Resolved by PIG 208: [#6 Test Incident](https://pig208.pagerduty.com/incidents/PCPZE64) in '
                '[pig208](https://pig208.pagerduty.com/services/PA2P440)'),
          attachments=[{'color': '#2eb886',
                        'title': 'Test Incident',
                        'title_link': 'https://pig208.pagerduty.com/incidents/PCPZE64',
                        'fields': [{'title': 'Urgency', 'value': 'high', 'short': True},
                                   {'title': 'Escalation policy', 'value': 'Default', 'short': True}]}])


def test_incident_trigger__v1(check):
    check("incident_trigger__v1",
          text=('Triggered: [#3 foo](https://zulip-test.pagerduty.com/incidents/P140S4Y) in [Test '
                'service](https://zulip-test.pagerduty.com/services/PIL5CUQ)'),
          attachments=[{'color': '#a30200',
                        'title': 'foo',
                        'title_link': 'https://zulip-test.pagerduty.com/incidents/P140S4Y',
                        'fields': [{'title': 'Assigned to', 'value': 'Jason Michalski', 'short': True},
                                   {'title': 'Escalation policy', 'value': 'Default', 'short': True}]}])


def test_incident_trigger__v2(check):
    check("incident_trigger__v2",
          text=('Triggered by Laura Haley: [#33 My new '
                'incident](https://webdemo.pagerduty.com/incidents/PRORDTY) in [Production XDB '
                'Cluster](https://webdemo.pagerduty.com/services/PN49J75)'),
          attachments=[{'color': '#a30200',
                        'title': 'My new incident',
                        'title_link': 'https://webdemo.pagerduty.com/incidents/PRORDTY',
                        'fields': [{'title': 'Urgency', 'value': 'high', 'short': True},
                                   {'title': 'Assigned to', 'value': 'Laura Haley', 'short': True},
                                   {'title': 'Escalation policy', 'value': 'Default', 'short': True}]}])


def test_incident_triggered__v3(check):
    check("incident_triggered__v3",
          text=('Triggered by PIG 208: [#9 Test Incident 3](https://pig208.pagerduty.com/incidents/PFQZPSY) '
                'in [pig208](https://pig208.pagerduty.com/services/PA2P440)'),
          attachments=[{'color': '#a30200',
                        'title': 'Test Incident 3',
                        'title_link': 'https://pig208.pagerduty.com/incidents/PFQZPSY',
                        'fields': [{'title': 'Urgency', 'value': 'high', 'short': True},
                                   {'title': 'Assigned to', 'value': 'PIG 208', 'short': True},
                                   {'title': 'Escalation policy', 'value': 'Default', 'short': True}]}])


def test_v1_batch_of_two(check):
    payload = check.load("incident_trigger__v1")
    resolved = json.loads(json.dumps(payload["messages"][0]))
    resolved["type"] = "incident.resolve"
    payload["messages"].append(resolved)
    message = check(payload,
                    text=("2 PagerDuty incident updates:\n"
                          "Triggered: [#3 foo](https://zulip-test.pagerduty.com/incidents/P140S4Y) in "
                          "[Test service](https://zulip-test.pagerduty.com/services/PIL5CUQ)\n"
                          "Resolved: [#3 foo](https://zulip-test.pagerduty.com/incidents/P140S4Y) in "
                          "[Test service](https://zulip-test.pagerduty.com/services/PIL5CUQ)")).drafts[0].doc
    assert [a["color"] for a in message["attachments"]] == ["#a30200", "#2eb886"]


def test_v3_reassigned(check):
    payload = check.load("incident_triggered__v3")
    payload["event"]["event_type"] = "incident.reassigned"
    check(payload,
          text=("Reassigned to PIG 208: [#9 Test Incident 3](https://pig208.pagerduty.com/incidents/PFQZPSY) in "
                "[pig208](https://pig208.pagerduty.com/services/PA2P440)"))


def test_unsupported_v3_event_posts_nothing(check):
    check({"event": {"event_type": "pagey.ping", "data": {}}}, expect_nothing=True)


def test_unsupported_legacy_event_posts_nothing(check):
    payload = check.load("incident_trigger__v1")
    payload["messages"][0]["type"] = "incident.annotate"
    check(payload, expect_nothing=True)


def test_not_a_pagerduty_payload(check):
    check({"not": "valid"}, status=400,
          error=("PagerDuty payload is missing 'event.event_type': is this a PagerDuty webhook delivery? "
                 "(expected 'event' (V3) or 'messages' (V1/V2))"))


def test_v3_without_data(check):
    check({"event": {"event_type": "incident.triggered"}}, status=400,
          error="PagerDuty 'incident.triggered' payload is missing 'event.data.html_url'")


def test_legacy_without_incident(check):
    check({"messages": [{"type": "incident.trigger", "data": {}}]}, status=400,
          error="PagerDuty V1/V2 payload: messages[0] has no 'incident' with 'html_url'")


def test_v2_acknowledge(check):
    payload = check.load("incident_trigger__v2")
    payload["messages"][0]["event"] = "incident.acknowledge"
    outcome = check(payload,
                    text=("Acknowledged by Laura Haley: [#33 My new incident]"
                          "(https://webdemo.pagerduty.com/incidents/PRORDTY) in "
                          "[Production XDB Cluster](https://webdemo.pagerduty.com/services/PN49J75)"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#daa038"


def test_incident_annotated__v3(check):
    check("incident_annotated__v3",
          text='Harsh Santwani added a note to [Critical: Checkout API High Latency](https://harsh0303.pagerduty.com/incidents/Q3B15VLMF3ASBD)',
          attachments=[{'color': '#439fe0', 'text': 'Running KILL on long-running queries from the reporting-service.'}])




def test_incident_reopened__v3(check):
    check("incident_reopened__v3",
          text='Reopened by Harsh Santwani: [#4 Test Incident 2](https://harsh0303.pagerduty.com/incidents/Q05XJA8GDXGOB3) in [Default Service](https://harsh0303.pagerduty.com/services/PLVTM9H)',
          attachments=[{'color': '#a30200',
                        'title': 'Test Incident 2',
                        'title_link': 'https://harsh0303.pagerduty.com/incidents/Q05XJA8GDXGOB3',
                        'fields': [{'title': 'Urgency', 'value': 'low', 'short': True},
                                   {'title': 'Assigned to', 'value': 'Harsh Santwani', 'short': True},
                                   {'title': 'Escalation policy', 'value': 'APIs-ep', 'short': True}]}])


