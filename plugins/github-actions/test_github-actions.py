"""Fixture tests for the GitHub Actions script: one per fixture, exact messages."""


def test_check_run__completed(check):
    check("check_run__completed",
          text=('Check [Octocoders-linter](https://github.com/Codertocat/Hello-World/runs/128620228) '
                'succeeded on [changes](https://github.com/Codertocat/Hello-World/tree/changes) in '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#2eb886',
                        'title': 'Octocoders-linter',
                        'title_link': 'https://github.com/Codertocat/Hello-World/runs/128620228',
                        'fields': [{'title': 'Commit',
                                    'value': '[ec26c3e](https://github.com/Codertocat/Hello-World/commit/ec26c3e57ca3a959ca5aad62de7213c562f8c821)',
                                    'short': True},
                                   {'title': 'App', 'value': 'octocoders-linter', 'short': True},
                                   {'title': 'Pull requests', 'value': '#2', 'short': True}]}])


def test_check_suite__completed(check):
    check("check_suite__completed",
          text=('octocoders-linter checks succeeded for '
                '[ec26c3e](https://github.com/Codertocat/Hello-World/commit/ec26c3e57ca3a959ca5aad62de7213c562f8c821/checks) '
                'on [changes](https://github.com/Codertocat/Hello-World/tree/changes) in '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#2eb886',
                        'title': 'Update README.md',
                        'fields': [{'title': 'Check runs', 'value': '1', 'short': True},
                                   {'title': 'Pull requests', 'value': '#2', 'short': True}]}])


def test_workflow_job__completed_failure(check):
    check("workflow_job__completed_failure",
          text=('Job [CodeQL / linters](https://github.com/octo-org/octo-repo/runs/1291536064) failed on '
                '[main](https://github.com/Codertocat/Hello-World/tree/main) in '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#a30200',
                        'title': 'CodeQL / linters',
                        'title_link': 'https://github.com/octo-org/octo-repo/runs/1291536064',
                        'fields': [{'title': 'Commit',
                                    'value': '[3484a3f](https://github.com/Codertocat/Hello-World/commit/3484a3fb816e0859fd6e1cea078d76385ff50625)',
                                    'short': True},
                                   {'title': 'Runner', 'value': 'GitHub Actions 5', 'short': True}],
                        'text': 'Failed steps: Run yarn run format-check'}])


def test_workflow_job__completed_success(check):
    check("workflow_job__completed_success",
          text=('Job [CodeQL / linters](https://github.com/octo-org/octo-repo/runs/1291536064) succeeded on '
                '[main](https://github.com/Codertocat/Hello-World/tree/main) in '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#2eb886',
                        'title': 'CodeQL / linters',
                        'title_link': 'https://github.com/octo-org/octo-repo/runs/1291536064',
                        'fields': [{'title': 'Commit',
                                    'value': '[3484a3f](https://github.com/Codertocat/Hello-World/commit/3484a3fb816e0859fd6e1cea078d76385ff50625)',
                                    'short': True},
                                   {'title': 'Runner', 'value': 'GitHub Actions 5', 'short': True}]}])


def test_workflow_run__completed(check):
    check("workflow_run__completed",
          text=('Workflow [test #163](https://github.com/octo-org/octo-repo/actions/runs/289782451) '
                'succeeded on [master](https://github.com/octo-org/octo-repo/tree/master) in '
                '[octo-org/octo-repo](https://github.com/octo-org/octo-repo)'),
          attachments=[{'color': '#2eb886',
                        'title': 'ci(action): update actions/setup-node digest to 8c91899',
                        'title_link': 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
                        'fields': [{'title': 'Commit',
                                    'value': '[3484a3f](https://github.com/octo-org/octo-repo/commit/3484a3fb816e0859fd6e1cea078d76385ff50625)',
                                    'short': True},
                                   {'title': 'Trigger', 'value': 'repository dispatch', 'short': True},
                                   {'title': 'By', 'value': 'Codertocat', 'short': True}]}])



def test_in_progress_is_not_posted(check):
    check("workflow_job__completed_success", change={"action": "in_progress"}, expect_unsupported=True)


def test_cancelled_run_is_grey(check):
    outcome = check("workflow_run__completed", change={"workflow_run.conclusion": "cancelled"},
                    text=("Workflow [test #163](https://github.com/octo-org/octo-repo/actions/runs/289782451) was "
                          "cancelled on [master](https://github.com/octo-org/octo-repo/tree/master) in "
                          "[octo-org/octo-repo](https://github.com/octo-org/octo-repo)"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#808080"


def test_other_github_events_are_not_supported(check):
    check("check_run__completed", event="push", expect_unsupported=True)


def test_missing_run_url(check):
    check("workflow_run__completed", drop=["workflow_run.html_url"], status=400,
          error="GitHub 'workflow_run' payload is missing 'workflow_run.html_url'")


def test_no_event_header(check):
    check("workflow_run__completed", headers={"X-GitHub-Event": ""}, status=400,
          error="missing X-GitHub-Event header: is this a GitHub webhook delivery?")
