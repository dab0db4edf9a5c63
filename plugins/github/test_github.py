"""Fixture tests for the GitHub script: one per fixture, exact messages."""

def test_issue_comment__created(check):
    check("issue_comment__created",
          text=('[Codertocat](https://github.com/Codertocat) commented on issue [#1 Spelling error in the '
                'README file](https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400) in '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#439fe0', 'text': "You are totally right! I'll get this fixed right away."}])


def test_issues__opened(check):
    check("issues__opened",
          text=('[Codertocat](https://github.com/Codertocat) opened issue [#1 Spelling error in the README '
                'file](https://github.com/Codertocat/Hello-World/issues/1) in '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#daa038',
                        'title': '#1 Spelling error in the README file',
                        'title_link': 'https://github.com/Codertocat/Hello-World/issues/1',
                        'text': "It looks like you accidently spelled 'commit' with two 't's.",
                        'fields': [{'title': 'Labels', 'value': 'bug', 'short': True},
                                   {'title': 'Assignees', 'value': 'Codertocat', 'short': True}]}])


def test_pull_request__opened(check):
    check("pull_request__opened",
          text=('[Codertocat](https://github.com/Codertocat) opened pull request [#2 Update the README with '
                'new information.](https://github.com/Codertocat/Hello-World/pull/2) in '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#439fe0',
                        'title': '#2 Update the README with new information.',
                        'title_link': 'https://github.com/Codertocat/Hello-World/pull/2',
                        'text': 'This is a pretty simple change that we need to pull into master.',
                        'fields': [{'title': 'Branches', 'value': 'changes → master', 'short': True},
                                   {'title': 'Changes', 'value': '+1 −1 in 1 file', 'short': True}]}])


def test_push__new_branch_1_commit(check):
    check("push__new_branch_1_commit",
          text=('[Codertocat](https://github.com/Codertocat) pushed 1 commit to new branch '
                '[master](https://github.com/Codertocat/Hello-World/tree/master) of '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#439fe0',
                        'title': '1 commit',
                        'title_link': 'https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246',
                        'text': '[6113728](https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246) '
                                'Initial commit — Codertocat'}])


def test_release__published(check):
    check("release__published",
          text=('[Codertocat](https://github.com/Codertocat) published release '
                '[0.0.1](https://github.com/Codertocat/Hello-World/releases/tag/0.0.1) of '
                '[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)'),
          attachments=[{'color': '#2eb886',
                        'title': '0.0.1',
                        'title_link': 'https://github.com/Codertocat/Hello-World/releases/tag/0.0.1',
                        'fields': [{'title': 'Tag', 'value': '0.0.1', 'short': True}]}])


