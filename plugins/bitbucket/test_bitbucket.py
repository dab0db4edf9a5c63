"""Fixture tests for the Bitbucket Cloud script: one per fixture, exact messages."""


def test_issue_comment_created__basic(check):
    check("issue_comment_created__basic",
          text=('Tomasz commented on issue [#1 '
                'Bug](https://bitbucket.org/kolaszek/repository-name/issues/2#comment-28973596) in '
                '[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)'),
          attachments=[{'color': '#439fe0', 'text': 'Add comment'}])


def test_pullrequest_created__with_reviewer(check):
    check("pullrequest_created__with_reviewer",
          text=('Tomasz opened pull request [#1 new '
                'commit](https://bitbucket.org/kolaszek/repository-name/pull-requests/1) in '
                '[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)'),
          attachments=[{'color': '#439fe0',
                        'title': '#1 new commit',
                        'title_link': 'https://bitbucket.org/kolaszek/repository-name/pull-requests/1',
                        'text': 'description',
                        'fields': [{'title': 'Branches', 'value': 'new-branch → master', 'short': True},
                                   {'title': 'Reviewers', 'value': 'Tomasz Kolek', 'short': True}]}])


def test_repo_commit_status_created__successful(check):
    check("repo_commit_status_created__successful",
          text=('Build [Unit Tests (Python)](https://my-build-tool.com/builds/MY-PROJECT/BUILD-777) '
                'succeeded for '
                '[9fec847](https://bitbucket.org/kolaszek/repository-name/commits/9fec847784abb10b2fa567ee63b85bd238955d0e) '
                'of [kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)'),
          attachments=[{'color': '#2eb886',
                        'title': 'Unit Tests (Python)',
                        'title_link': 'https://my-build-tool.com/builds/MY-PROJECT/BUILD-777',
                        'text': 'Build finished'}])


def test_repo_push__1_commit(check):
    check("repo_push__1_commit",
          text=('Emma pushed 1 commit to '
                '[name-of-branch](https://bitbucket.org/user_name/repo_name/branch/master) of '
                '[team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)'),
          attachments=[{'color': '#439fe0',
                        'title': '1 commit',
                        'title_link': 'https://bitbucket.org/user_name/repo_name/branches/compare/c4b2b7914156a878aa7c9da452a09fb50c2091f2..b99ea6dad8f416e57c5ca78c1ccef590600d841b',
                        'text': '[03f4a72](https://bitbucket.org/user/repo/commits/03f4a7270240708834de475bcf21532d6134777e) '
                                'commit message — Emma'}])


def test_repo_push__new_tag(check):
    check("repo_push__new_tag",
          text=('Tomasz pushed tag [a](https://bitbucket.org/kolaszek/repository-name/commits/tag/a) to '
                '[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)'),
          attachments=[{'color': '#439fe0',
                        'text': '[450118a](https://bitbucket.org/kolaszek/repository-name/commits/450118afff93569d1ce362174e9f1a7f104f9166) '
                                'abc'}])


def test_header_as_sent_by_bitbucket_is_accepted(check):
    check("repo_push__new_tag", event="repo:push",
          text=("Tomasz pushed tag [a](https://bitbucket.org/kolaszek/repository-name/commits/tag/a) to "
                "[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)"))


def test_push_with_two_changes(check):
    payload = check.load("repo_push__new_tag")
    deleted = {"new": None, "old": {"type": "branch", "name": "old-feature"}, "closed": True, "created": False,
               "forced": False, "truncated": False, "links": {}}
    payload["push"]["changes"].append(deleted)
    check(payload, event="repo:push",
          text=("Tomasz pushed 2 changes to "
                "[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)"),
          attachments=[{"color": "#439fe0", "title": "tag a",
                        "text": ("[450118a](https://bitbucket.org/kolaszek/repository-name/commits/"
                                 "450118afff93569d1ce362174e9f1a7f104f9166) abc")},
                       {"color": "#808080", "title": "old-feature deleted"}])


