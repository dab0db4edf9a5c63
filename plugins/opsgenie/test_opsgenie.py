"""Fixture tests for the Opsgenie script: one per fixture, exact messages."""


def test_acknowledge__tagged(check):
    check("acknowledge__tagged",
          text='fili@ifountain.com acknowledged alert #23 test alert',
          attachments=[{'color': '#daa038',
                        'title': '#23 test alert',
                        'fields': [{'title': 'Source', 'value': 'fili@ifountain.com', 'short': True},
                                   {'title': 'Tags', 'value': 'tag1, tag2', 'short': True}]}])


def test_addnote__basic(check):
    check("addnote__basic",
          text='fili@ifountain.com added a note to alert #23 test alert',
          attachments=[{'color': '#439fe0',
                        'title': '#23 test alert',
                        'fields': [{'title': 'Source', 'value': 'fili@ifountain.com', 'short': True},
                                   {'title': 'Tags', 'value': 'tag1, tag2', 'short': True},
                                   {'title': 'Note', 'value': 'note to test alert', 'short': False}]}])


def test_close__basic(check):
    check("close__basic",
          text='fili@ifountain.com closed alert #23 test alert',
          attachments=[{'color': '#2eb886',
                        'title': '#23 test alert',
                        'fields': [{'title': 'Source', 'value': 'fili@ifountain.com', 'short': True}]}])


def test_create__priority_p3(check):
    check("create__priority_p3",
          text='New alert: #2 another alert',
          attachments=[{'color': '#daa038',
                        'title': '#2 another alert',
                        'fields': [{'title': 'Priority', 'value': 'P3', 'short': True},
                                   {'title': 'Entity', 'value': 'Server', 'short': True},
                                   {'title': 'Source', 'value': 'test@example.com', 'short': True},
                                   {'title': 'Tags', 'value': 'vip', 'short': True}]}])


def test_escalate__to_user(check):
    check("escalate__to_user",
          text='Alert 7ba97e3a-d328-4b5e-8f9a-39e945a3869a was escalated by test_esc to test@ifountain.com',
          attachments=[{'color': '#a30200', 'title': '7ba97e3a-d328-4b5e-8f9a-39e945a3869a'}])



def test_add_tags_is_not_supported(check):
    check("acknowledge__tagged", change={"action": "AddTags"}, expect_unsupported=True)


def test_take_ownership(check):
    check("close__basic", change={"action": "TakeOwnership"},
          text="fili@ifountain.com took ownership of alert #23 test alert")


def test_missing_alert(check):
    check("close__basic", drop=["alert"], status=400, error="Opsgenie 'Close' payload is missing 'alert.alertId'")