def test_workflow_run__completed_success(check):
    check("workflow_run__completed_success",
          text=('Workflow [test #163](https://github.com/octo-org/octo-repo/actions/runs/289782451) '
                'succeeded on [master](https://github.com/octo-org/octo-repo/tree/master) of '
                '[octo-org/octo-repo](https://github.com/octo-org/octo-repo)'),
          attachments=[{'color': '#2eb886',
                        'title': 'ci(action): update actions/setup-node digest to 8c91899',
                        'title_link': 'https://github.com/octo-org/octo-repo/actions/runs/289782451',
                        'fields': [{'title': 'Branch', 'value': 'master', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[3484a3f](https://github.com/octo-org/octo-repo/commit/3484a3fb816e0859fd6e1cea078d76385ff50625)',
                                    'short': True},
                                   {'title': 'Trigger', 'value': 'repository_dispatch', 'short': True}]}])


def test_pull_request_merged(check):
    check("pull_request__opened", change={"action": "closed", "pull_request.merged": True},
          text=("[Codertocat](https://github.com/Codertocat) merged pull request [#2 Update the README with new "
                "information.](https://github.com/Codertocat/Hello-World/pull/2) in "
                "[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)"),
          attachments=[{"color": "#6f42c1",
                        "title": "#2 Update the README with new information.",
                        "title_link": "https://github.com/Codertocat/Hello-World/pull/2",
                        "fields": [{"title": "Branches", "value": "changes → master", "short": True},
                                   {"title": "Changes", "value": "+1 −1 in 1 file", "short": True}]}])


def test_push_long_commit_list_is_truncated(check):
    commit = check.load("push__new_branch_1_commit")["commits"][0]
    commits = [dict(commit, id=f"{i:040d}", message=f"change {i}\n\nbody") for i in range(12)]
    message = check("push__new_branch_1_commit", change={"commits": commits, "created": False},
                    text=("[Codertocat](https://github.com/Codertocat) pushed 12 commits to "
                          "[master](https://github.com/Codertocat/Hello-World/tree/master) of "
                          "[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)")).drafts[0].doc
    lines = message["attachments"][0]["text"].split("\n")
    assert len(lines) == 11
    assert lines[0] == ("[0000000](https://github.com/Codertocat/Hello-World/commit/"
                        "6113728f27ae82c7b1a177c8d03f9e96e0adf246) change 0 — Codertocat")
    assert lines[-1] == "… and 2 more"


def test_header_as_sent_by_github_is_accepted(check):
    check("release__published", headers={"X-GitHub-Event": "Release"},
          attachments=[{"color": "#2eb886", "title": "0.0.1",
                        "title_link": "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1",
                        "fields": [{"title": "Tag", "value": "0.0.1", "short": True}]}])


def test_unsupported_event_posts_nothing(check):
    check({"zen": "Keep it logically awesome.", "hook_id": 1}, event="ping", expect_unsupported=True)


def test_unposted_action_posts_nothing(check):
    check("issues__opened", change={"action": "labeled"}, expect_unsupported=True,
          logs="GitHub 'issues' action 'labeled' is not supported")


def test_malformed_payload(check):
    check({"not": "valid"}, event="push", status=400,
          error="GitHub 'push' payload is missing 'ref'")


def test_missing_event_header(check):
    check("push__new_branch_1_commit", headers={"X-GitHub-Event": ""}, status=400,
          error="missing X-GitHub-Event header: is this a GitHub webhook delivery?")


def test_branch_deleted(check):
    check("push__new_branch_1_commit", change={"deleted": True, "created": False},
          text=("[Codertocat](https://github.com/Codertocat) deleted branch master of "
                "[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)"),
          attachments=[])


def test_tag_pushed(check):
    check("push__new_branch_1_commit", change={"ref": "refs/tags/v1.0"},
          text=("[Codertocat](https://github.com/Codertocat) pushed tag "
                "[v1.0](https://github.com/Codertocat/Hello-World/tree/v1.0) to "
                "[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)"),
          attachments=[{"color": "#439fe0",
                        "text": ("[6113728](https://github.com/Codertocat/Hello-World/commit/"
                                 "6113728f27ae82c7b1a177c8d03f9e96e0adf246) Initial commit — Codertocat")}])


def test_failed_workflow_is_red(check):
    outcome = check("workflow_run__completed_success", change={"workflow_run.conclusion": "failure"},
                    text=("Workflow [test #163](https://github.com/octo-org/octo-repo/actions/runs/289782451) failed on "
                          "[master](https://github.com/octo-org/octo-repo/tree/master) of "
                          "[octo-org/octo-repo](https://github.com/octo-org/octo-repo)"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#a30200"


def test_issue_closed_is_green_without_body(check):
    check("issues__opened", change={"action": "closed"},
          attachments=[{"color": "#2eb886", "title": "#1 Spelling error in the README file",
                        "title_link": "https://github.com/Codertocat/Hello-World/issues/1",
                        "fields": [{"title": "Labels", "value": "bug", "short": True},
                                   {"title": "Assignees", "value": "Codertocat", "short": True}]}])


def test_prerelease_with_brackets_in_its_name(check):
    check("release__published", change={"release.prerelease": True, "release.name": "First [beta]",
                                        "release.body": "Notes"},
          text=("[Codertocat](https://github.com/Codertocat) published pre-release "
                "[First \\[beta\\]](https://github.com/Codertocat/Hello-World/releases/tag/0.0.1) of "
                "[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)"),
          attachments=[{"color": "#2eb886", "title": "First [beta]",
                        "title_link": "https://github.com/Codertocat/Hello-World/releases/tag/0.0.1",
                        "text": "Notes", "fields": [{"title": "Tag", "value": "0.0.1", "short": True}]}])
