"""Fixture tests for the GitLab script: one per fixture, exact messages."""


def test_issue_hook__issue_closed(check):
    check("issue_hook__issue_closed",
          text=('Tomasz Kolek closed issue [#1 Issue '
                'title_new](https://gitlab.com/tomaszkolek0/my-awesome-project/issues/1) in '
                '[tomaszkolek0/my-awesome-project](https://gitlab.com/tomaszkolek0/my-awesome-project)'),
          attachments=[{'color': '#2eb886',
                        'title': '#1 Issue title_new',
                        'title_link': 'https://gitlab.com/tomaszkolek0/my-awesome-project/issues/1',
                        'fields': [{'title': 'Assignee', 'value': 'Tomasz Kolek', 'short': True},
                                   {'title': 'Due', 'value': '2016-08-01', 'short': True}]}])


def test_merge_request_hook__opened(check):
    check("merge_request_hook__opened",
          text=('Administrator opened merge request [!1 '
                'MS-Viewport](http://example.com/diaspora/merge_requests/1) in '
                '[gitlabhq/gitlab-test](http://example.com/gitlabhq/gitlab-test)'),
          attachments=[{'color': '#439fe0',
                        'title': '!1 MS-Viewport',
                        'title_link': 'http://example.com/diaspora/merge_requests/1',
                        'fields': [{'title': 'Branches', 'value': 'ms-viewport → master', 'short': True},
                                   {'title': 'Assignees', 'value': 'User1', 'short': True},
                                   {'title': 'Reviewers', 'value': 'User1', 'short': True},
                                   {'title': 'Labels', 'value': 'API', 'short': True}]}])


def test_note_hook__issue_comment(check):
    check("note_hook__issue_comment",
          text=('Administrator commented on issue [#17 '
                'test](http://example.com/gitlab-org/gitlab-test/issues/17#note_1241) in '
                '[gitlab-org/gitlab-test](http://example.com/gitlab-org/gitlab-test)'),
          attachments=[{'color': '#439fe0', 'text': 'Hello world'}])


def test_pipeline_hook__pipeline_succeeded(check):
    check("pipeline_hook__pipeline_succeeded",
          text=('Pipeline [#4414206](https://gitlab.com/TomaszKolek/my-awesome-project/-/pipelines/4414206) '
                'succeeded on branch '
                '[master](https://gitlab.com/TomaszKolek/my-awesome-project/-/tree/master) of '
                '[TomaszKolek/my-awesome-project](https://gitlab.com/TomaszKolek/my-awesome-project)'),
          attachments=[{'color': '#2eb886',
                        'title': 'a',
                        'title_link': 'https://gitlab.com/TomaszKolek/my-awesome-project/commit/6f88e719ccde3804b1b669cef9dfb236a92fbbff',
                        'fields': [{'title': 'Commit',
                                    'value': '[6f88e719](https://gitlab.com/TomaszKolek/my-awesome-project/commit/6f88e719ccde3804b1b669cef9dfb236a92fbbff)',
                                    'short': True},
                                   {'title': 'Duration', 'value': '1m 24s', 'short': True},
                                   {'title': 'Triggered by', 'value': 'Tomasz Kolek', 'short': True}]}])


def test_push_hook__2_commits(check):
    check("push_hook__2_commits",
          text=('Tomasz Kolek pushed 2 commits to '
                '[tomek](https://gitlab.com/tomaszkolek0/my-awesome-project/-/tree/tomek) of '
                '[tomaszkolek0/my-awesome-project](https://gitlab.com/tomaszkolek0/my-awesome-project)'),
          attachments=[{'color': '#439fe0',
                        'title': '2 commits',
                        'title_link': 'https://gitlab.com/tomaszkolek0/my-awesome-project/-/compare/5fcdd5551fc3085df79bece2c32b1400802ac407...eb6ae1e591e0819dc5bf187c6bfe18ec065a80e9',
                        'text': '[66abd2da](https://gitlab.com/tomaszkolek0/my-awesome-project/commit/66abd2da28809ffa128ed0447965cf11d7f863a7) '
                                'b — Tomasz Kolek\n'
                                '[eb6ae1e5](https://gitlab.com/tomaszkolek0/my-awesome-project/commit/eb6ae1e591e0819dc5bf187c6bfe18ec065a80e9) '
                                'c — Tomasz Kolek'}])


def test_header_as_sent_by_gitlab_is_accepted(check):
    check("note_hook__issue_comment", event="Note Hook",
          attachments=[{"color": "#439fe0", "text": "Hello world"}])


