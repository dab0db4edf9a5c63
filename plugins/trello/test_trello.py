"""Fixture tests for the Trello script: one per fixture, exact messages."""


def test_commentcard__new_comment(check):
    check("commentcard__new_comment",
          text=('TomaszKolek commented on card [New card](https://trello.com/c/xPKXoSTQ) on [Welcome '
                'Board](https://trello.com/b/iqXXzYEj/welcome-board)'),
          attachments=[{'color': '#439fe0', 'title': 'New card', 'text': 'New comment'}])


def test_updatecard__moved_to_list(check):
    check("updatecard__moved_to_list",
          text=('TomaszKolek moved card [This is a card.](https://trello.com/c/r33ylX2Z) from Basics to '
                'Intermediate on [Welcome Board](https://trello.com/b/iqXXzYEj/welcome-board)'),
          attachments=[{'color': '#439fe0',
                        'title': 'This is a card.',
                        'fields': [{'title': 'List', 'value': 'Intermediate', 'short': True}]}])



def test_created_card(check):
    check("commentcard__new_comment", change={"action.type": "createCard"},
          text=("TomaszKolek added card [New card](https://trello.com/c/xPKXoSTQ) to Basics on "
                "[Welcome Board](https://trello.com/b/iqXXzYEj/welcome-board)"))


def test_archived_card(check):
    check("updatecard__moved_to_list", change={"action.data.old": {"closed": False}, "action.data.card.closed": True},
          text=("TomaszKolek archived card [This is a card.](https://trello.com/c/r33ylX2Z) on "
                "[Welcome Board](https://trello.com/b/iqXXzYEj/welcome-board)"))


def test_other_card_updates_post_nothing(check):
    check("updatecard__moved_to_list", change={"action.data.old": {"pos": 1}}, expect_nothing=True,
          logs="Trello card update of pos is not posted")


def test_board_actions_are_not_supported(check):
    check("commentcard__new_comment", change={"action.type": "updateBoard"}, expect_unsupported=True)


def test_callback_url_check_is_answered_200(hookhub_runner):
    # Trello sends HEAD (hookhub runs it like GET, with an empty body) before it creates the webhook
    from pathlib import Path

    outcome = hookhub_runner.run(Path(__file__).parent / "script.py", {}, method="GET")
    assert (outcome.status, outcome.drafts) == (200, [])
    assert any("callback URL check" in record.message for record in outcome.logs)


def test_missing_board(check):
    check("commentcard__new_comment", drop=["action.data.board"], status=400,
          error="Trello 'commentCard' payload is missing 'action.data.board.name'")