def test_pull_request_merged(check):
    check("pullrequest_created__with_reviewer", event="pullrequest:fulfilled",
          text=("Tomasz merged pull request [#1 new commit](https://bitbucket.org/kolaszek/repository-name/pull-requests/1)"
                " in [kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)"),
          attachments=[{"color": "#6f42c1", "title": "#1 new commit",
                        "title_link": "https://bitbucket.org/kolaszek/repository-name/pull-requests/1",
                        "fields": [{"title": "Branches", "value": "new-branch → master", "short": True},
                                   {"title": "Reviewers", "value": "Tomasz Kolek", "short": True}]}])


def test_build_in_progress_posts_nothing(check):
    payload = check.load("repo_commit_status_created__successful")
    payload["commit_status"]["state"] = "INPROGRESS"
    check(payload, event="repo:commit_status_updated", expect_nothing=True)


def test_unsupported_event_posts_nothing(check):
    check(check.load("repo_push__new_tag"), event="project:updated", expect_unsupported=True,
          logs="Bitbucket event 'project:updated' is not supported")


def test_malformed_payload(check):
    check({"repository": {"full_name": "a/b"}}, event="repo:push", status=400,
          error="Bitbucket 'repo:push' payload is missing 'push.changes'")


def test_missing_event_header(check):
    check(check.load("repo_push__new_tag"), headers={}, status=400,
          error="missing X-Event-Key header: is this a Bitbucket webhook delivery?")


def test_issue_created(check):
    payload = check.load("issue_comment_created__basic")
    del payload["comment"]
    check(payload, event="issue:created",
          text=("Tomasz opened issue [#1 Bug](https://bitbucket.org/kolaszek/repository-name/issues/2/bug) in "
                "[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)"),
          attachments=[{"color": "#daa038", "title": "#1 Bug",
                        "title_link": "https://bitbucket.org/kolaszek/repository-name/issues/2/bug",
                        "text": "Such a bug more description",
                        "fields": [{"title": "Kind", "value": "bug", "short": True},
                                   {"title": "Priority", "value": "major", "short": True},
                                   {"title": "State", "value": "new", "short": True},
                                   {"title": "Assignee", "value": "Tomasz", "short": True}]}])


def test_pull_request_comment(check):
    payload = check.load("pullrequest_created__with_reviewer")
    payload["comment"] = {"content": {"raw": "Looks good"}, "links": {"html": {
        "href": "https://bitbucket.org/kolaszek/repository-name/pull-requests/1/_/diff#comment-5"}}}
    outcome = check(payload, event="pullrequest:comment_created",
                    text=("Tomasz commented on pull request [#1 new commit](https://bitbucket.org/kolaszek/"
                          "repository-name/pull-requests/1/_/diff#comment-5) in "
                          "[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)"))
    assert outcome.drafts[0].doc["attachments"][0]["text"] == "Looks good"


def test_failed_build(check):
    payload = check.load("repo_commit_status_created__successful")
    payload["commit_status"].update(state="FAILED", refname="master")
    check(payload, event="repo:commit_status_updated",
          text=("Build [Unit Tests (Python)](https://my-build-tool.com/builds/MY-PROJECT/BUILD-777) failed for "
                "[9fec847](https://bitbucket.org/kolaszek/repository-name/commits/"
                "9fec847784abb10b2fa567ee63b85bd238955d0e) of "
                "[kolaszek/repository-name](https://bitbucket.org/kolaszek/repository-name)"),
          attachments=[{"color": "#a30200", "title": "Unit Tests (Python)",
                        "title_link": "https://my-build-tool.com/builds/MY-PROJECT/BUILD-777", "text": "Build finished",
                        "fields": [{"title": "Branch", "value": "master", "short": True}]}])


def test_issue_updated__basic(check):
    check("issue_updated__basic",
          text='Emma updated issue [#1 Issue title](https://api.bitbucket.org/issue_id) in [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#daa038',
                        'title': '#1 Issue title',
                        'title_link': 'https://api.bitbucket.org/issue_id',
                        'text': 'status: open → on hold',
                        'fields': [{'title': 'Comment', 'value': 'Comment text', 'short': False}]}])


def test_pullrequest_comment_deleted__basic(check):
    check("pullrequest_comment_deleted__basic",
          text='Emma deleted a comment on pull request [#1 Title of pull request](https://api.bitbucket.org/comment_id) in [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#808080',
                        'title': '#1 Title of pull request',
                        'title_link': 'https://api.bitbucket.org/pullrequest_id',
                        'fields': [{'title': 'Branches', 'value': 'branch2 → master', 'short': True},
                                   {'title': 'Reviewers', 'value': 'Emma', 'short': True}]}])