def test_pipeline_failed_lists_failed_jobs(check):
    payload = check.load("pipeline_hook__pipeline_succeeded")
    payload["object_attributes"]["status"] = "failed"
    payload["builds"][0]["status"] = "failed"
    message = check(payload, event="Pipeline Hook",
                    text=("Pipeline [#4414206](https://gitlab.com/TomaszKolek/my-awesome-project/-/pipelines/4414206) "
                          "failed on branch [master](https://gitlab.com/TomaszKolek/my-awesome-project/-/tree/master) "
                          "of [TomaszKolek/my-awesome-project](https://gitlab.com/TomaszKolek/my-awesome-project)")).drafts[0].doc
    assert message["attachments"][0]["color"] == "#a30200"
    assert message["attachments"][0]["text"] == "Failed jobs: job_name2"


def test_running_pipeline_posts_nothing(check):
    payload = check.load("pipeline_hook__pipeline_succeeded")
    payload["object_attributes"]["status"] = "running"
    check(payload, event="Pipeline Hook", expect_nothing=True)


def test_issue_update_posts_nothing(check):
    payload = check.load("issue_hook__issue_closed")
    payload["object_attributes"]["action"] = "update"
    check(payload, event="Issue Hook", expect_nothing=True)


def test_unsupported_event_posts_nothing(check):
    check({"object_kind": "emoji"}, event="Emoji Hook", expect_unsupported=True)


def test_malformed_payload(check):
    check({"object_kind": "push"}, event="Push Hook", status=400,
          error="GitLab 'Push Hook' payload is missing 'ref'")


def test_missing_event_header(check):
    check(check.load("push_hook__2_commits"), headers={}, status=400,
          error="missing X-Gitlab-Event header: is this a GitLab webhook delivery?")


def test_tag_push_with_message(check):
    payload = check.load("push_hook__2_commits")
    payload.update(ref="refs/tags/v2.0", message="Release 2.0")
    check(payload, event="Tag Push Hook",
          text=("Tomasz Kolek pushed tag [v2.0](https://gitlab.com/tomaszkolek0/my-awesome-project/-/tags/v2.0) to "
                "[tomaszkolek0/my-awesome-project](https://gitlab.com/tomaszkolek0/my-awesome-project)"),
          attachments=[{"color": "#439fe0", "text": "Release 2.0"}])


def test_branch_deleted(check):
    payload = check.load("push_hook__2_commits")
    payload["after"] = "0" * 40
    check(payload, event="Push Hook",
          text=("Tomasz Kolek deleted branch tomek of "
                "[tomaszkolek0/my-awesome-project](https://gitlab.com/tomaszkolek0/my-awesome-project)"),
          attachments=[])


def test_new_branch_has_no_compare_link(check):
    payload = check.load("push_hook__2_commits")
    payload["before"] = "0" * 40
    outcome = check(payload, event="Push Hook",
                    text=("Tomasz Kolek pushed 2 commits to new branch "
                          "[tomek](https://gitlab.com/tomaszkolek0/my-awesome-project/-/tree/tomek) of "
                          "[tomaszkolek0/my-awesome-project](https://gitlab.com/tomaszkolek0/my-awesome-project)"))
    assert "title_link" not in outcome.drafts[0].doc["attachments"][0]


