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


def test_commit_comment__created(check):
    check("commit_comment__created",
          text='[Codertocat](https://github.com/Codertocat) commented on commit [6113728](https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246#commitcomment-33548674) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#439fe0', 'text': 'This is a really good change! :+1:'}])


def test_create__tag(check):
    check("create__tag",
          text='[Codertocat](https://github.com/Codertocat) created tag [simple-tag](https://github.com/Codertocat/Hello-World/tree/simple-tag) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)')


def test_delete__tag(check):
    check("delete__tag",
          text='[Codertocat](https://github.com/Codertocat) deleted tag simple-tag of [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)')


def test_deployment_status__success(check):
    check("deployment_status__success",
          text='Deployment to production succeeded for [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#2eb886',
                        'fields': [{'title': 'Ref', 'value': 'master', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[f95f852](https://github.com/Codertocat/Hello-World/commit/f95f852bd8fca8fcc58a9a2d6c842781e32a215e)',
                                    'short': True},
                                   {'title': 'By', 'value': 'Codertocat', 'short': True}]}])


def test_discussion__created(check):
    check("discussion__created",
          text='[Codertocat](https://github.com/Codertocat) created discussion [#4 TEST edit](https://github.com/Codertocat/Hello-World/discussions/4) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#439fe0',
                        'title': '#4 TEST edit',
                        'title_link': 'https://github.com/Codertocat/Hello-World/discussions/4',
                        'text': 'TEST edit',
                        'fields': [{'title': 'Category', 'value': 'General', 'short': True}]}])


def test_discussion_comment__created(check):
    check("discussion_comment__created",
          text='[Codertocat](https://github.com/Codertocat) commented on discussion [#4 TEST edit](https://github.com/Codertocat/Hello-World/discussions/4#discussioncomment-550062) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#439fe0', 'text': 'ANSWER'}])


def test_fork__basic(check):
    check("fork__basic",
          text='[Octocoders](https://github.com/Octocoders) forked [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World) to [Octocoders/Hello-World](https://github.com/Octocoders/Hello-World)')


def test_gollum__page_created(check):
    check("gollum__page_created",
          text='[rachmari](https://github.com/rachmari) edited [Home](https://github.com/Codertocat/Hello-World/wiki/Home) in the wiki of [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)')


def test_member__added(check):
    check("member__added",
          text='[hacktocat](https://github.com/hacktocat) added [hacktocat](https://github.com/hacktocat) to [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)')


def test_pull_request_review__dismissed(check):
    check("pull_request_review__dismissed",
          text='[Codertocat](https://github.com/Codertocat) dismissed the review of [Codertocat](https://github.com/Codertocat) on pull request [#2 Update the README with new information.](https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)')


def test_pull_request_review__submitted_commented(check):
    check("pull_request_review__submitted_commented",
          text='[Codertocat](https://github.com/Codertocat) reviewed pull request [#2 Update the README with new information.](https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)')


def test_pull_request_review_comment__created(check):
    check("pull_request_review_comment__created",
          text='[Codertocat](https://github.com/Codertocat) commented on pull request [#2 Update the README with new information.](https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630) (README.md) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#439fe0', 'text': 'Maybe you should use more emoji on this line.'}])


def test_release__prereleased(check):
    check("release__prereleased",
          text='[Codertocat](https://github.com/Codertocat) published pre-release [0.0.1](https://github.com/Codertocat/Hello-World/releases/tag/0.0.1) of [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#2eb886',
                        'title': '0.0.1',
                        'title_link': 'https://github.com/Codertocat/Hello-World/releases/tag/0.0.1',
                        'fields': [{'title': 'Tag', 'value': '0.0.1', 'short': True}]}])


def test_star__created(check):
    check("star__created",
          text='[Codertocat](https://github.com/Codertocat) starred [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World) (1 star)')


def test_ping__basic_is_not_supported(check):
    check("ping__basic", expect_unsupported=True, logs="GitHub event 'ping' is not supported")


def test_pull_request_review_approved_with_a_body(check):
    check("pull_request_review__submitted_commented", change={"review.state": "approved", "review.body": "LGTM"},
          text=("[Codertocat](https://github.com/Codertocat) approved pull request [#2 Update the README with new "
                "information.](https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671) in "
                "[Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)"),
          attachments=[{"color": "#2eb886", "text": "LGTM"}])


