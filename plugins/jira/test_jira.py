"""Fixture tests for the Jira script: one per fixture, exact messages."""


def test_comment_created__plain_text(check):
    check("comment_created__plain_text",
          text=('Eeshan Garg commented on [ZUL-1: A minor '
                'issue](https://zulipintegrations.atlassian.net/browse/ZUL-1?focusedCommentId=10000)'),
          attachments=[{'color': '#439fe0', 'text': 'Leaving a comment here! :)'}])


def test_issue_created__bug_unassigned(check):
    check("issue_created__bug_unassigned",
          text=('Leo Franchi created [BUG-15: New bug with hook](http://lfranchi.com:8080/browse/BUG-15) in '
                'buggery-test'),
          attachments=[{'color': '#439fe0',
                        'title': 'New bug with hook',
                        'title_link': 'http://lfranchi.com:8080/browse/BUG-15',
                        'text': 'Fix me please',
                        'fields': [{'title': 'Type', 'value': 'Bug', 'short': True},
                                   {'title': 'Priority', 'value': 'Major', 'short': True},
                                   {'title': 'Status', 'value': 'Open', 'short': True},
                                   {'title': 'Assignee', 'value': 'Unassigned', 'short': True}]}])


def test_issue_updated__commented(check):
    check("issue_updated__commented",
          text=('Leo Franchi commented on [BUG-15: New bug with '
                'hook](http://lfranchi.com:8080/browse/BUG-15?focusedCommentId=10400)'),
          attachments=[{'color': '#439fe0', 'text': 'Adding a comment. Oh, what a comment it is!'}])


def test_issue_updated__status_changed(check):
    check("issue_updated__status_changed",
          text=('James Williams changed the status of [TEST-1: Fix '
                'That](https://zulipp.atlassian.net/browse/TEST-1) from To Do to In Progress'),
          attachments=[{'color': '#daa038',
                        'fields': [{'title': 'Status', 'value': 'To Do → In Progress', 'short': True}]}])


def test_worklog_created__basic(check):
    check("worklog_created__basic",
          text='Leo Franchi logged 1w of work on issue 10014',
          attachments=[{'color': '#439fe0',
                        'fields': [{'title': 'Time spent', 'value': '1w', 'short': True}]}])


def test_assignee_changed(check):
    payload = check.load("issue_updated__status_changed")
    payload["changelog"]["items"] = [{"field": "assignee", "fieldtype": "jira", "from": None, "fromString": None,
                                      "to": "lfranchi", "toString": "Leo Franchi"}]
    check(payload,
          text="James Williams assigned [TEST-1: Fix That](https://zulipp.atlassian.net/browse/TEST-1) to Leo Franchi",
          attachments=[{"color": "#daa038",
                        "fields": [{"title": "Assignee", "value": "none → Leo Franchi", "short": True}]}])


def test_issue_deleted(check):
    payload = check.load("issue_created__bug_unassigned")
    payload["webhookEvent"] = "jira:issue_deleted"
    check(payload, text="Leo Franchi deleted BUG-15: New bug with hook", attachments=[])


def test_comment_edit_posts_nothing(check):
    payload = check.load("issue_updated__commented")
    payload["issue_event_type_name"] = "issue_comment_edited"
    check(payload, expect_nothing=True)


def test_unsupported_event_posts_nothing(check):
    check({"webhookEvent": "jira:version_released", "version": {"name": "1.0"}}, expect_nothing=True)


def test_missing_webhook_event(check):
    check({"not": "valid"}, status=400,
          error="Jira payload is missing 'webhookEvent': is this a Jira webhook delivery?")


def test_missing_issue(check):
    check({"webhookEvent": "jira:issue_created"}, status=400,
          error="Jira 'jira:issue_created' payload is missing 'issue.key'")


def test_several_fields_changed(check):
    payload = check.load("issue_updated__status_changed")
    payload["changelog"]["items"].append({"field": "priority", "fromString": "Medium", "toString": "High"})
    check(payload,
          text="James Williams updated [TEST-1: Fix That](https://zulipp.atlassian.net/browse/TEST-1)",
          attachments=[{"color": "#daa038",
                        "fields": [{"title": "Status", "value": "To Do → In Progress", "short": True},
                                   {"title": "Priority", "value": "Medium → High", "short": True}]}])


def test_comment_deleted__basic(check):
    check("comment_deleted__basic",
          text='Hemanth V. Alluri deleted a comment on [SP-1: Add support for newer format Jira issue comment events](https://f20171170.atlassian.net/browse/SP-1?focusedCommentId=10000)')


def test_issue_deleted__basic(check):
    check("issue_deleted__basic", text="Leo Franchi deleted BUG-15: New bug with hook")


def test_comment_updated_quotes_the_new_text(check):
    check("comment_deleted__basic", change={"webhookEvent": "comment_updated"},
          text=("Hemanth V. Alluri edited a comment on [SP-1: Add support for newer format Jira issue comment "
                "events](https://f20171170.atlassian.net/browse/SP-1?focusedCommentId=10000)"),
          attachments=[{"color": "#439fe0", "text": "This is a very important issue\\! I’m on it\\!"}])


def test_unknown_jira_event_is_not_supported(check):
    check("comment_deleted__basic", change={"webhookEvent": "sprint_started"}, expect_unsupported=True,
          logs="Jira event 'sprint_started' is not supported")


def test_worklog_updated__basic(check):
    check("worklog_updated__basic",
          text='Leo Franchi changed a work log on issue 10014 to 4d',
          attachments=[{'color': '#439fe0', 'fields': [{'title': 'Time spent', 'value': '4d', 'short': True}]}])