def test_merge_request_merged(check):
    payload = check.load("merge_request_hook__opened")
    payload["object_attributes"]["action"] = "merge"
    outcome = check(payload, event="Merge Request Hook",
                    text=("Administrator merged merge request [!1 MS-Viewport](http://example.com/diaspora/merge_requests/1)"
                          " in [gitlabhq/gitlab-test](http://example.com/gitlabhq/gitlab-test)"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#6f42c1"


def test_comment_on_merge_request(check):
    payload = check.load("note_hook__issue_comment")
    payload["object_attributes"]["noteable_type"] = "MergeRequest"
    del payload["issue"]
    payload["merge_request"] = {"iid": 3, "title": "Fix it"}
    check(payload, event="Note Hook",
          text=("Administrator commented on merge request "
                "[!3 Fix it](http://example.com/gitlab-org/gitlab-test/issues/17#note_1241) in "
                "[gitlab-org/gitlab-test](http://example.com/gitlab-org/gitlab-test)"))


def test_comment_on_commit(check):
    payload = check.load("note_hook__issue_comment")
    payload["object_attributes"]["noteable_type"] = "Commit"
    del payload["issue"]
    payload["commit"] = {"id": "cfe32cf61b73a0d5e9f13e774abde7ff789b1660"}
    check(payload, event="Note Hook",
          text=("Administrator commented on commit "
                "[cfe32cf6](http://example.com/gitlab-org/gitlab-test/issues/17#note_1241) in "
                "[gitlab-org/gitlab-test](http://example.com/gitlab-org/gitlab-test)"))


def test_confidential_issue_hook__opened(check):
    check("confidential_issue_hook__opened",
          text='Administrator opened issue [#23 New API: create/update/delete file](http://example.com/diaspora/issues/23) in [gitlabhq/gitlab-test](http://example.com/gitlabhq/gitlab-test)',
          attachments=[{'color': '#daa038',
                        'title': '#23 New API: create/update/delete file',
                        'title_link': 'http://example.com/diaspora/issues/23',
                        'text': 'Create new API for manipulations with repository',
                        'fields': [{'title': 'Assignee', 'value': 'User1', 'short': True}]}])


def test_deployment_hook__success(check):
    check("deployment_hook__success",
          text='[Deployment](http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796) to staging succeeded for [root/test-deployment-webhooks](http://10.126.0.2:3000/root/test-deployment-webhooks)',
          attachments=[{'color': '#2eb886',
                        'title': 'Add new file',
                        'title_link': 'http://10.126.0.2:3000/root/test-deployment-webhooks/-/commit/279484c09fbe69ededfced8c1bb6e6d24616b468',
                        'fields': [{'title': 'Commit',
                                    'value': '[279484c0](http://10.126.0.2:3000/root/test-deployment-webhooks/-/commit/279484c09fbe69ededfced8c1bb6e6d24616b468)',
                                    'short': True},
                                   {'title': 'By', 'value': 'Administrator', 'short': True}]}])


def test_job_hook__succeeded(check):
    check("job_hook__succeeded",
          text='Job [job_name #4537823](https://gitlab.com/TomaszKolek/my-awesome-project/-/jobs/4537823) succeeded on branch [master](https://gitlab.com/TomaszKolek/my-awesome-project/-/tree/master) of [my-awesome-project](https://gitlab.com/TomaszKolek/my-awesome-project)',
          attachments=[{'color': '#2eb886',
                        'title': 'x',
                        'fields': [{'title': 'Stage', 'value': 'test', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[c4e3d381](https://gitlab.com/TomaszKolek/my-awesome-project/-/commit/c4e3d3814490d5f4432a19e874d86c5d0a71451e)',
                                    'short': True},
                                   {'title': 'Duration', 'value': '45s', 'short': True}]}])


def test_note_hook__commit_comment(check):
    check("note_hook__commit_comment",
          text='Administrator commented on commit [cfe32cf6](http://example.com/gitlab-org/gitlab-test/commit/cfe32cf61b73a0d5e9f13e774abde7ff789b1660#note_1243) in [gitlabhq/gitlab-test](http://example.com/gitlabhq/gitlab-test)',
          attachments=[{'color': '#439fe0', 'text': 'This is a commit comment. How does this work?'}])


def test_note_hook__merge_request_comment(check):
    check("note_hook__merge_request_comment",
          text='Administrator commented on merge request [!1 Tempora et eos debitis quae laborum et.](http://example.com/gitlab-org/gitlab-test/merge_requests/1#note_1244) in [gitlab-org/gitlab-test](http://example.com/gitlab-org/gitlab-test)',
          attachments=[{'color': '#439fe0', 'text': 'This MR needs work.'}])


def test_release_hook__create(check):
    check("release_hook__create",
          text='Release [v1.1](https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1) published in [gitlab-org/release-webhook-example](https://example.com/gitlab-org/release-webhook-example)',
          attachments=[{'color': '#2eb886',
                        'title': 'v1.1',
                        'title_link': 'https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1',
                        'text': 'v1.1 has been released',
                        'fields': [{'title': 'Tag', 'value': 'v1.1', 'short': True}]}])


def test_tag_push_hook__created(check):
    check("tag_push_hook__created",
          text='John Smith pushed tag [v1.0.0](http://example.com/jsmith/example/-/tags/v1.0.0) to [jsmith/example](http://example.com/jsmith/example)')


def test_wiki_page_hook__created(check):
    check("wiki_page_hook__created",
          text='Administrator created wiki page [Awesome](http://example.com/root/awesome-project/wikis/awesome) in [root/awesome-project](http://example.com/root/awesome-project)',
          attachments=[{'color': '#439fe0', 'text': 'adding an awesome page to the wiki'}])


def test_job_hook__created_is_not_posted(check):
    check("job_hook__created", expect_unsupported=True,
          logs="GitLab 'job_hook' build_status 'created' is not supported")


def test_failed_job_names_the_reason(check):
    outcome = check("job_hook__succeeded", change={"build_status": "failed", "build_failure_reason": "script_failure"})
    attachment = outcome.drafts[0].doc["attachments"][0]
    assert attachment["color"] == "#a30200"
    assert {"title": "Reason", "value": "script failure", "short": True} in attachment["fields"]
    assert " failed on branch " in outcome.drafts[0].doc["text"]


def test_job_hook_without_build_id(check):
    check("job_hook__succeeded", drop=["build_id"], status=400, error="GitLab 'job_hook' payload is missing 'build_id'")