def test_pull_request_review_changes_requested_is_red(check):
    outcome = check("pull_request_review__submitted_commented",
                    change={"review.state": "CHANGES_REQUESTED", "review.body": "Please add a test"})
    assert outcome.drafts[0].doc["attachments"] == [{"color": "#a30200", "text": "Please add a test"}]
    assert " requested changes on pull request " in outcome.drafts[0].doc["text"]


def test_deployment_in_progress_is_not_supported(check):
    check("deployment_status__success", change={"deployment_status.state": "in_progress"}, expect_unsupported=True,
          logs="GitHub 'deployment_status' state 'in_progress' is not supported")


def test_review_without_state_is_anomalous(check):
    check("pull_request_review__submitted_commented", drop=["review.state"], status=400,
          error="GitHub 'pull_request_review' payload is missing 'review.state'")


def test_pull_request__closed(check):
    check("pull_request__closed",
          text='[Codertocat](https://github.com/Codertocat) closed pull request [#2 Update the README with new information.](https://github.com/Codertocat/Hello-World/pull/2) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#808080',
                        'title': '#2 Update the README with new information.',
                        'title_link': 'https://github.com/Codertocat/Hello-World/pull/2',
                        'fields': [{'title': 'Branches', 'value': 'changes → master', 'short': True},
                                   {'title': 'Changes', 'value': '+1 −1 in 1 file', 'short': True}]}])


def test_pull_request__ready_for_review(check):
    check("pull_request__ready_for_review",
          text='[Codertocat](https://github.com/Codertocat) marked pull request [#2 Update the README with new information.](https://github.com/Codertocat/Hello-World/pull/2) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World) ready for review',
          attachments=[{'color': '#439fe0',
                        'title': '#2 Update the README with new information.',
                        'title_link': 'https://github.com/Codertocat/Hello-World/pull/2',
                        'fields': [{'title': 'Branches', 'value': 'changes → master', 'short': True},
                                   {'title': 'Changes', 'value': '+1 −1 in 1 file', 'short': True}]}])


def test_pull_request__review_requested(check):
    check("pull_request__review_requested",
          text='[Codertocat](https://github.com/Codertocat) requested a review from octocat on pull request [#2 Update the README with new information.](https://github.com/Codertocat/Hello-World/pull/2) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#439fe0',
                        'title': '#2 Update the README with new information.',
                        'title_link': 'https://github.com/Codertocat/Hello-World/pull/2',
                        'fields': [{'title': 'Branches', 'value': 'changes → master', 'short': True},
                                   {'title': 'Changes', 'value': '+1 −1 in 1 file', 'short': True}]}])


def test_pull_request__reopened(check):
    check("pull_request__reopened",
          text='[Codertocat](https://github.com/Codertocat) reopened pull request [#2 Update the README with new information.](https://github.com/Codertocat/Hello-World/pull/2) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#439fe0',
                        'title': '#2 Update the README with new information.',
                        'title_link': 'https://github.com/Codertocat/Hello-World/pull/2',
                        'fields': [{'title': 'Branches', 'value': 'changes → master', 'short': True},
                                   {'title': 'Changes', 'value': '+1 −1 in 1 file', 'short': True}]}])


def test_issues__assigned(check):
    check("issues__assigned",
          text='[Codertocat](https://github.com/Codertocat) assigned issue [#1 Spelling error in the README file](https://github.com/Codertocat/Hello-World/issues/1) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World) to Codertocat',
          attachments=[{'color': '#439fe0',
                        'title': '#1 Spelling error in the README file',
                        'title_link': 'https://github.com/Codertocat/Hello-World/issues/1',
                        'fields': [{'title': 'Labels', 'value': 'bug', 'short': True},
                                   {'title': 'Assignees', 'value': 'Codertocat', 'short': True}]}])


def test_issues__reopened(check):
    check("issues__reopened",
          text='[Codertocat](https://github.com/Codertocat) reopened issue [#1 Spelling error in the README file](https://github.com/Codertocat/Hello-World/issues/1) in [Codertocat/Hello-World](https://github.com/Codertocat/Hello-World)',
          attachments=[{'color': '#daa038',
                        'title': '#1 Spelling error in the README file',
                        'title_link': 'https://github.com/Codertocat/Hello-World/issues/1',
                        'fields': [{'title': 'Labels', 'value': 'bug', 'short': True},
                                   {'title': 'Assignees', 'value': 'Codertocat', 'short': True}]}])


