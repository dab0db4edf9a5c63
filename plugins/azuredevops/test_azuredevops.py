"""Fixture tests for the Azure DevOps script: one per fixture, exact messages."""


def test_build_complete__succeeded(check):
    check("build_complete__succeeded",
          text=('Build '
                '[ConsumerAddressModule_20150407.1](https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/71777fbc-1cf2-4bd1-9540-128c1c71f766/_apis/build-release/Builds/2) '
                'succeeded (ConsumerAddressModule)'),
          attachments=[{'color': '#2eb886',
                        'title': 'ConsumerAddressModule',
                        'title_link': 'https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/71777fbc-1cf2-4bd1-9540-128c1c71f766/_apis/build-release/Builds/2',
                        'fields': [{'title': 'Branch', 'value': 'master', 'short': True},
                                   {'title': 'By', 'value': 'Normal Paulk', 'short': True},
                                   {'title': 'Reason', 'value': 'manual', 'short': True}]}])


def test_git_pullrequest_created__basic(check):
    check("git_pullrequest_created__basic",
          text=('Jamal Hartnett created pull request [!1 my first pull '
                'request](https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam/pullrequest/1) in '
                '[Fabrikam](https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam)'),
          attachments=[{'color': '#439fe0',
                        'title': '!1 my first pull request',
                        'title_link': 'https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam/pullrequest/1',
                        'fields': [{'title': 'Branches', 'value': 'mytopic → master', 'short': True},
                                   {'title': 'Reviewers', 'value': '[Mobile]\\Mobile Team', 'short': True}],
                        'text': '- test2'}])


def test_git_pullrequest_updated__completed(check):
    check("git_pullrequest_updated__completed",
          text=('Jamal Hartnett completed pull request [!1 my first pull '
                'request](https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam/pullrequest/1) in '
                '[Fabrikam](https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam)'),
          attachments=[{'color': '#6f42c1',
                        'title': '!1 my first pull request',
                        'title_link': 'https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam/pullrequest/1',
                        'fields': [{'title': 'Branches', 'value': 'mytopic → master', 'short': True},
                                   {'title': 'Reviewers', 'value': '[Mobile]\\Mobile Team', 'short': True}]}])


def test_git_push__1_commit(check):
    check("git_push__1_commit",
          text=('Jamal Hartnett pushed 1 commit to '
                '[main](https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/Fabrikam-Fiber-Git?version=GBmain) '
                'of '
                '[Fabrikam-Fiber-Git](https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/Fabrikam-Fiber-Git)'),
          attachments=[{'color': '#439fe0',
                        'title': '1 commit',
                        'text': '[33b55f7](https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/Fabrikam-Fiber-Git/commit/33b55f7cb7e7e245323987634f960cf4a6e6bc74) '
                                'Fixed bug in web.config file — Jamal Hartnett'}])



def test_failed_build_is_red(check):
    outcome = check("build_complete__succeeded", change={"resource.status": "failed"},
                    text=("Build [ConsumerAddressModule_20150407.1](https://dev.azure.com/fabrikam-fiber-inc/"
                          "DefaultCollection/71777fbc-1cf2-4bd1-9540-128c1c71f766/_apis/build-release/Builds/2) "
                          "failed (ConsumerAddressModule)"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#a30200"


def test_abandoned_pull_request(check):
    check("git_pullrequest_updated__completed", change={"resource.status": "abandoned"},
          text=("Jamal Hartnett abandoned pull request [!1 my first pull request](https://dev.azure.com/fabrikam/"
                "DefaultCollection/_git/Fabrikam/pullrequest/1) in "
                "[Fabrikam](https://dev.azure.com/fabrikam/DefaultCollection/_git/Fabrikam)"))


def test_merge_attempt_is_not_posted(check):
    check("git_pullrequest_created__basic", change={"eventType": "git.pullrequest.merged"},
          expect_unsupported=True)


def test_missing_resource(check):
    check("git_push__1_commit", drop=["resource"], status=400,
          error="Azure DevOps 'git.push' payload is missing 'resource.pushId'")
