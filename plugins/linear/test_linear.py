"""Fixture tests for the Linear script: one per fixture, exact messages."""


def test_comment__create(check):
    check("comment__create",
          text=('Satyam Bansal commented on [Thorough Impact Analysis and Cost '
                'Realization](https://linear.app/webhooks/issue/WEB-46#comment-c7cafc52)'),
          attachments=[{'color': '#439fe0',
                        'title': 'Thorough Impact Analysis and Cost Realization',
                        'title_link': 'https://linear.app/webhooks/issue/WEB-46#comment-c7cafc52',
                        'text': 'Performing a thorough impact analysis and cost realization is a crucial '
                                'step in responding to any system outage or incident. By examining the '
                                'extent of the outage, the affected systems or services, the number of users '
                                'impacted, and any error messages or logs generated during the incident, we '
                                'can gain a comprehensive understanding of the scope of the incident.\n'
                                '\n'
                                'This information can then be used to prioritize the resolution efforts and '
                                "minimize the impact on our organization's operations. Additio…"}])


def test_issue__create(check):
    check("issue__create",
          text=('New issue [WEB-43 Very small font in '
                'tooltip](https://linear.app/webhooks/issue/WEB-43/very-small-font-in-tooltip)'),
          attachments=[{'color': '#439fe0',
                        'title': 'Very small font in tooltip',
                        'title_link': 'https://linear.app/webhooks/issue/WEB-43/very-small-font-in-tooltip',
                        'fields': [{'title': 'Status', 'value': 'Todo', 'short': True}],
                        'text': 'The tooltips at the "Select Drawing" and "Edit Drawing" buttons have a very '
                                'small font and therefore are not very legible. Apart from this, the wording '
                                'of the text has to be changed to fit better with the overall design '
                                'pattern.'}])


def test_issue__update_title(check):
    check("issue__update_title",
          text=('Issue [WEB-44 This is regarding the outage that we faced on 11/12/22 from 2000 to 2200 and '
                'also on 25/12/22 from 0000 to '
                '0230](https://linear.app/webhooks/issue/WEB-44/this-is-regarding-the-outage-that-we-faced-on-111222-from-2000-to-2200) '
                'updated: renamed'),
          attachments=[{'color': '#a30200',
                        'title': 'This is regarding the outage that we faced on 11/12/22 from 2000 to 2200 '
                                 'and also on 25/12/22 from 0000 to 0230',
                        'title_link': 'https://linear.app/webhooks/issue/WEB-44/this-is-regarding-the-outage-that-we-faced-on-111222-from-2000-to-2200',
                        'fields': [{'title': 'Status', 'value': 'In Progress', 'short': True},
                                   {'title': 'Priority', 'value': 'Urgent', 'short': True},
                                   {'title': 'Assignee', 'value': 'Satyam Bansal', 'short': True},
                                   {'title': 'Labels',
                                    'value': 'Improvement, Feature, Bug, Custom Label',
                                    'short': True}],
                        'text': 'Previous title: This is regarding the outage that we faced during 11/12/22 '
                                'from 2000 to 2200.'}])



def test_status_and_assignee_change(check):
    check("issue__update_title", change={"updatedFrom": {"stateId": "x", "assigneeId": None}},
          text=("Issue [WEB-44 This is regarding the outage that we faced on 11/12/22 from 2000 to 2200 and also "
                "on 25/12/22 from 0000 to 0230](https://linear.app/webhooks/issue/WEB-44/this-is-regarding-the-"
                "outage-that-we-faced-on-111222-from-2000-to-2200) updated: status → In Progress; "
                "assignee → Satyam Bansal"))


def test_update_of_other_fields_posts_nothing(check):
    check("issue__update_title", change={"updatedFrom": {"sortOrder": 1}}, expect_nothing=True,
          logs="nothing posted")


def test_removed(check):
    check("issue__create", change={"action": "remove"},
          text=("Issue [WEB-43 Very small font in tooltip](https://linear.app/webhooks/issue/WEB-43/"
                "very-small-font-in-tooltip) was removed"))


def test_projects_are_not_supported(check):
    check("issue__create", event="Project", change={"type": "Project"}, expect_unsupported=True)


def test_missing_url(check):
    check("comment__create", drop=["url"], status=400, error="Linear 'comment' payload is missing 'url'")
