"""Fixture tests for the Statuspage script: one per fixture, exact messages."""


def test_component__under_maintenance(check):
    check("component__under_maintenance",
          text='Component Database component changed from operational to under maintenance',
          attachments=[{'color': '#439fe0',
                        'title': 'Database component: under maintenance',
                        'fields': [{'title': 'Page status',
                                    'value': 'Service Under Maintenance',
                                    'short': True}]}])


def test_incident__identified(check):
    check("incident__identified",
          text='Incident [Database query delays](http://stspg.io/646947c1e) is now identified',
          attachments=[{'color': '#daa038',
                        'title': 'Database query delays',
                        'title_link': 'http://stspg.io/646947c1e',
                        'text': 'We just encountered that database queries are timing out resulting in '
                                "inconvenience to our end users...we'll do quick fix latest by tomorrow !!!",
                        'fields': [{'title': 'Impact', 'value': 'none', 'short': True},
                                   {'title': 'Components',
                                    'value': 'Management Portal (example)',
                                    'short': True}]}])



def test_resolved_incident_is_green(check):
    outcome = check("incident__identified", change={"incident.status": "resolved"},
                    text="Incident [Database query delays](http://stspg.io/646947c1e) is now resolved")
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#2eb886"


def test_major_outage_is_red(check):
    outcome = check("component__under_maintenance", change={"component_update.new_status": "major_outage"},
                    text="Component Database component changed from operational to major outage")
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#a30200"


def test_neither_incident_nor_component(check):
    check({"page": {"id": "x"}}, status=400,
          error=("not a Statuspage webhook payload: cannot tell which event it is "
                 "(expected 'incident' or 'component_update')"))


def test_incident_without_name(check):
    check("incident__identified", drop=["incident.name"], status=400,
          error="Statuspage 'incident' payload is missing 'incident.name'")
