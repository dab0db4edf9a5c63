"""Fixture tests for the Travis CI script: one per fixture, exact messages."""


def test_push__passed(check):
    check("push__passed",
          text=('[Build #4601](https://travis-ci.org/hl7-fhir/fhir-svn/builds/92495257) of hl7-fhir/fhir-svn '
                'passed'),
          attachments=[{'color': '#2eb886',
                        'title': 'Debug build hooks',
                        'title_link': 'https://travis-ci.org/hl7-fhir/fhir-svn/builds/92495257',
                        'fields': [{'title': 'Branch', 'value': 'master', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[6c457d3](https://github.com/hl7-fhir/fhir-svn/compare/6dccb98bcfd9...6c457d366a31)',
                                    'short': True},
                                   {'title': 'Author', 'value': 'josh_mandel', 'short': True},
                                   {'title': 'Duration', 'value': '17m 3s', 'short': True}]}])



def test_failed_pull_request(check):
    outcome = check("push__passed",
                    change={"type": "pull_request", "state": "failed", "status_message": "Broken",
                            "pull_request_number": 12},
                    text=("[Build #4601](https://travis-ci.org/hl7-fhir/fhir-svn/builds/92495257) of pull "
                          "request #12 of hl7-fhir/fhir-svn broke"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#a30200"


def test_unknown_type_is_not_supported(check):
    check("push__passed", change={"type": "release"}, expect_unsupported=True)


def test_missing_build_url(check):
    check("push__passed", drop=["build_url"], status=400, error="Travis CI 'push' payload is missing 'build_url'")