def test_pullrequest_comment_updated__basic(check):
    check("pullrequest_comment_updated__basic",
          text='Emma edited a comment on pull request [#1 Title of pull request](https://api.bitbucket.org/comment_id) in [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#439fe0',
                        'title': '#1 Title of pull request',
                        'title_link': 'https://api.bitbucket.org/pullrequest_id',
                        'text': 'Comment text',
                        'fields': [{'title': 'Branches', 'value': 'branch2 → master', 'short': True},
                                   {'title': 'Reviewers', 'value': 'Emma', 'short': True}]}])


def test_pullrequest_fulfilled__merged(check):
    check("pullrequest_fulfilled__merged",
          text='Emma merged pull request [#1 Title of pull request](https://api.bitbucket.org/pullrequest_id) in [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#6f42c1',
                        'title': '#1 Title of pull request',
                        'title_link': 'https://api.bitbucket.org/pullrequest_id',
                        'fields': [{'title': 'Branches', 'value': 'branch2 → master', 'short': True},
                                   {'title': 'Reviewers', 'value': 'Emma', 'short': True}]}])


def test_pullrequest_rejected__declined(check):
    check("pullrequest_rejected__declined",
          text='Emma declined pull request [#1 Title of pull request](https://api.bitbucket.org/pullrequest_id) in [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#808080',
                        'title': '#1 Title of pull request',
                        'title_link': 'https://api.bitbucket.org/pullrequest_id',
                        'text': 'reason for declining the PR (if applicable)',
                        'fields': [{'title': 'Branches', 'value': 'branch2 → master', 'short': True},
                                   {'title': 'Reviewers', 'value': 'Emma', 'short': True}]}])


def test_pullrequest_unapproved__basic(check):
    check("pullrequest_unapproved__basic",
          text='Emma removed their approval of pull request [#1 Title of pull request](https://api.bitbucket.org/pullrequest_id) in [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#daa038',
                        'title': '#1 Title of pull request',
                        'title_link': 'https://api.bitbucket.org/pullrequest_id',
                        'fields': [{'title': 'Branches', 'value': 'branch2 → master', 'short': True},
                                   {'title': 'Reviewers', 'value': 'Emma', 'short': True}]}])


def test_pullrequest_updated__basic(check):
    check("pullrequest_updated__basic",
          text='Emma updated pull request [#1 Title of pull request](https://api.bitbucket.org/pullrequest_id) in [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#439fe0',
                        'title': '#1 Title of pull request',
                        'title_link': 'https://api.bitbucket.org/pullrequest_id',
                        'fields': [{'title': 'Branches', 'value': 'branch2 → master', 'short': True},
                                   {'title': 'Reviewers', 'value': 'Emma', 'short': True}]}])


def test_repo_commit_comment_created__basic(check):
    check("repo_commit_comment_created__basic",
          text='Emma [commented](https://api.bitbucket.org/comment_id) on commit [d3022fc](https://api.bitbucket.org/bitbucket/bitbucket/commits/d3022fc0ca3d65c7f6654eea129d6bf0cf0ee08e) (path/to/file) of [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#439fe0', 'text': 'Comment text'}])


def test_repo_fork__basic(check):
    check("repo_fork__basic",
          text='Emma forked [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket) to [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)')


def test_repo_updated__basic(check):
    check("repo_updated__basic",
          text='Emma changed the settings of [team_name/repo_name](https://api.bitbucket.org/bitbucket/bitbucket)',
          attachments=[{'color': '#808080',
                        'text': 'description: This is a description. → This is a better description.\n'
                                'full_name: teamawesome/repository_name → teamawesome/repository\n'
                                'language: — → java\n'
                                'name: repository_name → repository\n'
                                'website: — → http://www.example.com/'}])


def test_build_in_progress_is_not_posted(check):
    check("repo_commit_status_created__successful", change={"commit_status.state": "INPROGRESS"},
          expect_unsupported=True, logs="Bitbucket 'repo_commit_status_created' state 'INPROGRESS' is not supported")
