"""Fixture tests for the CircleCI script: one per fixture, exact messages."""


def test_job_completed__github_success(check):
    check("job_completed__github_success",
          text=('Job [build-and-test '
                '#6](https://app.circleci.com/pipelines/github/zulip-testing/circleci-webhook-test/4/workflows/7381218b-d04c-4aa3-b8b8-8c00a9319d1f/jobs/6) '
                'succeeded in workflow '
                '[sample](https://app.circleci.com/pipelines/github/zulip-testing/circleci-webhook-test/4/workflows/7381218b-d04c-4aa3-b8b8-8c00a9319d1f) '
                'on main of '
                '[zulip-testing/circleci-webhook-test](https://github.com/zulip-testing/circleci-webhook-test)'),
          attachments=[{'color': '#2eb886',
                        'title': '.circleci: Update Webhook URL.',
                        'title_link': 'https://github.com/zulip-testing/circleci-webhook-test/commit/a5e30a908224e46626a796d058289475f6d387b5',
                        'fields': [{'title': 'Pipeline', 'value': '#4', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[a5e30a9](https://github.com/zulip-testing/circleci-webhook-test/commit/a5e30a908224e46626a796d058289475f6d387b5)',
                                    'short': True},
                                   {'title': 'Author', 'value': 'Hari Prashant Bhimaraju', 'short': True},
                                   {'title': 'Duration', 'value': '10s', 'short': True}]}])


def test_legacy_build__passed(check):
    check("legacy_build__passed",
          text=('Build [#9](https://circleci.com/gh/username/project/build_number) succeeded on master of '
                '[username/RepoName](https://github.com/username/RepoName)'),
          attachments=[{'color': '#2eb886',
                        'title': 'f',
                        'title_link': 'https://github.com/username/RepoName/compare/6920bd506184...73d745dc5cca',
                        'fields': [{'title': 'Commit',
                                    'value': '[73d745d](https://github.com/username/RepoName/commit/73d745dc5cca92ebbb326304426536df50cc6a94)',
                                    'short': True},
                                   {'title': 'Author', 'value': 'User name', 'short': True},
                                   {'title': 'Duration', 'value': '51s', 'short': True}]}])


def test_ping__basic(check):
    check("ping__basic", expect_nothing=True)


def test_workflow_completed__github_success(check):
    check("workflow_completed__github_success",
          text=('Workflow '
                '[sample](https://app.circleci.com/pipelines/github/zulip-testing/circleci-webhook-test/4/workflows/7381218b-d04c-4aa3-b8b8-8c00a9319d1f) '
                'succeeded on main of '
                '[zulip-testing/circleci-webhook-test](https://github.com/zulip-testing/circleci-webhook-test)'),
          attachments=[{'color': '#2eb886',
                        'title': '.circleci: Update Webhook URL.',
                        'title_link': 'https://github.com/zulip-testing/circleci-webhook-test/commit/a5e30a908224e46626a796d058289475f6d387b5',
                        'fields': [{'title': 'Pipeline', 'value': '#4', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[a5e30a9](https://github.com/zulip-testing/circleci-webhook-test/commit/a5e30a908224e46626a796d058289475f6d387b5)',
                                    'short': True},
                                   {'title': 'Author', 'value': 'Hari Prashant Bhimaraju', 'short': True},
                                   {'title': 'Duration', 'value': '12s', 'short': True}]}])


def test_workflow_completed__gitlab_success(check):
    check("workflow_completed__gitlab_success",
          text=('Workflow '
                '[sample](https://app.circleci.com/pipelines/circleci/89xcrx7UvWQfzcUPAEmu5Q/63AY3yf3XeUQojmQcGZTtB/3/workflows/b23ceb64-127a-4075-a27c-d204a7a0a3b3) '
                'succeeded on main of '
                '[zulip-testing/circleci-webhook-test](https://gitlab.com/zulip-testing/circleci-webhook-test)'),
          attachments=[{'color': '#2eb886',
                        'title': 'app: Enhance message within hello().',
                        'title_link': 'https://gitlab.com/zulip-testing/circleci-webhook-test/-/commit/c31f86994c54672f97b5bd5e544315b7bd40e4c1',
                        'fields': [{'title': 'Pipeline', 'value': '#3', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[c31f869](https://gitlab.com/zulip-testing/circleci-webhook-test/-/commit/c31f86994c54672f97b5bd5e544315b7bd40e4c1)',
                                    'short': True},
                                   {'title': 'Author', 'value': 'Hari Prashant Bhimaraju', 'short': True},
                                   {'title': 'Duration', 'value': '14s', 'short': True}]}])


def test_header_as_sent_by_circleci_is_accepted(check):
    check("workflow_completed__github_success", event="workflow-completed",
          text=("Workflow [sample](https://app.circleci.com/pipelines/github/zulip-testing/circleci-webhook-test/4/"
                "workflows/7381218b-d04c-4aa3-b8b8-8c00a9319d1f) succeeded on main of "
                "[zulip-testing/circleci-webhook-test](https://github.com/zulip-testing/circleci-webhook-test)"))


def test_legacy_build_without_header(check):
    check(check.load("legacy_build__passed"), headers={},
          text=("Build [#9](https://circleci.com/gh/username/project/build_number) succeeded on master of "
                "[username/RepoName](https://github.com/username/RepoName)"))


def test_failed_workflow_is_red(check):
    payload = check.load("workflow_completed__github_success")
    payload["workflow"]["status"] = "failed"
    message = check(payload, event="workflow-completed",
                    text=("Workflow [sample](https://app.circleci.com/pipelines/github/zulip-testing/"
                          "circleci-webhook-test/4/workflows/7381218b-d04c-4aa3-b8b8-8c00a9319d1f) failed on main of "
                          "[zulip-testing/circleci-webhook-test](https://github.com/zulip-testing/circleci-webhook-test)")).drafts[0].doc
    assert message["attachments"][0]["color"] == "#a30200"


def test_unsupported_event_posts_nothing(check):
    check(check.load("ping__basic"), event="ping", expect_nothing=True)


def test_malformed_payload(check):
    check({"type": "workflow-completed"}, event="workflow-completed", status=400,
          error="CircleCI 'workflow-completed' payload is missing 'workflow.url'")


def test_no_event_at_all(check):
    check({"not": "valid"}, headers={}, status=400,
          error=("missing Circleci-Event-Type header (and no 'type' in the body): "
                 "is this a CircleCI webhook delivery?"))


def test_failed_job_on_a_tag(check):
    payload = check.load("job_completed__github_success")
    payload["job"]["status"] = "failed"
    del payload["pipeline"]["vcs"]["branch"]
    payload["pipeline"]["vcs"]["tag"] = "v3.1"
    outcome = check(payload, event="job-completed",
                    text=("Job [build-and-test #6](https://app.circleci.com/pipelines/github/zulip-testing/"
                          "circleci-webhook-test/4/workflows/7381218b-d04c-4aa3-b8b8-8c00a9319d1f/jobs/6) failed in "
                          "workflow [sample](https://app.circleci.com/pipelines/github/zulip-testing/"
                          "circleci-webhook-test/4/workflows/7381218b-d04c-4aa3-b8b8-8c00a9319d1f) on tag v3.1 of "
                          "[zulip-testing/circleci-webhook-test](https://github.com/zulip-testing/circleci-webhook-test)"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#a30200"


def test_legacy_build_still_running_posts_nothing(check):
    payload = check.load("legacy_build__passed")
    payload["payload"]["lifecycle"] = "running"
    check(payload, headers={}, expect_nothing=True)
