"""Fixture tests for the Harbor script: one per fixture, exact messages."""


def test_delete_artifact__latest(check):
    check("delete_artifact__latest",
          text='admin deleted example/test:latest',
          attachments=[{'color': '#808080',
                        'title': 'example/test',
                        'text': 'latest: harbor.example.com/example/test:latest'}])


def test_push_artifact__latest(check):
    check("push_artifact__latest",
          text='admin pushed example/test:latest',
          attachments=[{'color': '#439fe0',
                        'title': 'example/test',
                        'text': 'latest: harbor.example.com/example/test:latest'}])


def test_scanning_completed__high_vulnerabilities(check):
    check("scanning_completed__high_vulnerabilities",
          text='Vulnerability scan completed for test/alpine/helm:3.8.1',
          attachments=[{'color': '#a30200',
                        'title': 'test/alpine/helm:3.8.1',
                        'fields': [{'title': 'Severity', 'value': 'High', 'short': True},
                                   {'title': 'Vulnerabilities', 'value': '5 (5 fixable)', 'short': True},
                                   {'title': 'By severity', 'value': 'High: 4, Unknown: 1', 'short': False},
                                   {'title': 'Scanner', 'value': 'Trivy', 'short': True}]}])



def test_pull_is_not_posted(check):
    check("push_artifact__latest", change={"type": "PULL_ARTIFACT"}, expect_unsupported=True)


def test_scanning_failed(check):
    check("scanning_completed__high_vulnerabilities", change={"type": "SCANNING_FAILED"},
          text="Vulnerability scan failed for test/alpine/helm:3.8.1")


def test_missing_repository(check):
    check("push_artifact__latest", drop=["event_data.repository"], status=400,
          error="Harbor 'PUSH_ARTIFACT' payload is missing 'event_data.repository.repo_full_name'")
