"""Fixture tests for the Gitea script: one per fixture, exact messages."""


def test_create__branch(check):
    check("create__branch",
          text=('kostekIV created branch '
                '[test-branch](https://try.gitea.io/kostekIV/test/src/branch/test-branch) in '
                '[kostekIV/test](https://try.gitea.io/kostekIV/test)'),
          attachments=[{'color': '#439fe0',
                        'fields': [{'title': 'Commit',
                                    'value': '[01efc1f](https://try.gitea.io/kostekIV/test/commit/01efc1fe09d4fba25397a386a6c623fd12eadd79)',
                                    'short': True}]}])


def test_issue_comment__created_on_issue(check):
    check("issue_comment__created_on_issue",
          text=('kostekIV commented on issue [#3 Test '
                'issue](https://try.gitea.io/kostekIV/test/issues/3#issuecomment-24400) in '
                '[kostekIV/test](https://try.gitea.io/kostekIV/test)'),
          attachments=[{'color': '#439fe0', 'text': 'test comment'}])


def test_issues__opened(check):
    check("issues__opened",
          text=('kostekIV opened issue [#3 Test issue](https://try.gitea.io/kostekIV/test/issues/3) in '
                '[kostekIV/test](https://try.gitea.io/kostekIV/test)'),
          attachments=[{'color': '#daa038',
                        'title': '#3 Test issue',
                        'title_link': 'https://try.gitea.io/kostekIV/test/issues/3',
                        'text': 'Test body'}])


def test_pull_request__opened(check):
    check("pull_request__opened",
          text=('kostekIV opened pull request [#4 New pr](https://try.gitea.io/kostekIV/test/pulls/4) in '
                '[kostekIV/test](https://try.gitea.io/kostekIV/test)'),
          attachments=[{'color': '#439fe0',
                        'title': '#4 New pr',
                        'title_link': 'https://try.gitea.io/kostekIV/test/pulls/4',
                        'text': 'Body',
                        'fields': [{'title': 'Branches', 'value': 'test-branch → master', 'short': True}]}])


def test_push__5_commits(check):
    check("push__5_commits",
          text=('kostekIV pushed 5 commits to [d](https://try.gitea.io/kostekIV/test/src/branch/d) of '
                '[kostekIV/test](https://try.gitea.io/kostekIV/test)'),
          attachments=[{'color': '#439fe0',
                        'title': '5 commits',
                        'title_link': 'https://try.gitea.io/kostekIV/test/compare/21138d2ca0ce18f8e037696fdbe1b3f0c211f630...2ec0c971d04723523aa20f2b378f8b419b47d4ec',
                        'text': '[2ec0c97](https://try.gitea.io/kostekIV/test/commit/2ec0c971d04723523aa20f2b378f8b419b47d4ec) '
                                'commit — Jan Koscisz\n'
                                '[6cb1701](https://try.gitea.io/kostekIV/test/commit/6cb1701c8b0114ad716f4cd49153076e7109cb85) '
                                'commit — Jan Koscisz\n'
                                '[6773eab](https://try.gitea.io/kostekIV/test/commit/6773eabc0778a3e38997c06a13f5f0c48b67e5dc) '
                                'commit — Jan Koscisz\n'
                                '[337402c](https://try.gitea.io/kostekIV/test/commit/337402cf675ce7082ddcd23d06a116c85241825a) '
                                'commit — Jan Koscisz\n'
                                '[0a38cad](https://try.gitea.io/kostekIV/test/commit/0a38cad3fac3a13bb78b738d13f15ce9cc3343fa) '
                                'commit — Jan Koscisz'}])


def test_pull_request_merged(check):
    payload = check.load("pull_request__opened")
    payload["action"] = "closed"
    payload["pull_request"]["merged"] = True
    check(payload, event="pull_request",
          text=("kostekIV merged pull request [#4 New pr](https://try.gitea.io/kostekIV/test/pulls/4) in "
                "[kostekIV/test](https://try.gitea.io/kostekIV/test)"),
          attachments=[{"color": "#6f42c1", "title": "#4 New pr",
                        "title_link": "https://try.gitea.io/kostekIV/test/pulls/4",
                        "fields": [{"title": "Branches", "value": "test-branch → master", "short": True}]}])


def test_comment_on_pull_request(check):
    payload = check.load("issue_comment__created_on_issue")
    payload["is_pull"] = True
    check(payload, event="issue_comment",
          text=("kostekIV commented on pull request "
                "[#3 Test issue](https://try.gitea.io/kostekIV/test/issues/3#issuecomment-24400) in "
                "[kostekIV/test](https://try.gitea.io/kostekIV/test)"))


