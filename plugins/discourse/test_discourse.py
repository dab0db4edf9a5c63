"""Fixture tests for the Discourse script: one per fixture, exact messages."""


def test_post_created__reply(check):
    check("post_created__reply",
          text='heath replied to Testing Discourse to Slack Integration',
          attachments=[{'color': '#439fe0',
                        'title': 'Testing Discourse to Slack Integration',
                        'text': 'testing :)',
                        'fields': [{'title': 'Category', 'value': 'hive13-infrastructure', 'short': True},
                                   {'title': 'Posts', 'value': '2', 'short': True}]}])



def test_links_the_post_on_the_instance(check):
    check("post_created__reply", headers={"X-Discourse-Instance": "https://discoursetest.hive13.org"},
          text=("heath replied to [Testing Discourse to Slack Integration](https://discoursetest.hive13.org/t/"
                "testing-discourse-to-slack-integration/4946/2)"))


def test_first_post_starts_a_topic(check):
    outcome = check("post_created__reply", change={"post.post_number": 1},
                    text="heath started the topic Testing Discourse to Slack Integration")
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#2eb886"


def test_private_messages_are_not_posted(check):
    check("post_created__reply", change={"post.topic_archetype": "private_message"}, expect_nothing=True,
          logs="private message")


def test_edits_and_pings_are_not_supported(check):
    check("post_created__reply", event="post_edited", expect_unsupported=True)
    check({}, event="ping", expect_unsupported=True)


def test_missing_topic(check):
    check("post_created__reply", drop=["post.topic_id"], status=400,
          error="Discourse 'post_created' payload is missing 'post.topic_id'")
