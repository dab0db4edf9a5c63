"""Fixture tests for the SonarQube script: one per fixture, exact messages."""


def test_quality_gate__error(check):
    check("quality_gate__error",
          text='Quality gate failed for [test-sonar](http://localhost:9000/dashboard?id=test-sonar) on master',
          attachments=[{'color': '#a30200',
                        'title': 'test-sonar on master',
                        'title_link': 'http://localhost:9000/dashboard?id=test-sonar',
                        'fields': [{'title': 'Quality gate', 'value': 'Sonar way', 'short': True}],
                        'text': 'coverage: 0.0 (fails when < 80)\n'
                                'duplicated lines density: 89.39828080229226 (fails when > 3)'}])


def test_quality_gate__ok(check):
    check("quality_gate__ok",
          text='Quality gate passed for [test-sonar](http://localhost:9000/dashboard?id=test-sonar) on master',
          attachments=[{'color': '#2eb886',
                        'title': 'test-sonar on master',
                        'title_link': 'http://localhost:9000/dashboard?id=test-sonar',
                        'fields': [{'title': 'Quality gate', 'value': 'Sonar way', 'short': True}]}])



def test_warn_is_yellow(check):
    outcome = check("quality_gate__ok", change={"qualityGate.status": "WARN"},
                    text=("Quality gate has warnings for [test-sonar](http://localhost:9000/dashboard?id=test-sonar) "
                          "on master"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#daa038"


def test_not_a_sonarqube_payload(check):
    check({"project": {"name": "x"}}, status=400,
          error=("not a SonarQube webhook payload: cannot tell which event it is "
                 "(expected 'qualityGate' and 'project')"))


def test_missing_project(check):
    check("quality_gate__ok", drop=["project"], status=400,
          error="SonarQube 'quality_gate' payload is missing 'project.name'")