def test_branch_deleted(check):
    payload = check.load("create__branch")
    check(payload, event="delete",
          text="kostekIV deleted branch test-branch of [kostekIV/test](https://try.gitea.io/kostekIV/test)",
          attachments=[])


def test_forgejo_header_is_accepted(check):
    check(check.load("issues__opened"), headers={"X-Forgejo-Event": "issues"},
          text=("kostekIV opened issue [#3 Test issue](https://try.gitea.io/kostekIV/test/issues/3) in "
                "[kostekIV/test](https://try.gitea.io/kostekIV/test)"))


def test_unsupported_event_posts_nothing(check):
    check(check.load("create__branch"), event="wiki", expect_unsupported=True)


def test_unposted_action_posts_nothing(check):
    payload = check.load("issues__opened")
    payload["action"] = "label_updated"
    check(payload, event="issues", expect_nothing=True)


def test_malformed_payload(check):
    check({"not": "valid"}, event="push", status=400,
          error="Gitea 'push' payload is missing 'repository.full_name'")


def test_missing_event_header(check):
    check(check.load("push__5_commits"), headers={}, status=400,
          error="missing X-Gitea-Event or X-Forgejo-Event header: is this a Gitea webhook delivery?")


def test_tag_pushed(check):
    payload = check.load("push__5_commits")
    payload["ref"] = "refs/tags/v1"
    check(payload, event="push",
          text=("kostekIV pushed tag [v1](https://try.gitea.io/kostekIV/test/src/tag/v1) to "
                "[kostekIV/test](https://try.gitea.io/kostekIV/test)"),
          attachments=[])


def test_release_published(check):
    base = check.load("issues__opened")
    payload = {
        "action": "published",
        "release": {"tag_name": "v1.2", "name": "Version 1.2", "body": "Bug fixes", "prerelease": False,
                    "html_url": "https://try.gitea.io/kostekIV/test/releases/tag/v1.2"},
        "repository": base["repository"],
        "sender": base["sender"],
    }
    check(payload, event="release",
          text=("kostekIV published release [Version 1.2](https://try.gitea.io/kostekIV/test/releases/tag/v1.2) of "
                "[kostekIV/test](https://try.gitea.io/kostekIV/test)"),
          attachments=[{"color": "#2eb886", "title": "Version 1.2",
                        "title_link": "https://try.gitea.io/kostekIV/test/releases/tag/v1.2", "text": "Bug fixes",
                        "fields": [{"title": "Tag", "value": "v1.2", "short": True}]}])


def test_delete__branch(check):
    check("delete__branch",
          text='example deleted branch example3 of [example/example](http://localhost:3000/example/example)')


def test_fork__basic(check):
    check("fork__basic",
          text='example2 forked [example/example](http://localhost:3000/example/example) to [example2/example](http://localhost:3000/example2/example)')


def test_issue_comment__on_pull_request(check):
    check("issue_comment__on_pull_request",
          text='example commented on pull request [#2 update](http://localhost:3000/example/example/pulls/2#issuecomment-6) in [example/example](http://localhost:3000/example/example)',
          attachments=[{'color': '#439fe0', 'text': 'example'}])


def test_pull_request_review_comment__basic(check):
    check("pull_request_review_comment__basic",
          text='example reviewed pull request [#2 update](http://localhost:3000/example/example/pulls/2) in [example/example](http://localhost:3000/example/example)',
          attachments=[{'color': '#439fe0', 'text': '123'}])


def test_release__published(check):
    check("release__published",
          text='example published release [0.0.0](http://localhost:3000/example/example/releases/tag/example) of [example/example](http://localhost:3000/example/example)',
          attachments=[{'color': '#2eb886',
                        'title': '0.0.0',
                        'title_link': 'http://localhost:3000/example/example/releases/tag/example',
                        'fields': [{'title': 'Tag', 'value': 'example', 'short': True}]}])


def test_repository__created(check):
    check("repository__created",
          text='example created repository [example3/example5](http://localhost:3000/example3/example5) in example3')


def test_pull_request_comment_as_gitea_1_20_sends_it(check):
    check("issue_comment__on_pull_request", event="pull_request_comment",
          text=("example commented on pull request [#2 update](http://localhost:3000/example/example/pulls/2"
                "#issuecomment-6) in [example/example](http://localhost:3000/example/example)"),
          attachments=[{"color": "#439fe0", "text": "example"}])
